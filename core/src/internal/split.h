// Splitting text on a one-character separator: the loop the location's query, the mount
// and path checks and the adaptors' list values (PATH, KUBECONFIG, ProxyJump) share.
// Thread-safety: pure function.
#pragma once

#include <string_view>
#include <vector>

namespace cuttle::detail {

// Every piece of `text` between separators, empty pieces kept (callers decide what an
// empty one means): "a,,b" -> {"a", "", "b"}, "" -> {""}. The views point into `text`.
inline std::vector<std::string_view> split_on(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  std::size_t start = 0;
  for (std::size_t end = text.find(separator); end != std::string_view::npos;
       end = text.find(separator, start)) {
    pieces.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  pieces.push_back(text.substr(start));
  return pieces;
}

}  // namespace cuttle::detail
