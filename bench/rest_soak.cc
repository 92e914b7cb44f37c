// rest-soak: does the service's memory stay flat while jobs pass through it? Submits
// JOBS /bin/true jobs (default 100,000) in batches (default 1,000) over one keep-alive
// connection, waits for each batch to finish, and samples the service's RSS after every
// batch. Goal (issue 16): RSS after the last batch <= RSS after the first + 5 MiB.
//   cuttle-bench rest-soak [JOBS [BATCH [NAME_BYTES]]]
// NAME_BYTES > 0 gives every job a `name` of that many bytes (large fields once cost
// ~200 KB per job). Bounded: a batch that does not finish within 120 s ends the run.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "bench/rest_service.h"
#include "bench/scenario.h"

namespace cuttle::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Resident set of `pid` in KiB (VmRSS).
long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  throw std::runtime_error("no VmRSS for pid " + std::to_string(pid));
}

// Sequential POSTs on one keep-alive connection; each answer must be a 201.
class Poster {
 public:
  explicit Poster(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("cannot connect to the service");
    }
  }
  ~Poster() { ::close(fd_); }
  Poster(const Poster&) = delete;
  Poster& operator=(const Poster&) = delete;

  void post(const std::string& body) {
    const std::string request =
        "POST /job HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    for (std::size_t sent = 0; sent < request.size();) {
      const ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      sent += static_cast<std::size_t>(n);
    }
    // A 201 has an empty body: the answer ends with its header block.
    std::string answer;
    char buffer[2048];
    while (answer.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) throw std::runtime_error("the service closed the connection");
      answer.append(buffer, static_cast<std::size_t>(n));
    }
    if (answer.compare(0, 12, "HTTP/1.1 201") != 0) {
      throw std::runtime_error("submit refused: " + answer.substr(0, answer.find("\r\n")));
    }
  }

 private:
  int fd_ = -1;
};

bool batch_done(const Service& service) {
  for (int i = 0; i < 1200; ++i) {
    if (curl({service.url("/job?state=INITIAL,PENDING,RUNNING&limit=1")}) == "[]") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

int rest_soak(const std::vector<std::string>& args) {
  const long jobs = args.size() > 0 ? std::stol(args[0]) : 100000;
  const long batch = args.size() > 1 ? std::stol(args[1]) : 1000;
  const std::size_t name_bytes = args.size() > 2 ? std::stoul(args[2]) : 0;
  if (jobs < 2 * batch || batch <= 0) throw std::runtime_error("need JOBS >= 2 * BATCH > 0");
  const fs::path dir = scratch("soak");
  std::vector<long> samples;
  const double start = now_seconds();
  {
    Service service(dir / "service");
    json request = {{"jobdir", (service.dir / "jobs").string()}, {"executable", "/bin/true"}};
    if (name_bytes > 0) request["name"] = std::string(name_bytes, 'n');
    const std::string body = request.dump();
    Poster poster(service.port);
    for (long done = 0; done < jobs; done += batch) {
      for (long i = 0; i < batch; ++i) poster.post(body);
      if (!batch_done(service)) throw std::runtime_error("a batch did not finish in 120 s");
      samples.push_back(rss_kib(service.child->pid()));
      std::printf("batch %ld jobs=%ld rss_kib=%ld\n", static_cast<long>(samples.size()),
                  done + batch, samples.back());
      std::fflush(stdout);
    }
  }
  fs::remove_all(dir);
  const double growth_mib = static_cast<double>(samples.back() - samples.front()) / 1024.0;
  const double per_1000_kib = static_cast<double>(samples.back() - samples.front()) /
                              (static_cast<double>(jobs - batch) / 1000.0);
  print_result("rest-soak", {{"jobs", std::to_string(jobs)},
                             {"batch", std::to_string(batch)},
                             {"name_bytes", std::to_string(name_bytes)},
                             {"seconds", fmt(now_seconds() - start, 0)},
                             {"rss_first_mib", fmt(static_cast<double>(samples.front()) / 1024.0)},
                             {"rss_last_mib", fmt(static_cast<double>(samples.back()) / 1024.0)},
                             {"growth_mib", fmt(growth_mib)},
                             {"kib_per_1000_jobs", fmt(per_1000_kib)},
                             {"goal_growth_mib", "5"},
                             {"ok", growth_mib <= 5.0 ? "yes" : "no"}});
  return growth_mib <= 5.0 ? 0 : 1;
}

}  // namespace

CUTTLE_BENCH_SCENARIO("rest-soak",
                      "JOBS jobs through the service in batches; RSS after each batch must stay "
                      "within 5 MiB of the first",
                      rest_soak);

}  // namespace cuttle::bench
