// A small ssh_config reader: Host blocks with glob patterns and negation, the keywords
// Cuttle honours, first value wins. Match and Include blocks are skipped (never matched).
#include "adaptors/ssh/ssh_config.h"

#include <fnmatch.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "adaptors/ssh/ssh_settings.h"
#include "cuttle/error.h"
#include "internal/split.h"

namespace cuttle::detail {
namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Splits a config line into words; double quotes group, "key=value" splits at '='.
std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::string current;
  bool quoted = false, have = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '"') {
      quoted = !quoted;
      have = true;
    } else if (!quoted &&
               (std::isspace(static_cast<unsigned char>(c)) || (c == '=' && out.empty()))) {
      if (have) out.push_back(current);
      current.clear();
      have = false;
    } else {
      current += c;
      have = true;
    }
  }
  if (have) out.push_back(current);
  return out;
}

bool host_matches(const std::vector<std::string>& patterns, const std::string& alias) {
  bool matched = false;
  for (std::size_t i = 1; i < patterns.size(); ++i) {
    std::string pattern = patterns[i];
    bool negated = !pattern.empty() && pattern[0] == '!';
    if (negated) pattern.erase(0, 1);
    if (fnmatch(pattern.c_str(), alias.c_str(), 0) == 0) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

std::optional<std::uint16_t> parse_port(const std::string& text, const std::string& what) {
  if (text.empty() || text.size() > 5) throw InvalidArgument(what + ": bad port '" + text + "'");
  unsigned long value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      throw InvalidArgument(what + ": bad port '" + text + "'");
    }
    value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (value == 0 || value > 65535) throw InvalidArgument(what + ": bad port '" + text + "'");
  return static_cast<std::uint16_t>(value);
}

// %h %u %% %d tokens of IdentityFile.
std::string expand_tokens(const std::string& text, const std::string& host,
                          const std::string& user) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    char t = text[++i];
    if (t == 'h')
      out += host;
    else if (t == 'u' || t == 'r')
      out += user;
    else if (t == 'd')
      out += expand_home("~");
    else if (t == '%')
      out += '%';
    else {
      out += '%';
      out += t;
    }
  }
  return expand_home(out);
}

}  // namespace

std::string Endpoint::describe() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return user + "@" + h + ":" + std::to_string(port);
}

HostConfig parse_host_config(const std::string& text, const std::string& alias) {
  HostConfig config;
  std::istringstream in(text);
  std::string line;
  bool active = true;  // lines before the first Host block apply to every host
  while (std::getline(in, line)) {
    std::vector<std::string> w = words(line);
    if (w.empty() || w[0][0] == '#') continue;
    std::string keyword = lower(w[0]);
    if (keyword == "host") {
      active = host_matches(w, alias);
      continue;
    }
    if (keyword == "match") {
      active = false;
      continue;
    }
    if (!active || w.size() < 2) continue;
    const std::string& value = w[1];
    if (keyword == "hostname" && config.host_name.empty()) {
      config.host_name = value;
    } else if (keyword == "user" && config.user.empty()) {
      config.user = value;
    } else if (keyword == "port" && !config.port) {
      config.port = parse_port(value, "ssh config Port for " + alias);
    } else if (keyword == "identityfile") {
      config.identity_files.push_back(value);
    } else if (keyword == "proxyjump" && config.proxy_jump.empty()) {
      config.proxy_jump = value;
    }
  }
  if (config.host_name.find("%h") != std::string::npos) {
    std::string expanded;
    for (std::size_t i = 0; i < config.host_name.size(); ++i) {
      if (config.host_name.compare(i, 2, "%h") == 0) {
        expanded += alias;
        ++i;
      } else {
        expanded += config.host_name[i];
      }
    }
    config.host_name = expanded;
  }
  return config;
}

HostConfig read_host_config(const std::string& config_file, const std::string& alias) {
  if (config_file.empty()) return {};
  std::ifstream in(config_file);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return parse_host_config(text.str(), alias);
}

std::vector<JumpSpec> parse_jump_list(const std::string& text) {
  std::vector<JumpSpec> jumps;
  for (std::string_view piece : split_on(text, ',')) {
    std::string item(piece);
    const std::string what = "jump host '" + item + "'";
    if (item.empty()) throw InvalidArgument("empty jump host in '" + text + "'");
    if (item.rfind("ssh://", 0) == 0) item = item.substr(6);
    JumpSpec spec;
    std::size_t at = item.rfind('@');
    if (at != std::string::npos) {
      spec.user = item.substr(0, at);
      item = item.substr(at + 1);
    }
    if (!item.empty() && item[0] == '[') {
      std::size_t close = item.find(']');
      if (close == std::string::npos) throw InvalidArgument(what + ": unterminated '['");
      spec.host = item.substr(1, close - 1);
      std::string rest = item.substr(close + 1);
      if (!rest.empty()) {
        if (rest[0] != ':') throw InvalidArgument(what + ": unexpected text after ']'");
        spec.port = parse_port(rest.substr(1), what);
      }
    } else {
      std::size_t colon = item.find(':');
      spec.host = item.substr(0, colon);
      if (colon != std::string::npos) spec.port = parse_port(item.substr(colon + 1), what);
    }
    if (spec.host.empty()) throw InvalidArgument(what + ": empty host");
    for (char c : spec.host + spec.user) {
      if (std::iscntrl(static_cast<unsigned char>(c)) || c == ' ' || c == '/') {
        throw InvalidArgument(what + ": invalid character");
      }
    }
    jumps.push_back(std::move(spec));
  }
  return jumps;
}

Endpoint resolve_endpoint(const std::string& alias, const std::string& user,
                          std::optional<std::uint16_t> port, const std::string& config_file) {
  HostConfig config = read_host_config(config_file, alias);
  Endpoint endpoint;
  endpoint.host = config.host_name.empty() ? alias : config.host_name;
  endpoint.user = !user.empty() ? user : !config.user.empty() ? config.user : local_user_name();
  endpoint.port = port ? *port : config.port ? *config.port : 22;
  for (const std::string& file : config.identity_files) {
    endpoint.identity_files.push_back(expand_tokens(file, endpoint.host, endpoint.user));
  }
  return endpoint;
}

Route resolve_route(const Location& location, const Credential& credential,
                    const std::string& config_file) {
  if (location.host.empty())
    throw InvalidArgument("an ssh location needs a host: " + location.to_string());
  Route route;
  std::string user = !credential.user.empty() ? credential.user : location.user;
  route.target = resolve_endpoint(location.host, user, location.port, config_file);
  std::string jump_text;
  if (auto it = location.query.find("jump"); it != location.query.end()) {
    jump_text = it->second;
  } else {
    jump_text = read_host_config(config_file, location.host).proxy_jump;
  }
  if (!jump_text.empty() && lower(jump_text) != "none") {
    for (const JumpSpec& spec : parse_jump_list(jump_text)) {
      route.jumps.push_back(resolve_endpoint(spec.host, spec.user, spec.port, config_file));
    }
  }
  return route;
}

}  // namespace cuttle::detail
