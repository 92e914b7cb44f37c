// Paths as text: the lexical helpers the sandbox, the local file system and the SFTP file
// system share. Nothing here touches a file system; confinement against symlinks is the
// sandbox's second check (core/src/sandbox.cc).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cuttle::detail {

// "/a/b" -> "/a", "/a" -> "/", "a" -> ".".
std::string parent_of(const std::string& path);
// "/a/b" -> "b", "b" -> "b".
std::string base_of(const std::string& path);
// `name` under `directory` ("/" between them, not doubled); an absolute `name`, or an
// empty directory, gives `name` itself.
std::string join_path(const std::string& directory, const std::string& name);

// The segments of `path` with empty and "." segments dropped and each ".." applied to the
// segment before it. A ".." with nothing before it is dropped and sets `climbed_out`.
// The views point into `path`.
std::vector<std::string_view> resolve_segments(std::string_view path, bool& climbed_out);

// Segments joined by '/', with a leading '/' when `absolute`; "/" or "" when empty.
std::string join_segments(const std::vector<std::string_view>& segments, bool absolute);

}  // namespace cuttle::detail
