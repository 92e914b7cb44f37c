// The `cuttle` command: one line a human understands on stderr for every error.
#include <iostream>

#include "bindings/cli/commands.h"
#include "cuttle/cuttle.h"
#ifdef CUTTLE_WITH_REST
#include "bindings/rest/serve.h"
#endif

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (!args.empty() && args[0] == "serve") {
#ifdef CUTTLE_WITH_REST
      return cuttle::rest::serve_main({args.begin() + 1, args.end()});
#else
      std::cerr << "cuttle: this build has no REST service\n";
      return 2;
#endif
    }
    cuttle::cli::Options options = cuttle::cli::parse_options(args);
    if (options.help || options.verb.empty() || options.verb == "help") {
      std::cout << cuttle::cli::kUsage;
      return options.verb.empty() && !options.help ? 2 : 0;
    }
    if (options.verb == "version") {
      std::cout << "cuttle " << cuttle::kVersion << "\n";
      return 0;
    }
    return cuttle::cli::run_command(options);
  } catch (const cuttle::InvalidArgument& e) {
    std::cerr << "cuttle: " << e.what() << "\n";
    return 2;
  } catch (const cuttle::InvalidJobDescription& e) {
    std::cerr << "cuttle: invalid job: " << e.what() << "\n";
    return 2;
  } catch (const cuttle::Error& e) {
    // Name the kind of failure unless the message already starts with it.
    const std::string kind = cuttle::to_string(e.kind());
    const std::string message = e.what();
    std::cerr << "cuttle: " << (message.rfind(kind, 0) == 0 ? "" : kind + ": ") << message << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "cuttle: " << e.what() << "\n";
    return 1;
  }
}
