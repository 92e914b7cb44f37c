// The container model's names and validation rules: what an image reference, a mount
// and a user may hold before any runtime's command line is rendered from them.
#include "cuttle/container.h"

#include <array>
#include <utility>

#include "cuttle/error.h"
#include "internal/split.h"

namespace cuttle {
namespace {

constexpr std::size_t kMaxReference = 4096;

constexpr std::array<std::pair<ContainerRuntime, const char*>, 6> kRuntimeNames = {{
    {ContainerRuntime::kAuto, "auto"},
    {ContainerRuntime::kPodman, "podman"},
    {ContainerRuntime::kDocker, "docker"},
    {ContainerRuntime::kApptainer, "apptainer"},
    {ContainerRuntime::kSingularity, "singularity"},
    {ContainerRuntime::kCharliecloud, "charliecloud"},
}};

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string describe_char(char c) {
  static const char* kHex = "0123456789abcdef";
  auto byte = static_cast<unsigned char>(c);
  std::string hex = std::string("0x") + kHex[byte >> 4] + kHex[byte & 15];
  if (byte < 0x20 || byte >= 0x7f) return hex;
  return "'" + std::string(1, c) + "' (" + hex + ")";
}

// Paths go into runtime options such as `-v HOST:CONTAINER:ro` and `--bind SRC:DST:ro`,
// where ':' and ',' separate fields, so neither may appear; nor may control characters
// or components that climb out ("..").
void check_path(std::string_view path, const std::string& field) {
  if (path.empty()) throw InvalidJobDescription(field, "is empty");
  if (path.size() > kMaxReference) throw InvalidJobDescription(field, "is longer than 4096 bytes");
  if (path.front() != '/') throw InvalidJobDescription(field, "must be an absolute path");
  for (char c : path) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == ':' || c == ',') {
      throw InvalidJobDescription(
          field, "character " + describe_char(c) + " is not allowed in a mount path");
    }
  }
  for (std::string_view segment : detail::split_on(path, '/')) {
    if (segment == "..") throw InvalidJobDescription(field, "must not contain '..'");
  }
}

std::string_view without_trailing_slashes(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

bool is_user_word(std::string_view word) {
  if (word.empty() || word.size() > 64) return false;
  if (!is_alnum(word.front()) && word.front() != '_') return false;
  for (char c : word) {
    if (!is_alnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace

const char* to_string(ContainerRuntime runtime) {
  for (const auto& [value, name] : kRuntimeNames) {
    if (value == runtime) return name;
  }
  return "auto";
}

ContainerRuntime parse_container_runtime(std::string_view text) {
  if (text == "ch-run") return ContainerRuntime::kCharliecloud;
  std::string names;
  for (const auto& [value, name] : kRuntimeNames) {
    if (text == name) return value;
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  throw InvalidArgument("container runtime '" + std::string(text) + "' is not one of " + names);
}

ContainerMount parse_container_mount(std::string_view text) {
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return {std::string(text), std::string(text)};
  if (text.find(':', colon + 1) != std::string_view::npos) {
    throw InvalidArgument("mount '" + std::string(text) +
                          "': expected HOST:CONTAINER (paths cannot contain ':')");
  }
  return {std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

void validate_container_image(const std::string& image) {
  const std::string field = "container_image";
  if (image.empty()) throw InvalidJobDescription(field, "is empty");
  if (image.size() > kMaxReference) {
    throw InvalidJobDescription(field, "is longer than 4096 bytes");
  }
  if (image.front() == '-') {
    throw InvalidJobDescription(field, "must not start with '-' (a runtime would read an option)");
  }
  for (char c : image) {
    if (!is_alnum(c) && std::string_view("._-/:@+").find(c) == std::string_view::npos) {
      throw InvalidJobDescription(field, "character " + describe_char(c) +
                                             " is not allowed in an image reference (allowed: "
                                             "letters, digits and . _ - / : @ +)");
    }
  }
}

void validate_container_options(const ContainerOptions& options) {
  for (std::size_t i = 0; i < options.mounts.size(); ++i) {
    const std::string field = "container.mounts[" + std::to_string(i) + "]";
    check_path(options.mounts[i].host_path, field + ".host_path");
    check_path(options.mounts[i].container_path, field + ".container_path");
    std::string_view inside = without_trailing_slashes(options.mounts[i].container_path);
    if (inside == "/") {
      throw InvalidJobDescription(field + ".container_path", "must not be /");
    }
    if (inside == kContainerWorkDir ||
        (inside.size() > kContainerWorkDir.size() && inside.starts_with(kContainerWorkDir) &&
         inside[kContainerWorkDir.size()] == '/')) {
      throw InvalidJobDescription(field + ".container_path",
                                  "must not be /work or inside it (the job's sandbox is there)");
    }
  }
  if (!options.user.empty()) {
    std::string_view user = options.user;
    std::size_t colon = user.find(':');
    bool ok = colon == std::string_view::npos
                  ? is_user_word(user)
                  : is_user_word(user.substr(0, colon)) && is_user_word(user.substr(colon + 1));
    if (!ok) {
      throw InvalidJobDescription(
          "container.user",
          "'" + options.user + "' is not NAME, UID or UID:GID (letters, digits, _ . -)");
    }
  }
}

}  // namespace cuttle
