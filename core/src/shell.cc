// The one shell-quoting function.
#include "cuttle/shell.h"

#include "cuttle/error.h"

namespace cuttle {

std::string quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '\'';
  for (char c : text) {
    if (c == '\0') throw InvalidArgument("a NUL byte cannot be passed through a shell word");
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

std::string quote_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    out += quote(arg);
  }
  return out;
}

}  // namespace cuttle
