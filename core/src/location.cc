// The one location parser: scheme[+transport]://[user@]host[:port][/path][?k=v&...].
#include "cuttle/location.h"

#include <cctype>

#include "cuttle/error.h"
#include "internal/split.h"

namespace cuttle {
namespace {

constexpr std::size_t kMaxLength = 4096;

[[noreturn]] void fail(std::string_view uri, const std::string& reason) {
  std::string shown(uri.substr(0, 200));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  throw InvalidArgument("invalid location '" + shown + "': " + reason);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode(std::string_view uri, std::string_view text, const char* part) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) {
      fail(uri, std::string("truncated percent escape in ") + part);
    }
    int hi = hex_value(text[i + 1]);
    int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) fail(uri, std::string("bad percent escape in ") + part);
    char decoded = static_cast<char>(hi * 16 + lo);
    if (decoded == '\0' || static_cast<unsigned char>(decoded) < 0x20) {
      fail(uri, std::string("control character in ") + part);
    }
    out += decoded;
    i += 2;
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool valid_scheme_word(std::string_view word) {
  if (word.empty() || !std::isalpha(static_cast<unsigned char>(word[0]))) return false;
  for (char c : word) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return true;
}

bool valid_host(std::string_view host) {
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  return true;
}

bool valid_ipv6(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
  }
  return host.find(':') != std::string_view::npos;
}

// Percent-encodes everything outside the unreserved set plus the given extra characters.
std::string encode(std::string_view text, std::string_view keep) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' ||
        keep.find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

void parse_query(std::string_view uri, std::string_view query,
                 std::map<std::string, std::string>& out) {
  for (std::string_view pair : detail::split_on(query, '&')) {
    if (!pair.empty()) {
      std::size_t eq = pair.find('=');
      std::string key = decode(uri, pair.substr(0, eq), "query key");
      std::string value =
          eq == std::string_view::npos ? "" : decode(uri, pair.substr(eq + 1), "query value");
      if (key.empty()) fail(uri, "empty query key");
      if (!out.emplace(key, value).second) fail(uri, "query key '" + key + "' given twice");
    }
  }
}

}  // namespace

Location Location::parse(std::string_view uri) {
  if (uri.size() > kMaxLength) fail(uri, "longer than 4096 characters");
  for (char c : uri) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u == 0x7f) fail(uri, "contains a space or control character");
  }
  std::size_t sep = uri.find("://");
  if (sep == std::string_view::npos) fail(uri, "expected scheme://... (e.g. local://, ssh://host)");
  Location loc;
  std::string_view scheme = uri.substr(0, sep);
  std::size_t plus = scheme.find('+');
  std::string_view main = scheme.substr(0, plus);
  std::string_view transport = plus == std::string_view::npos ? "" : scheme.substr(plus + 1);
  if (!valid_scheme_word(main))
    fail(uri, "the scheme must start with a letter: letters, digits, '-', '.'");
  if (plus != std::string_view::npos && !valid_scheme_word(transport)) {
    fail(uri, "the transport after '+' must be a word like 'ssh'");
  }
  loc.scheme = lower(main);
  loc.transport = lower(transport);

  std::string_view rest = uri.substr(sep + 3);
  if (rest.find('#') != std::string_view::npos) fail(uri, "fragments ('#') are not allowed");
  std::size_t query_at = rest.find('?');
  std::string_view query = query_at == std::string_view::npos ? "" : rest.substr(query_at + 1);
  rest = rest.substr(0, query_at);
  std::size_t path_at = rest.find('/');
  std::string_view authority = rest.substr(0, path_at);
  std::string_view path = path_at == std::string_view::npos ? "" : rest.substr(path_at);

  std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    if (userinfo.find(':') != std::string_view::npos) {
      fail(uri, "a password does not belong in a location; pass a Credential");
    }
    loc.user = decode(uri, userinfo, "user");
    if (loc.user.empty()) fail(uri, "empty user before '@'");
    authority = authority.substr(at + 1);
  }
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) fail(uri, "unterminated '[' in IPv6 host");
    std::string_view host = authority.substr(1, close - 1);
    if (!valid_ipv6(host)) fail(uri, "'" + std::string(host) + "' is not an IPv6 address");
    loc.host = lower(host);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') fail(uri, "unexpected text after ']'");
      port = after.substr(1);
      if (port.empty()) fail(uri, "empty port after ':'");
    }
  } else {
    std::size_t colon = authority.find(':');
    std::string_view host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) fail(uri, "empty port after ':'");
    }
    std::string decoded = decode(uri, host, "host");
    if (!valid_host(decoded)) fail(uri, "the host may hold letters, digits, '-', '.' and '_' only");
    loc.host = lower(decoded);
  }
  if (!port.empty()) {
    unsigned long value = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) fail(uri, "the port must be a number");
      value = value * 10 + static_cast<unsigned long>(c - '0');
      if (value > 65535) fail(uri, "the port must be between 1 and 65535");
    }
    if (value == 0) fail(uri, "the port must be between 1 and 65535");
    loc.port = static_cast<std::uint16_t>(value);
  }
  if (loc.host.empty() && (!loc.user.empty() || loc.port)) {
    fail(uri, "a user or port needs a host");
  }
  loc.path = decode(uri, path, "path");
  if (loc.path == "/") loc.path.clear();
  parse_query(uri, query, loc.query);
  // The canonical text percent-encodes what the input may have written bare ("!", "$", a
  // non-ASCII byte: three characters each), so it can outgrow the input. It is what gets
  // stored and parsed again, so it is held to the same limit: whatever parses, re-parses.
  if (loc.to_string().size() > kMaxLength) {
    fail(uri, "longer than 4096 characters once percent-encoded");
  }
  return loc;
}

std::string Location::full_scheme() const {
  return transport.empty() ? scheme : scheme + "+" + transport;
}

std::string Location::to_string() const {
  std::string out = full_scheme() + "://";
  if (!user.empty()) out += encode(user, "") + "@";
  // Appended piecewise: GCC 12 at -O3 warns (-Wrestrict, a false positive) on
  // `"literal" + std::string` temporaries here.
  if (host.find(':') != std::string::npos) {
    out += '[';
    out += host;
    out += ']';
  } else {
    out += encode(host, "");
  }
  if (port) {
    out += ':';
    out += std::to_string(*port);
  }
  out += encode(path, "/");
  char separator = '?';
  for (const auto& [key, value] : query) {
    out += separator;
    out += encode(key, "") + "=" + encode(value, ",:@");
    separator = '&';
  }
  return out;
}

}  // namespace cuttle
