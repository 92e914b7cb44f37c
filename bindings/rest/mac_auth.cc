#include "bindings/rest/mac_auth.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>

namespace cuttle::rest {

std::string mac_normalized_string(const std::string& ts, const std::string& nonce,
                                  const std::string& method, const std::string& path,
                                  const std::string& host, std::uint16_t port) {
  return ts + "\n" + nonce + "\n" + method + "\n" + path + "\n" + host + "\n" +
         std::to_string(port) + "\n" + "\n";
}

namespace {

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

std::string mac_sign(const std::string& algorithm, const std::string& key,
                     const std::string& text) {
  const EVP_MD* md = algorithm == "hmac-sha-256" ? EVP_sha256() : EVP_sha1();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest, &length);
  return base64(digest, length);
}

std::string make_nonce() {
  unsigned char bytes[12];
  RAND_bytes(bytes, sizeof bytes);
  std::string out = base64(bytes, sizeof bytes);
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  return out;
}

std::string mac_authorization(const MacKey& key, const std::string& method, const std::string& path,
                              const std::string& host, std::uint16_t port,
                              std::int64_t unix_seconds, const std::string& nonce) {
  const std::string ts = std::to_string(unix_seconds);
  const std::string mac =
      mac_sign(key.algorithm, key.key, mac_normalized_string(ts, nonce, method, path, host, port));
  return "MAC id=\"" + key.id + "\",ts=\"" + ts + "\",nonce=\"" + nonce + "\",mac=\"" + mac + "\"";
}

const MacKey* find_mac_key(const std::vector<MacKey>& keys, const std::string& host,
                           std::uint16_t port) {
  std::string wanted = host + ":" + std::to_string(port);
  std::transform(wanted.begin(), wanted.end(), wanted.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const MacKey* any = nullptr;
  for (const auto& key : keys) {
    std::string scope = key.scope;
    std::transform(scope.begin(), scope.end(), scope.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scope == wanted) return &key;
    if (scope == "*" && !any) any = &key;
  }
  return any;
}

std::optional<std::map<std::string, std::string>> parse_mac_header(const std::string& value) {
  if (value.rfind("MAC ", 0) != 0) return std::nullopt;
  std::map<std::string, std::string> fields;
  std::size_t i = 4;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ' ' || value[i] == ',')) ++i;
    if (i >= value.size()) break;
    const auto eq = value.find('=', i);
    if (eq == std::string::npos || eq + 1 >= value.size() || value[eq + 1] != '"')
      return std::nullopt;
    const std::string name = value.substr(i, eq - i);
    const auto close = value.find('"', eq + 2);
    if (close == std::string::npos) return std::nullopt;
    fields[name] = value.substr(eq + 2, close - eq - 2);
    i = close + 1;
  }
  for (const char* required : {"id", "ts", "nonce", "mac"}) {
    if (!fields.count(required)) return std::nullopt;
  }
  return fields;
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace cuttle::rest
