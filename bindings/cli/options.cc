// Flag parsing: every flag that takes a value names itself in its error.
#include "bindings/cli/options.h"

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "cuttle/container.h"
#include "cuttle/error.h"
#include "cuttle/job_description_json.h"
#include "cuttle/properties.h"

namespace cuttle::cli {

namespace {

std::pair<std::string, std::string> key_value(const std::string& flag, const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw InvalidArgument(flag + ": expected KEY=VALUE, got '" + text + "'");
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

int positive_int(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 0 || value > 1'000'000) {
    throw InvalidArgument(flag + ": expected a non-negative whole number, got '" + text + "'");
  }
  return static_cast<int>(value);
}

std::string env_value(const std::string& flag, const std::string& var) {
  const char* value = std::getenv(var.c_str());
  if (value == nullptr)
    throw InvalidArgument(flag + ": environment variable " + var + " is not set");
  return value;
}

StagingEntry staging(const std::string& text) {
  auto colon = text.find(':');
  if (colon == std::string::npos) return {text, ""};
  return {text.substr(0, colon), text.substr(colon + 1)};
}

template <typename F>
auto with_flag(const std::string& flag, F parse) {
  try {
    return parse();
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(flag + ": " + e.what());
  }
}

// "N" or "TYPE:N", Slurm's --gpus form.
void gpus(Options& o, const std::string& text) {
  const auto colon = text.rfind(':');
  o.job.gpu_type = colon == std::string::npos ? "" : text.substr(0, colon);
  const int count = positive_int("--gpus", text.substr(colon + 1));
  if (count == 0) throw InvalidArgument("--gpus: at least 1 (leave the flag out for none)");
  o.job.gpus = count;
}

using Handler = std::function<void(Options&, const std::string&)>;

const std::map<std::string, Handler>& value_flags() {
  static const std::map<std::string, Handler> flags = {
      {"--property",
       [](Options& o, const std::string& v) {
         auto [k, val] = key_value("--property", v);
         o.scheduler.properties[k] = val;
       }},
      {"--identity",
       [](Options& o, const std::string& v) {
         o.scheduler.credential.kind = Credential::Kind::kKeyFile;
         o.scheduler.credential.key_file = v;
       }},
      {"--passphrase-env",
       [](Options& o, const std::string& v) {
         o.scheduler.credential.secret = env_value("--passphrase-env", v);
       }},
      {"--password-env",
       [](Options& o, const std::string& v) {
         o.scheduler.credential.kind = Credential::Kind::kPassword;
         o.scheduler.credential.secret = env_value("--password-env", v);
       }},
      {"--token-env",
       [](Options& o, const std::string& v) {
         o.scheduler.credential.kind = Credential::Kind::kToken;
         o.scheduler.credential.secret = env_value("--token-env", v);
       }},
      {"--user", [](Options& o, const std::string& v) { o.scheduler.credential.user = v; }},
      {"--name", [](Options& o, const std::string& v) { o.job.name = v; }},
      {"--env",
       [](Options& o, const std::string& v) {
         auto [k, val] = key_value("--env", v);
         o.job.environment[k] = val;
       }},
      {"--cwd", [](Options& o, const std::string& v) { o.job.working_directory = v; }},
      {"--stdin", [](Options& o, const std::string& v) { o.job.stdin_path = v; }},
      {"--stdout", [](Options& o, const std::string& v) { o.job.stdout_path = v; }},
      {"--stderr", [](Options& o, const std::string& v) { o.job.stderr_path = v; }},
      {"--queue",
       [](Options& o, const std::string& v) {
         o.job.queue = v;
         o.queue_filter = v;
       }},
      {"--max-runtime",
       [](Options& o, const std::string& v) {
         auto ms = with_flag("--max-runtime", [&] { return parse_duration(v); });
         o.job.max_runtime = std::chrono::duration_cast<std::chrono::seconds>(ms);
         if (o.job.max_runtime->count() == 0) throw InvalidArgument("--max-runtime: at least 1s");
       }},
      {"--nodes",
       [](Options& o, const std::string& v) { o.job.nodes = positive_int("--nodes", v); }},
      {"--tasks",
       [](Options& o, const std::string& v) { o.job.tasks = positive_int("--tasks", v); }},
      {"--cores-per-task",
       [](Options& o, const std::string& v) {
         o.job.cores_per_task = positive_int("--cores-per-task", v);
       }},
      {"--memory",
       [](Options& o, const std::string& v) {
         o.job.memory_bytes = with_flag("--memory", [&] { return parse_size(v); });
       }},
      {"--gpus", gpus},
      {"--account", [](Options& o, const std::string& v) { o.job.account = v; }},
      {"--qos", [](Options& o, const std::string& v) { o.job.qos = v; }},
      {"--reservation", [](Options& o, const std::string& v) { o.job.reservation = v; }},
      {"--constraint", [](Options& o, const std::string& v) { o.job.constraints.push_back(v); }},
      {"--after",
       [](Options& o, const std::string& v) {
         o.job.dependencies.push_back(parse_dependency(
             v, "--after (dependencies[" + std::to_string(o.job.dependencies.size()) + "])"));
       }},
      {"--array", [](Options& o, const std::string& v) { o.job.array = ArraySpec::parse(v); }},
      {"--launcher", [](Options& o, const std::string& v) { o.job.launcher = v; }},
      {"--pre-launch", [](Options& o, const std::string& v) { o.job.pre_launch = v; }},
      {"--post-launch", [](Options& o, const std::string& v) { o.job.post_launch = v; }},
      {"--module", [](Options& o, const std::string& v) { o.job.modules.push_back(v); }},
      {"--scheduler-arg",
       [](Options& o, const std::string& v) { o.job.scheduler_arguments.push_back(v); }},
      {"--image", [](Options& o, const std::string& v) { o.job.container_image = v; }},
      {"--container-runtime",
       [](Options& o, const std::string& v) {
         o.job.container.runtime =
             with_flag("--container-runtime", [&] { return parse_container_runtime(v); });
       }},
      {"--mount",
       [](Options& o, const std::string& v) {
         o.job.container.mounts.push_back(
             with_flag("--mount", [&] { return parse_container_mount(v); }));
       }},
      {"--network",
       [](Options& o, const std::string& v) {
         if (v != "on" && v != "off")
           throw InvalidArgument("--network: expected on or off, got '" + v + "'");
         o.job.container.network = v == "on";
       }},
      {"--container-user", [](Options& o, const std::string& v) { o.job.container.user = v; }},
      {"--retry",
       [](Options& o, const std::string& v) { o.job.retry_limit = positive_int("--retry", v); }},
      {"--label",
       [](Options& o, const std::string& v) {
         auto [k, val] = key_value("--label", v);
         o.job.labels[k] = val;
       }},
      {"--stage-in",
       [](Options& o, const std::string& v) { o.job.stage_in.push_back(staging(v)); }},
      {"--stage-out",
       [](Options& o, const std::string& v) { o.job.stage_out.push_back(staging(v)); }},
      {"--timeout",
       [](Options& o, const std::string& v) {
         o.timeout = with_flag("--timeout", [&] { return parse_duration(v); });
       }},
      {"--from", [](Options& o, const std::string& v) { o.from_file = v; }},
      {"--older-than",
       [](Options& o, const std::string& v) {
         o.older_than = with_flag("--older-than", [&] { return parse_duration(v); });
       }},
      {"--limit",
       [](Options& o, const std::string& v) {
         o.limit = static_cast<std::size_t>(positive_int("--limit", v));
       }},
  };
  return flags;
}

JobDescription read_job_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InvalidArgument("--from: cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return job_description_from_json(text.str());
  } catch (const InvalidJobDescription& e) {
    throw InvalidArgument("--from " + path + ": " + e.what());
  }
}

const char* const kSwitches[] = {"--help",   "--version", "--wait",      "--json",
                                 "--follow", "--dry-run", "--exclusive", "--no-inherit-environment",
                                 "-h",       "-V",        "-f",          "-p"};

}  // namespace

std::vector<std::string> known_flags() {
  std::vector<std::string> flags(std::begin(kSwitches), std::end(kSwitches));
  for (const auto& [flag, handler] : value_flags()) flags.push_back(flag);
  return flags;
}

namespace {

// One pass over the arguments, on top of `o` (empty, or the job read from --from).
Options parse_onto(const std::vector<std::string>& args, Options o) {
  std::size_t i = 0;
  if (i < args.size() && !args[i].empty() && args[i][0] != '-') o.verb = args[i++];
  for (; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--") {
      o.command.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (arg == "-h" || arg == "--help") {
      o.help = true;
      continue;
    }
    if (arg == "-V" || arg == "--version") {
      o.version = true;
      continue;
    }
    if (arg == "-f" || arg == "--follow") {
      o.follow = true;
      continue;
    }
    if (arg == "--dry-run") {
      o.dry_run = true;
      continue;
    }
    if (arg == "--exclusive") {
      o.job.exclusive_nodes = true;
      continue;
    }
    if (arg == "--no-inherit-environment") {
      o.job.inherit_environment = false;
      continue;
    }
    // For output and logs, --stderr chooses the stream; for submit it takes a file.
    if (arg == "--stderr" && (o.verb == "output" || o.verb == "logs")) {
      o.stderr_stream = true;
      continue;
    }
    if (arg == "--wait") {
      o.wait = true;
      continue;
    }
    if (arg == "--json") {
      o.json = true;
      continue;
    }
    if (arg == "-p") arg = "--property";
    std::string value;
    bool inline_value = false;
    if (arg.rfind("--", 0) == 0) {
      auto eq = arg.find('=');
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        inline_value = true;
      }
    }
    if (!arg.empty() && arg[0] == '-' && arg != "-") {
      auto it = value_flags().find(arg);
      if (it == value_flags().end()) {
        throw InvalidArgument("unknown option '" + arg + "' (see cuttle --help)");
      }
      if (!inline_value) {
        if (i + 1 >= args.size()) throw InvalidArgument(arg + ": needs a value");
        value = args[++i];
      }
      it->second(o, value);
      continue;
    }
    if (o.verb.empty()) {
      o.verb = arg;
    } else {
      o.positional.push_back(arg);
    }
  }
  return o;
}

}  // namespace

Options parse_options(const std::vector<std::string>& args) {
  Options o = parse_onto(args, {});
  if (!o.from_file.empty()) {
    // Flags given next to --from override what the file says.
    Options base;
    base.job = read_job_file(o.from_file);
    o = parse_onto(args, std::move(base));
  }
  if (!o.command.empty()) {
    o.job.executable = o.command[0];
    o.job.arguments.assign(o.command.begin() + 1, o.command.end());
  }
  return o;
}

}  // namespace cuttle::cli
