// The resource part of the conformance suite (issue 14, point 3): every adaptor either
// honours a resource field or refuses the job with Unsupported naming it, before anything
// runs - as its Capabilities say. What a backend then does with an honoured field depends
// on its configuration (GPUs, features, accounts exist or not), so those jobs are the
// adaptors' own tests (tests/integration/slurm_resources_test.cc).
#include <filesystem>
#include <functional>

#include "tests/conformance/conformance.h"

namespace cuttle::conformance {
namespace {

struct ResourceCase {
  const char* field;
  bool Capabilities::*capability;
  std::function<void(JobDescription&)> set;
};

const ResourceCase kResourceCases[] = {
    {"gpus", &Capabilities::gpus, [](JobDescription& d) { d.gpus = 1; }},
    {"account", &Capabilities::account, [](JobDescription& d) { d.account = "cuttle-test"; }},
    {"qos", &Capabilities::qos, [](JobDescription& d) { d.qos = "normal"; }},
    {"reservation", &Capabilities::reservation,
     [](JobDescription& d) { d.reservation = "cuttle-test"; }},
    {"constraints", &Capabilities::constraints,
     [](JobDescription& d) { d.constraints = {"cuttle-test"}; }},
    {"exclusive_nodes", &Capabilities::exclusive_nodes,
     [](JobDescription& d) { d.exclusive_nodes = true; }},
    {"scheduler_arguments", &Capabilities::scheduler_arguments,
     [](JobDescription& d) { d.scheduler_arguments = {"--comment=cuttle-test"}; }},
};

TEST_P(ConformanceTest, AResourceFieldTheAdaptorCannotHonourIsRefusedNamingIt) {
  const Capabilities capabilities = scheduler_->capabilities();
  const std::string witness = scratch_ + "/ran";
  int refused = 0;
  for (const ResourceCase& c : kResourceCases) {
    if (capabilities.*c.capability) continue;
    JobDescription d;
    d.executable = "/bin/sh";
    d.arguments = {"-c", "touch '" + witness + "'"};
    c.set(d);
    try {
      const std::string id = scheduler_->submit(d);
      scheduler_->cancel(id);
      ADD_FAILURE() << c.field << " was accepted though capabilities say it is not honoured";
    } catch (const Unsupported& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.substr(0, message.find(':')), c.field) << message;
      ++refused;
    }
  }
  EXPECT_FALSE(std::filesystem::exists(witness)) << "a refused job ran";
  if (refused == 0) GTEST_SKIP() << "this adaptor honours every resource field";
}

}  // namespace
}  // namespace cuttle::conformance
