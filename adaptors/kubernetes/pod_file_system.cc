// PodFileSystem: one sh helper, one exec per operation.
#include "adaptors/kubernetes/pod_file_system.h"

#include <cstdio>

#include "cuttle/error.h"

namespace cuttle::detail {
namespace {

// $1 the operation, then its arguments. Paths are always arguments, never script text.
constexpr const char* kHelper = R"SH(op=$1; shift
case $op in
stat)
  if [ -L "$1" ]; then t=l; elif [ -d "$1" ]; then t=d; elif [ -f "$1" ]; then t=f
  elif [ -e "$1" ]; then t=o; else exit 3; fi
  printf '%s %s\n' "$t" "$(stat -c '%s %a' "$1")";;
mkdir) mkdir -p "$1" && chmod "$2" "$1";;
list)
  cd "$1" || exit 1
  for f in * .*; do
    case $f in .|..) continue;; esac
    if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
  done;;
rm) rm -rf "$1";;
read) exec cat "$1";;
write) t="$1.cuttle-part"; cat > "$t" && chmod "$2" "$t" && mv -f "$t" "$1";;
real)
  p=$1; n=0
  while [ -L "$p" ] && [ $n -lt 40 ]; do
    l=$(ls -ld "$p"); t=${l#* -> }
    case $t in /*) p=$t;; *) p=${p%/*}/$t;; esac
    n=$((n+1))
  done
  if [ -d "$p" ]; then cd "$p" && pwd -P; exit; fi
  d=${p%/*}; b=${p##*/}; [ -n "$d" ] || d=/
  if cd "$d" 2>/dev/null; then r=$(pwd -P); [ "$r" = / ] && r=; printf '%s/%s\n' "$r" "$b"
  else printf '%s\n' "$p"; fi;;
*) exit 2;;
esac
)SH";

std::string octal(std::uint32_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%o", mode & 07777);
  return text;
}

std::vector<std::string> helper_argv(const std::string& op, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/bin/sh", "-c", kHelper, "sh", op};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

class PodReader : public FileReader {
 public:
  PodReader(const PodTarget& target, const std::string& path)
      : command_(target, helper_argv("read", {path}), false), path_(path) {}
  std::size_t read(char* buffer, std::size_t size) override {
    std::size_t n = command_.read(buffer, size);
    if (n == 0) {
      int code = command_.wait();
      if (code != 0) {
        throw StagingFailed("cannot read " + path_ + " in " + command_.describe() + ": " +
                            command_.stderr_text());
      }
    }
    return n;
  }

 private:
  PodCommand command_;
  std::string path_;
};

class PodWriter : public FileWriter {
 public:
  PodWriter(const PodTarget& target, const std::string& path, std::uint32_t mode)
      : command_(target, helper_argv("write", {path, octal(mode)}), true), path_(path) {}
  void write(const char* data, std::size_t size) override { command_.write(data, size); }
  void commit() override {
    int code = command_.wait();
    if (code != 0) {
      throw StagingFailed("cannot write " + path_ + " in " + command_.describe() + ": " +
                          command_.stderr_text());
    }
  }

 private:
  PodCommand command_;
  std::string path_;
};

}  // namespace

std::pair<int, std::string> PodFileSystem::helper(const std::string& op,
                                                  const std::vector<std::string>& args,
                                                  const std::string& input,
                                                  std::initializer_list<int> accepted) {
  std::string err;
  auto [code, out] = run_in_pod(target_, helper_argv(op, args), input, &err);
  for (int ok : accepted) {
    if (code == ok) return {code, out};
  }
  throw StagingFailed(op + " " + (args.empty() ? "" : args[0]) + " in pod " + target_.pod +
                      " failed (exit " + std::to_string(code) + "): " + err);
}

std::optional<FileInfo> PodFileSystem::stat(const std::string& path) {
  auto [code, out] = helper("stat", {path}, {}, {0, 3});
  if (code == 3) return std::nullopt;
  FileInfo info;
  char type = 0;
  unsigned long long size = 0;
  unsigned mode = 0;
  if (std::sscanf(out.c_str(), "%c %llu %o", &type, &size, &mode) != 3) {
    throw StagingFailed("stat " + path + " in pod " + target_.pod + ": unexpected answer");
  }
  info.type = type == 'd'   ? FileInfo::Type::kDirectory
              : type == 'l' ? FileInfo::Type::kSymlink
              : type == 'f' ? FileInfo::Type::kFile
                            : FileInfo::Type::kOther;
  info.size = size;
  info.mode = mode;
  return info;
}

void PodFileSystem::create_directories(const std::string& path, std::uint32_t mode) {
  helper("mkdir", {path, octal(mode)});
}

std::vector<std::string> PodFileSystem::list(const std::string& directory) {
  std::string out = helper("list", {directory}).second;
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t end = out.find('\0', start);
    if (end == std::string::npos) end = out.size();
    names.push_back(out.substr(start, end - start));
    start = end + 1;
  }
  return names;
}

void PodFileSystem::remove_all(const std::string& path) { helper("rm", {path}); }

std::string PodFileSystem::read_file(const std::string& path) {
  return helper("read", {path}).second;
}

void PodFileSystem::write_file(const std::string& path, const std::string& content,
                               std::uint32_t mode) {
  auto writer = open_write(path, mode);
  writer->write(content.data(), content.size());
  writer->commit();
}

std::string PodFileSystem::real_path(const std::string& path) {
  std::string out = helper("real", {path}).second;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::unique_ptr<FileReader> PodFileSystem::open_read(const std::string& path) {
  return std::make_unique<PodReader>(target_, path);
}

std::unique_ptr<FileWriter> PodFileSystem::open_write(const std::string& path, std::uint32_t mode) {
  return std::make_unique<PodWriter>(target_, path, mode);
}

}  // namespace cuttle::detail
