// The `cuttle` command: one line a human understands on stderr for every error, and with
// --json also exactly one JSON document on stdout saying what failed and the exit code.
#include <algorithm>
#include <iostream>

#include "bindings/cli/commands.h"
#include "bindings/cli/help.h"
#include "cuttle/cuttle.h"
#ifdef CUTTLE_WITH_REST
#include "bindings/rest/serve.h"
#include "bindings/rest/service_allocator.h"
#endif

namespace {

// --json before `--` (after it, the word belongs to the job's command).
bool wants_json(const std::vector<std::string>& args) {
  auto end = std::find(args.begin(), args.end(), "--");
  return std::find(args.begin(), end, "--json") != end;
}

// Errors are promised as one line: a scheduler's multi-line stderr is folded into it.
std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += " | ";
    } else if (c != '\r') {
      out += c;
    }
  }
  return out;
}

int fail(bool json, int code, const std::string& kind, const std::string& message) {
  const std::string line = one_line(message);
  std::cerr << "cuttle: " << line << "\n";
  if (json) {
    cuttle::cli::print_json({{"error", {{"kind", kind}, {"message", line}}}, {"exit_code", code}});
  }
  return code;
}

int run(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "serve") {
#ifdef CUTTLE_WITH_REST
    return cuttle::rest::serve_main({args.begin() + 1, args.end()});
#else
    std::cerr << "cuttle: this build has no REST service\n";
    return 2;
#endif
  }
  cuttle::cli::Options options = cuttle::cli::parse_options(args);
  if (options.version) options.verb = "version";
  if (options.verb.empty() && !options.help) {
    std::cerr << cuttle::cli::usage();
    return 2;
  }
  if (options.help) {
    std::cout << (options.verb.empty() || options.verb == "help"
                      ? cuttle::cli::usage()
                      : cuttle::cli::usage(options.verb));
    return 0;
  }
  return cuttle::cli::run_command(options);
}

}  // namespace

int main(int argc, char** argv) {
#ifdef CUTTLE_WITH_REST
  // Before any thread: may re-execute this binary (see service_allocator.h).
  if (argc > 1 && std::string(argv[1]) == "serve") cuttle::rest::use_service_allocator(argv);
#endif
  std::vector<std::string> args(argv + 1, argv + argc);
  const bool json = wants_json(args);
  try {
    return run(args);
  } catch (const cuttle::InvalidArgument& e) {
    return fail(json, 2, cuttle::to_string(e.kind()), e.what());
  } catch (const cuttle::InvalidJobDescription& e) {
    return fail(json, 2, cuttle::to_string(e.kind()), std::string("invalid job: ") + e.what());
  } catch (const cuttle::Error& e) {
    // Name the kind of failure unless the message already starts with it.
    const std::string kind = cuttle::to_string(e.kind());
    const std::string message = e.what();
    return fail(json, 1, kind, (message.rfind(kind, 0) == 0 ? "" : kind + ": ") + message);
  } catch (const std::exception& e) {
    return fail(json, 1, "internal", e.what());
  }
}
