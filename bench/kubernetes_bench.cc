// kubernetes:// against the emulator of tests/env/kubernetes.sh, each with its reference in
// the same run:
//   kubernetes-submit-throughput [N]  jobs/s of Scheduler::submit vs a `kubectl create -f`
//                                     loop of the same Job (N each, default 20)
//   kubernetes-poll-load [N] [SECONDS] API requests per minute while N jobs are tracked
//                                     and statuses() of all of them is read 10 times a
//                                     second, vs a client that LISTs them once a second;
//                                     then job end -> known latency (p50) of 10 short jobs
// Each run works in a namespace of its own (kubectl create namespace), deleted at the end.
// The N tracked jobs of poll-load stay Pending (the emulator's unschedulable fault), so
// no container runs for them.
#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#include "adaptors/kubernetes/kubernetes_options.h"
#include "adaptors/kubernetes/kubernetes_scheduler.h"
#include "bench/scenario.h"
#include "cuttle/command_runner.h"
#include "cuttle/cuttle.h"

namespace cuttle::bench {
namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) {
    throw std::runtime_error(std::string(name) +
                             " is not set: eval \"$(tests/env/kubernetes.sh start)\"");
  }
  return value;
}

int arg(const std::vector<std::string>& args, std::size_t i, int fallback) {
  return args.size() > i ? std::stoi(args[i]) : fallback;
}

// A namespace of the run's own, deleted when it ends.
class Namespace {
 public:
  explicit Namespace(const std::string& tag)
      : name_("bench-" + tag + "-" + std::to_string(::getpid())) {
    kubectl({"create", "namespace", name_});
  }
  ~Namespace() {
    try {
      kubectl({"delete", "namespace", name_, "--wait=false"});
    } catch (const std::exception&) {
      // best effort
    }
  }
  const std::string& name() const { return name_; }
  static CommandResult kubectl(std::vector<std::string> args) {
    args.insert(args.begin(),
                {"env", "KUBECONFIG=" + env("CUTTLE_TEST_K8S_KUBECONFIG"), "kubectl"});
    LocalRunner runner;
    return run_checked(runner, args);
  }

 private:
  std::string name_;
};

void fault(const std::string& ns, const std::string& switches) {
  LocalRunner runner;
  run_checked(runner,
              {"curl", "-sS", "--fail", "--cacert", env("CUTTLE_TEST_K8S_CA"), "-H",
               "Authorization: Bearer " + env("CUTTLE_TEST_K8S_TOKEN"), "-H",
               "Content-Type: application/json", "-d",
               "{\"namespace\":\"" + ns + "\"," + switches + "}", env("CUTTLE_TEST_K8S_FAULTS")});
}

std::shared_ptr<detail::KubernetesScheduler> open(const std::string& ns, const std::string& qps) {
  std::map<std::string, std::string> values = {{"kubeconfig", env("CUTTLE_TEST_K8S_KUBECONFIG")},
                                               {"default.image", env("CUTTLE_TEST_K8S_IMAGE")},
                                               {"logs.root", "/tmp/cuttle-bench-k8s-logs"},
                                               {"api.qps", qps},
                                               {"api.burst", qps}};
  Properties properties(detail::kubernetes_property_descriptors(), values);
  detail::KubernetesOptions options = detail::KubernetesOptions::from(properties);
  Location location = Location::parse("kubernetes://?namespace=" + ns);
  return detail::KubernetesScheduler::create(
      location, detail::resolve_cluster_access(location, options.kubeconfig, {}), options);
}

JobDescription true_job() {
  JobDescription d;
  d.executable = "/bin/true";
  return d;
}

int submit_throughput(const std::vector<std::string>& args) {
  const int n = arg(args, 0, 20);
  Namespace ns("submit");
  // Default limiter (api.qps 20, burst 40): what a user gets.
  auto scheduler = open(ns.name(), "20");
  double start = now_seconds();
  for (int i = 0; i < n; ++i) scheduler->submit(true_job());
  const double ours = n / (now_seconds() - start);
  const std::string manifest = "/tmp/cuttle-bench-k8s-job.yaml";
  start = now_seconds();
  for (int i = 0; i < n; ++i) {
    std::ofstream(manifest) << "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ref-" << i
                            << "\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n"
                            << "      restartPolicy: Never\n      containers:\n      - name: job\n"
                            << "        image: " << env("CUTTLE_TEST_K8S_IMAGE")
                            << "\n        command: [/bin/true]\n";
    Namespace::kubectl({"create", "-n", ns.name(), "-f", manifest});
  }
  const double reference = n / (now_seconds() - start);
  print_result("kubernetes-submit-throughput", {{"jobs", std::to_string(n)},
                                                {"cuttle_jobs_per_s", fmt(ours, 1)},
                                                {"kubectl_create_jobs_per_s", fmt(reference, 2)},
                                                {"ratio", fmt(ours / reference, 1)}});
  return 0;
}

int poll_load(const std::vector<std::string>& args) {
  const int n = arg(args, 0, 500);
  const int seconds = arg(args, 1, 30);
  Namespace ns("poll");
  fault(ns.name(), "\"unschedulable\":" + std::to_string(n));
  auto scheduler = open(ns.name(), "200");
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(scheduler->submit(true_job()));
  // Until every job's pod was seen (each reports the Unschedulable reason): steady state.
  for (int round = 0; round < 600; ++round) {
    auto all = scheduler->statuses(ids);
    if (std::all_of(all.begin(), all.end(),
                    [](const JobStatus& s) { return s.scheduler_info.count("reason") > 0; })) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::uint64_t before = scheduler->api_requests();
  const double start = now_seconds();
  while (now_seconds() - start < seconds) {
    scheduler->statuses(ids);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double ours = (scheduler->api_requests() - before) * 60.0 / seconds;
  // Reference: a client that LISTs the namespace's jobs once a second (500 per page).
  const double ref_start = now_seconds();
  int ref_requests = 0;
  const int ref_seconds = std::min(seconds, 10);
  while (now_seconds() - ref_start < ref_seconds) {
    const double round = now_seconds();
    std::string token;
    do {
      auto page = Namespace::kubectl({"get", "--raw",
                                      "/apis/batch/v1/namespaces/" + ns.name() + "/jobs?limit=500" +
                                          (token.empty() ? "" : "&continue=" + token)});
      ++ref_requests;
      auto parsed = nlohmann::json::parse(page.stdout_text);
      token = parsed["metadata"].value("continue", "");
    } while (!token.empty());
    std::this_thread::sleep_for(
        std::chrono::duration<double>(std::max(0.0, 1.0 - (now_seconds() - round))));
  }
  const double reference = ref_requests * 60.0 / (now_seconds() - ref_start);
  // Job end -> known: 10 short jobs while the N are tracked.
  std::mutex mutex;
  std::condition_variable done;
  std::vector<double> latencies;
  auto subscription = scheduler->subscribe([&](const JobStatus& s) {
    if (!s.done() || !s.finished) return;
    const double known = std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
    const double ended = std::chrono::duration<double>(s.finished->time_since_epoch()).count();
    std::lock_guard lock(mutex);
    latencies.push_back(known - ended);
    done.notify_all();
  });
  const int short_jobs = 10;
  for (int i = 0; i < short_jobs; ++i) {
    JobDescription d;
    d.executable = "/bin/sleep";
    d.arguments = {"1"};
    scheduler->submit(d);
  }
  {
    std::unique_lock lock(mutex);
    done.wait_for(lock, std::chrono::seconds(120),
                  [&] { return latencies.size() >= static_cast<std::size_t>(short_jobs); });
  }
  std::sort(latencies.begin(), latencies.end());
  const double p50 = latencies.empty() ? -1 : latencies[latencies.size() / 2];
  print_result("kubernetes-poll-load", {{"jobs", std::to_string(n)},
                                        {"cuttle_requests_per_min", fmt(ours, 1)},
                                        {"list_poll_requests_per_min", fmt(reference, 1)},
                                        {"ratio", fmt(reference / std::max(ours, 1.0), 1)},
                                        {"end_to_known_p50_s", fmt(p50, 2)},
                                        {"ended_jobs", std::to_string(latencies.size())}});
  return 0;
}

CUTTLE_BENCH_SCENARIO("kubernetes-submit-throughput",
                      "[N] jobs/s of submit vs a `kubectl create -f` loop (emulator)",
                      submit_throughput);
CUTTLE_BENCH_SCENARIO("kubernetes-poll-load",
                      "[N] [SECONDS] API requests/min with N jobs tracked vs LIST polling; "
                      "job end -> known p50 (emulator)",
                      poll_load);

}  // namespace
}  // namespace cuttle::bench
