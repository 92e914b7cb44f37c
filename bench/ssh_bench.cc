// SSH benchmarks.
//   ssh-command-latency: 200 sequential remote `true` through the pooled session, and in
//     the same run 200 `ssh -o BatchMode=yes ... true` with the OpenSSH client (a fresh
//     connection each, the way a tool that spawns ssh works). ratio = OpenSSH / ours.
//     ours uses the remote executor (ssh.executor=auto); ours_exec_ms is the same loop with
//     one exec channel per command (ssh.executor=off), for comparison.
//   ssh-command-latency-bashrc: the same against the sshd of tests/env/sshd.sh whose
//     sessions run a .bashrc that sleeps 0.1 s (CUTTLE_TEST_SSH_BASHRC_PORT; 50 commands by
//     default, OpenSSH pays the .bashrc for each). Warm-up (connect, first executor start)
//     is excluded on our side, as for a pooled session.
//   ssh-command-concurrency: THREADS threads each running COUNT remote `true` on one
//     pooled session, executor pool (auto) vs one exec channel per command (off), on the
//     bare and on the slow-.bashrc server; the session is connected and the pool's
//     executors started within the timed run.
//   ssh-submit-throughput: jobs/s submitted through ssh:// (submit + wait for all), against
//     the same number of jobs started with one OpenSSH connection each.
// Target: CUTTLE_BENCH_SSH=user@host:port (with CUTTLE_BENCH_SSH_KEY and
// CUTTLE_BENCH_SSH_KNOWN_HOSTS), else the sshd of tests/env/sshd.sh is started.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <thread>

#include "adaptors/ssh/remote.h"
#include "bench/scenario.h"
#include "cuttle/cuttle.h"

namespace cuttle::bench {
namespace {

struct SshTarget {
  std::string user, host, port, key, known_hosts, bashrc_port;
};

std::string getenv_or(const char* name, const std::string& fallback = {}) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

// Runs argv, returns its stdout; the benchmark (not the library) may spawn programs.
std::string run_program(const std::vector<std::string>& argv, int* status = nullptr) {
  LocalRunner runner;
  CommandResult result = runner.run(argv);
  if (status) *status = result.exit_code;
  return result.stdout_text;
}

SshTarget target() {
  SshTarget t;
  std::string spec = getenv_or("CUTTLE_BENCH_SSH");
  if (!spec.empty()) {
    auto at = spec.find('@');
    auto colon = spec.rfind(':');
    t.user = spec.substr(0, at);
    t.host = spec.substr(at + 1, colon == std::string::npos ? std::string::npos : colon - at - 1);
    t.port = colon == std::string::npos ? "22" : spec.substr(colon + 1);
    t.key = getenv_or("CUTTLE_BENCH_SSH_KEY", getenv_or("HOME") + "/.ssh/id_ed25519");
    t.known_hosts =
        getenv_or("CUTTLE_BENCH_SSH_KNOWN_HOSTS", getenv_or("HOME") + "/.ssh/known_hosts");
    return t;
  }
  std::string source = getenv_or("CUTTLE_SOURCE_DIR", ".");
  std::string exports = run_program({source + "/tests/env/sshd.sh", "start"});
  std::istringstream in(exports);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (line.rfind("export ", 0) != 0 || eq == std::string::npos) continue;
    std::string name = line.substr(7, eq - 7), value = line.substr(eq + 1);
    if (name == "CUTTLE_TEST_SSH_USER") t.user = value;
    if (name == "CUTTLE_TEST_SSH_HOST") t.host = value;
    if (name == "CUTTLE_TEST_SSH_PORT") t.port = value;
    if (name == "CUTTLE_TEST_SSH_KEY") t.key = value;
    if (name == "CUTTLE_TEST_SSH_KNOWN_HOSTS") t.known_hosts = value;
    if (name == "CUTTLE_TEST_SSH_BASHRC_PORT") t.bashrc_port = value;
  }
  if (t.port.empty()) throw std::runtime_error("tests/env/sshd.sh start printed no port");
  return t;
}

std::map<std::string, std::string> properties(const SshTarget& t) {
  return {{"ssh.known_hosts", t.known_hosts}, {"ssh.config", "none"}};
}

std::vector<std::string> openssh_argv(const SshTarget& t, const std::vector<std::string>& command) {
  std::vector<std::string> argv = {"ssh",
                                   "-o",
                                   "BatchMode=yes",
                                   "-o",
                                   "StrictHostKeyChecking=yes",
                                   "-o",
                                   "UserKnownHostsFile=" + t.known_hosts,
                                   "-F",
                                   "/dev/null",
                                   "-i",
                                   t.key,
                                   "-p",
                                   t.port,
                                   t.user + "@" + t.host};
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

// Seconds for `count` sequential remote `true` on a warm pooled session.
double pooled_latency(const SshTarget& t, int count, const std::string& executor) {
  Location location = Location::parse("ssh://" + t.user + "@" + t.host + ":" + t.port);
  auto values = properties(t);
  values["ssh.executor"] = executor;
  detail::Remote remote = detail::open_remote(
      location, Properties(detail::ssh_property_descriptors(), values), Credential::key(t.key));
  remote.runner->run({"true"});  // connected and warm, as a pooled session is
  double start = now_seconds();
  for (int i = 0; i < count; ++i) {
    if (remote.runner->run({"true"}).exit_code != 0) throw std::runtime_error("remote true failed");
  }
  return now_seconds() - start;
}

int latency_against_openssh(const std::string& name, SshTarget t, int count) {
  double ours = pooled_latency(t, count, "auto");
  double exec = pooled_latency(t, count, "off");
  double start = now_seconds();
  for (int i = 0; i < count; ++i) {
    int status = 0;
    run_program(openssh_argv(t, {"true"}), &status);
    if (status != 0)
      throw std::runtime_error("ssh ... true failed (exit " + std::to_string(status) + ")");
  }
  double openssh = now_seconds() - start;
  std::cerr << "ours: " << fmt(ours * 1000 / count, 3)
            << " ms/command (one exec each: " << fmt(exec * 1000 / count, 3)
            << "), openssh: " << fmt(openssh * 1000 / count, 3) << " ms/command\n";
  print_result(name, {{"commands", std::to_string(count)},
                      {"ours_ms", fmt(ours * 1000 / count, 3)},
                      {"ours_exec_ms", fmt(exec * 1000 / count, 3)},
                      {"openssh_ms", fmt(openssh * 1000 / count, 3)},
                      {"ratio", fmt(openssh / ours, 2)}});
  return 0;
}

// Commands per second from `threads` threads sharing one fresh pooled session.
double concurrent_rate(const SshTarget& t, int threads, int count, const std::string& executor) {
  Location location = Location::parse("ssh://" + t.user + "@" + t.host + ":" + t.port);
  auto values = properties(t);
  values["ssh.executor"] = executor;
  detail::Remote remote = detail::open_remote(
      location, Properties(detail::ssh_property_descriptors(), values), Credential::key(t.key));
  std::atomic<int> failures{0};
  double start = now_seconds();
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&] {
      for (int i = 0; i < count; ++i) {
        if (remote.runner->run({"true"}).exit_code != 0) ++failures;
      }
    });
  }
  for (auto& worker : workers) worker.join();
  if (failures > 0) throw std::runtime_error("remote true failed");
  return threads * count / (now_seconds() - start);
}

int command_concurrency(const std::vector<std::string>& args) {
  const int threads = args.empty() ? 4 : std::stoi(args[0]);
  const int count = args.size() < 2 ? 50 : std::stoi(args[1]);
  SshTarget bare = target();
  SshTarget slow = bare;
  slow.port = getenv_or("CUTTLE_BENCH_SSH_BASHRC_PORT", bare.bashrc_port);
  print_result("ssh-command-concurrency",
               {{"threads", std::to_string(threads)},
                {"commands", std::to_string(threads * count)},
                {"bare_pool_per_s", fmt(concurrent_rate(bare, threads, count, "auto"), 1)},
                {"bare_exec_per_s", fmt(concurrent_rate(bare, threads, count, "off"), 1)},
                {"bashrc_pool_per_s", fmt(concurrent_rate(slow, threads, count, "auto"), 1)},
                {"bashrc_exec_per_s", fmt(concurrent_rate(slow, threads, count, "off"), 1)}});
  return 0;
}

int command_latency(const std::vector<std::string>& args) {
  return latency_against_openssh("ssh-command-latency", target(),
                                 args.empty() ? 200 : std::stoi(args[0]));
}

int command_latency_bashrc(const std::vector<std::string>& args) {
  SshTarget t = target();
  t.port = getenv_or("CUTTLE_BENCH_SSH_BASHRC_PORT", t.bashrc_port);
  if (t.port.empty()) throw std::runtime_error("no bashrc sshd (tests/env/sshd.sh start)");
  return latency_against_openssh("ssh-command-latency-bashrc", t,
                                 args.empty() ? 50 : std::stoi(args[0]));
}

int submit_throughput(const std::vector<std::string>& args) {
  const int count = args.empty() ? 50 : std::stoi(args[0]);
  SshTarget t = target();
  SchedulerOptions options;
  options.properties = properties(t);
  options.properties["poll.interval"] = "200ms";
  options.properties["cleanup"] = "always";
  options.credential = Credential::key(t.key);
  auto scheduler = open_scheduler("ssh://" + t.user + "@" + t.host + ":" + t.port, options);
  JobDescription job;
  job.executable = "true";
  double start = now_seconds();
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) ids.push_back(scheduler->submit(job));
  double submitted = now_seconds() - start;
  for (const auto& id : ids) {
    JobStatus s = scheduler->wait_until_done(id, std::chrono::seconds(120));
    if (s.state != JobState::kCompleted)
      throw std::runtime_error("job " + id + " ended " + std::string(to_string(s.state)));
  }
  double ours = now_seconds() - start;
  // Reference: the same number of detached `true` started with one OpenSSH connection each.
  start = now_seconds();
  for (int i = 0; i < count; ++i) {
    int status = 0;
    run_program(
        openssh_argv(t, {"setsid", "nohup", "true", "</dev/null", ">/dev/null", "2>&1", "&"}),
        &status);
  }
  double openssh = now_seconds() - start;
  print_result("ssh-submit-throughput", {{"jobs", std::to_string(count)},
                                         {"submit_per_s", fmt(count / submitted, 1)},
                                         {"jobs_per_s", fmt(count / ours, 1)},
                                         {"openssh_starts_per_s", fmt(count / openssh, 1)},
                                         {"ratio", fmt((count / ours) / (count / openssh), 2)}});
  return 0;
}

CUTTLE_BENCH_SCENARIO("ssh-command-latency",
                      "200 sequential remote `true`: pooled libssh session vs fresh OpenSSH "
                      "connections [COUNT]",
                      command_latency);
CUTTLE_BENCH_SCENARIO("ssh-command-latency-bashrc",
                      "50 sequential remote `true` for a user whose .bashrc costs 100 ms: pooled "
                      "session vs fresh OpenSSH connections [COUNT]",
                      command_latency_bashrc);
CUTTLE_BENCH_SCENARIO("ssh-command-concurrency",
                      "remote `true` from THREADS threads on one session: executor pool vs one "
                      "exec each, bare and slow .bashrc [THREADS] [COUNT]",
                      command_concurrency);
CUTTLE_BENCH_SCENARIO("ssh-submit-throughput",
                      "jobs/s through ssh:// (submit + wait until done) [COUNT]",
                      submit_throughput);

}  // namespace
}  // namespace cuttle::bench
