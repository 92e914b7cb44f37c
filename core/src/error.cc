// Out-of-line parts of the error hierarchy.
#include "cuttle/error.h"

#include "cuttle/shell.h"

namespace cuttle {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
      return "invalid argument";
    case ErrorKind::kInvalidJobDescription:
      return "invalid job description";
    case ErrorKind::kNoSuchJob:
      return "no such job";
    case ErrorKind::kAuthenticationFailed:
      return "authentication failed";
    case ErrorKind::kConnectionFailed:
      return "connection failed";
    case ErrorKind::kCommandFailed:
      return "command failed";
    case ErrorKind::kUnsupported:
      return "unsupported";
    case ErrorKind::kStagingFailed:
      return "staging failed";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kInternal:
      return "internal error";
  }
  return "error";
}

namespace {

std::string describe_command_failure(const std::vector<std::string>& argv, int exit_code,
                                     const std::string& stderr_text) {
  std::string printable;
  for (const auto& arg : argv) {
    if (!printable.empty()) printable += ' ';
    // quote() refuses NUL; a command line never carries one, but stay total here.
    printable += arg.find('\0') == std::string::npos ? quote(arg) : "'<binary>'";
  }
  std::string message = "command `" + printable + "` exited " + std::to_string(exit_code);
  std::string trimmed = stderr_text;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) trimmed.pop_back();
  if (trimmed.size() > 2000) trimmed = trimmed.substr(0, 2000) + "...";
  if (!trimmed.empty()) message += ": " + trimmed;
  return message;
}

}  // namespace

CommandFailed::CommandFailed(std::vector<std::string> argv, int exit_code, std::string stderr_text)
    : Error(ErrorKind::kCommandFailed, describe_command_failure(argv, exit_code, stderr_text)),
      argv_(std::move(argv)),
      exit_code_(exit_code),
      stderr_(std::move(stderr_text)) {}

}  // namespace cuttle
