// MAC access authentication for status callbacks (draft-ietf-oauth-v2-http-mac, as the
// joblauncher uses it): the normalized request string
//   ts\nnonce\nMETHOD\npath\nhost\nport\n\n
// signed with HMAC-SHA-1 (default) or HMAC-SHA-256 and base64-encoded, sent as
//   Authorization: MAC id="...",ts="...",nonce="...",mac="..."
// Thread-safety: pure functions (make_nonce draws from a thread-safe random source).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bindings/rest/config.h"

namespace cuttle::rest {

std::string mac_normalized_string(const std::string& ts, const std::string& nonce,
                                  const std::string& method, const std::string& path,
                                  const std::string& host, std::uint16_t port);
// base64(HMAC(key, text)); algorithm "hmac-sha-1" or "hmac-sha-256".
std::string mac_sign(const std::string& algorithm, const std::string& key, const std::string& text);
std::string make_nonce();

// The full header value for one request.
std::string mac_authorization(const MacKey& key, const std::string& method, const std::string& path,
                              const std::string& host, std::uint16_t port,
                              std::int64_t unix_seconds, const std::string& nonce);

// The key whose scope is "host:port" (case-insensitive host), else a "*" key.
const MacKey* find_mac_key(const std::vector<MacKey>& keys, const std::string& host,
                           std::uint16_t port);

// Parses `MAC id="..",ts="..",nonce="..",mac=".."` into its fields (for servers and tests).
std::optional<std::map<std::string, std::string>> parse_mac_header(const std::string& value);

// Constant-time comparison of two strings.
bool constant_time_equal(const std::string& a, const std::string& b);

}  // namespace cuttle::rest
