// Leases and takeover on real PostgreSQL and real Slurm (tests/env/postgres.sh and
// slurm.sh; each test has a database of its own so no other test's instances expire in
// it): instance A dies with Slurm jobs in flight and B adopts them within the lease,
// each reaches its true final state with exactly one terminal callback, and A restarted
// does not take them back; A paused past its lease (SIGSTOP) is fenced when it resumes:
// it writes nothing and sends no callback for the jobs B adopted, and says so.
#include <gtest/gtest.h>
#include <signal.h>

#include "bindings/rest/job_store.h"
#include "tests/integration/rest/rest_test_support.h"
#include "tests/integration/rest/scratch_database.h"

namespace cuttle::rest::testing {
namespace {

struct Pair {
  ScratchDatabase database;
  CallbackServer receiver;
  TempDir dir{"takeover"};
  std::uint16_t port_a = free_port();
  std::uint16_t port_b = free_port();
  std::unique_ptr<ServiceProcess> a;
  std::unique_ptr<ServiceProcess> b;

  // Both instances see the same Slurm and the same sandbox directory (one machine).
  json config(const std::string& instance, std::uint16_t port) {
    json c = base_config(dir.path(), port);
    c["store"] = {{"kind", "postgresql"}, {"connection", database.connection()}};
    c["instance"] = instance;
    c["lease"] = {{"ttl", "4s"}, {"check_interval", "500ms"}};
    c["poll_interval"] = "1s";
    c["schedulers"] = {
        {"slurm", {{"location", "slurm://"}}},
        {"local", {{"location", "local://"}, {"properties", {{"mode", "detached"}}}}}};
    return c;
  }

  void start() {
    fs::create_directories(dir.path() + "/jobs");
    write_file(dir.path() + "/a.json", config("a", port_a).dump());
    write_file(dir.path() + "/b.json", config("b", port_b).dump());
    a = std::make_unique<ServiceProcess>(dir.path() + "/a.json", dir.path() + "/a.log");
    b = std::make_unique<ServiceProcess>(dir.path() + "/b.json", dir.path() + "/b.log");
    ASSERT_TRUE(a->start(port_a)) << a->log();
    ASSERT_TRUE(b->start(port_b)) << b->log();
  }

  // Submits to A; returns the job ids.
  std::vector<std::string> submit(int n, const std::string& scheduler, int seconds) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      const json request = {
          {"jobdir", dir.path() + "/jobs"},
          {"executable", "/bin/sh"},
          {"arguments",
           {"-c", "sleep " + std::to_string(seconds) + "; exit " + std::to_string(i % 3)}},
          {"scheduler", scheduler},
          {"status_callback_url", receiver.url("/cb/" + scheduler + "/" + std::to_string(i))}};
      auto r = http("POST", port_a, "/job", request.dump());
      EXPECT_EQ(r.status, 201) << r.body;
      const std::string location = r.headers["Location"];
      ids.push_back(location.substr(location.rfind('/') + 1));
    }
    return ids;
  }

  json document(std::uint16_t port, const std::string& id) {
    auto r = http("GET", port, "/job/" + id);
    return r.status == 200 ? json::parse(r.body) : json();
  }

  bool all_submitted(const std::vector<std::string>& ids) {
    auto store = open_job_store({"postgresql", "", database.connection()});
    for (const auto& id : ids) {
      auto row = store->get_job(id);
      if (!row || row->backend_id.empty()) return false;
    }
    return true;
  }

  std::vector<std::string> unfinished(const std::vector<std::string>& ids) {
    auto store = open_job_store({"postgresql", "", database.connection()});
    std::vector<std::string> out;
    for (const auto& id : ids) {
      auto row = store->get_job(id);
      if (row && !row->final) out.push_back(id);
    }
    return out;
  }

  std::string owner(const std::string& id) {
    auto row = open_job_store({"postgresql", "", database.connection()})->get_job(id);
    return row ? row->owner : "";
  }

  bool all_owned_by(const std::vector<std::string>& ids, const std::string& instance) {
    for (const auto& id : ids) {
      if (owner(id) != instance) return false;
    }
    return true;
  }

  bool all_have_terminal_callbacks(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (receiver.terminal_callbacks("/cb/slurm/" + std::to_string(i)) == 0) return false;
    }
    return true;
  }

  // Every job done through B with the exit code its script chose.
  bool all_done_through_b(const std::vector<std::string>& ids) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const json doc = document(port_b, ids[i]);
      if (doc.is_null() || doc["status"]["done"] != true) return false;
      EXPECT_EQ(doc["status"]["exitCode"], static_cast<int>(i % 3)) << ids[i];
    }
    return true;
  }
};

void require_slurm_and_postgres() {
  for (const char* v : {"CUTTLE_TEST_SLURM", "CUTTLE_PG_CONNECTION"}) {
    if (std::getenv(v)) continue;
    if (std::getenv("CI")) FAIL() << v << " is not set: start tests/env/slurm.sh and postgres.sh";
    GTEST_SKIP() << v << " is not set: start tests/env/slurm.sh and postgres.sh";
  }
}

TEST(RestTakeover, KilledInstanceSlurmJobsAreAdoptedAndEachEndsOnceWithOneCallback) {
  require_slurm_and_postgres();
  if (::testing::Test::IsSkipped()) return;  // GTEST_SKIP in a helper returns only from it
  Pair p;
  ASSERT_NO_FATAL_FAILURE(p.start());
  const auto slurm_ids = p.submit(20, "slurm", 6);
  const auto local_ids = p.submit(1, "local", 30);
  ASSERT_TRUE(eventually([&] { return p.all_submitted(slurm_ids) && p.all_submitted(local_ids); },
                         std::chrono::seconds(60)))
      << p.a->log();

  p.a->kill9();
  const auto in_flight = p.unfinished(slurm_ids);
  EXPECT_GE(in_flight.size(), 10u) << "too few jobs in flight to show a takeover";

  // B adopts the Slurm jobs in flight (lease 4 s + one check) and follows them to their end.
  ASSERT_TRUE(eventually([&] { return p.all_owned_by(in_flight, "b"); }, std::chrono::seconds(20)))
      << p.b->log();
  ASSERT_TRUE(
      eventually([&] { return p.all_done_through_b(slurm_ids); }, std::chrono::seconds(180)))
      << p.b->log();

  // The local job only A could see: shown as such, never as plain RUNNING.
  EXPECT_EQ(p.owner(local_ids[0]), "a");
  const json local = p.document(p.port_b, local_ids[0]);
  EXPECT_EQ(local["status"]["schedulerSpecficInformation"]["owner"], "a") << local.dump();
  EXPECT_TRUE(local["status"]["schedulerSpecficInformation"].contains("owner_down_since"))
      << local.dump();

  // Exactly one terminal callback per job, sent by B.
  ASSERT_TRUE(eventually([&] { return p.all_have_terminal_callbacks(slurm_ids.size()); },
                         std::chrono::seconds(30)));

  // A comes back: it does not take B's jobs back.
  ASSERT_TRUE(p.a->start(p.port_a)) << p.a->log();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_TRUE(p.all_owned_by(in_flight, "b"));
  for (std::size_t i = 0; i < slurm_ids.size(); ++i) {
    EXPECT_EQ(p.receiver.terminal_callbacks("/cb/slurm/" + std::to_string(i)), 1) << slurm_ids[i];
  }
  const json health = json::parse(http("GET", p.port_b, "/health").body);
  EXPECT_EQ(health["lease"]["adopted_jobs"].get<std::size_t>(), in_flight.size()) << health.dump();
  // The local job is A's again, and A follows it.
  EXPECT_EQ(p.owner(local_ids[0]), "a");
  EXPECT_FALSE(p.document(p.port_a, local_ids[0])["status"]["schedulerSpecficInformation"].contains(
      "owner_down_since"));
}

TEST(RestTakeover, InstancePausedPastItsLeaseIsFencedWhenItResumes) {
  require_slurm_and_postgres();
  if (::testing::Test::IsSkipped()) return;  // GTEST_SKIP in a helper returns only from it
  Pair p;
  ASSERT_NO_FATAL_FAILURE(p.start());
  const auto ids = p.submit(4, "slurm", 15);
  ASSERT_TRUE(eventually([&] { return p.all_submitted(ids); }, std::chrono::seconds(60)))
      << p.a->log();

  p.a->send_signal(SIGSTOP);
  const auto in_flight = p.unfinished(ids);
  ASSERT_FALSE(in_flight.empty()) << "every job ended before A was paused";
  ASSERT_TRUE(eventually([&] { return p.all_owned_by(in_flight, "b"); }, std::chrono::seconds(20)))
      << p.b->log();
  ASSERT_TRUE(eventually([&] { return p.all_done_through_b(ids); }, std::chrono::seconds(120)))
      << p.b->log();
  ASSERT_TRUE(eventually([&] { return p.all_have_terminal_callbacks(ids.size()); },
                         std::chrono::seconds(30)));

  p.a->send_signal(SIGCONT);
  // A resumes, sees the jobs end (its poll runs every second) and is refused.
  ASSERT_TRUE(eventually([&] { return p.a->log().find("fenced") != std::string::npos; },
                         std::chrono::seconds(20)))
      << p.a->log();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  auto store = open_job_store({"postgresql", "", p.database.connection()});
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(p.receiver.terminal_callbacks("/cb/slurm/" + std::to_string(i)), 1) << ids[i];
    int finals = 0;
    for (const auto& e : store->events(ids[i], 0)) {
      finals += e.state == "Completed" || e.state == "Failed" || e.state == "Error";
    }
    EXPECT_EQ(finals, 1) << ids[i];
  }
  EXPECT_TRUE(p.all_owned_by(in_flight, "b"));
  // A is healthy again, under a new lease.
  EXPECT_EQ(http("GET", p.port_a, "/health").status, 200);
}

}  // namespace
}  // namespace cuttle::rest::testing
