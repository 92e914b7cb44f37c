// The resource and placement fields (docs/resources.md): validation naming the field and
// the reason, the JSON form, what each dialect renders, and the one refusal of a field an
// adaptor cannot honour.
#include <cstdlib>
#include <filesystem>
#include <functional>

#include <gtest/gtest.h>

#include "adaptors/kubernetes/job_manifest.h"
#include "adaptors/slurm/slurm_dialect.h"
#include "adaptors/torque/torque_dialect.h"
#include "cuttle/cuttle.h"
#include "cuttle/job_description_json.h"
#include "internal/resource_support.h"
#include "tests/unit/test_util.h"

namespace cuttle {
namespace {

using detail::DirectiveContext;

JobDescription with_resources() {
  JobDescription d;
  d.executable = "/bin/true";
  d.gpus = 2;
  d.gpu_type = "a100";
  d.account = "proj-42";
  d.qos = "high";
  d.reservation = "maint_window";
  d.constraints = {"ssd", "ib"};
  d.exclusive_nodes = true;
  return d;
}

using testing::failure_of;

TEST(ResourceFields, ValidValuesPass) {
  EXPECT_EQ(failure_of(with_resources()), "(valid)");
  JobDescription d = with_resources();
  d.gpu_type.clear();  // any type
  d.account = "Org/Proj_1.a";
  EXPECT_EQ(failure_of(d), "(valid)");
}

TEST(ResourceFields, EachBadValueNamesItsFieldAndTheReason) {
  struct Case {
    std::function<void(JobDescription&)> change;
    std::string field;
    std::string reason;  // a part of it
  };
  const Case cases[] = {
      {[](JobDescription& d) { d.gpus = 0; }, "gpus", "at least 1, got 0"},
      {[](JobDescription& d) { d.gpus = -2; }, "gpus", "at least 1, got -2"},
      {[](JobDescription& d) { d.gpus.reset(); }, "gpu_type", "needs gpus"},
      {[](JobDescription& d) { d.gpu_type = "a100 x"; }, "gpu_type", "only letters, digits"},
      {[](JobDescription& d) { d.gpu_type = "a100\n#SBATCH --uid=0"; }, "gpu_type",
       "only letters, digits"},
      {[](JobDescription& d) { d.gpu_type = std::string(65, 'a'); }, "gpu_type", "longer than 64"},
      {[](JobDescription& d) { d.account = "p\n#SBATCH --uid=0"; }, "account", "control character"},
      {[](JobDescription& d) { d.account = std::string("p\0q", 3); }, "account",
       "control character"},
      {[](JobDescription& d) { d.qos = "high prio"; }, "qos", "contains a space"},
      {[](JobDescription& d) { d.reservation = "--uid=0"; }, "reservation", "must not start with"},
      {[](JobDescription& d) { d.reservation = "r\t1"; }, "reservation", "control character"},
      {[](JobDescription& d) {
         d.constraints = {"ssd", "a|b"};
       },
       "constraints[1]", "node feature"},
      {[](JobDescription& d) { d.constraints = {"$(id)"}; }, "constraints[0]", "node feature"},
      {[](JobDescription& d) { d.constraints = {""}; }, "constraints[0]", "is empty"},
  };
  for (const Case& c : cases) {
    JobDescription d = with_resources();
    c.change(d);
    const std::string failure = failure_of(d);
    EXPECT_EQ(failure.substr(0, failure.find(':')), c.field) << failure;
    EXPECT_NE(failure.find(c.reason), std::string::npos) << failure;
  }
}

TEST(ResourceFields, JsonRoundTripsAndNamesAWrongType) {
  const JobDescription d = with_resources();
  const std::string text = to_json_text(d);
  EXPECT_NE(text.find("\"gpus\":2"), std::string::npos) << text;
  EXPECT_NE(text.find("\"constraints\":[\"ssd\",\"ib\"]"), std::string::npos) << text;
  EXPECT_EQ(job_description_from_json(text), d);
  EXPECT_EQ(to_json_text(JobDescription{}).find("exclusive_nodes"), std::string::npos)
      << "unset fields stay out of the document";
  using Case = std::pair<const char*, const char*>;
  for (const auto& [field, body] :
       {Case{"gpus", R"({"executable": "x", "gpus": "two"})"},
        Case{"exclusive_nodes", R"({"exclusive_nodes": "yes"})"}, Case{"gpus", R"({"gpus": 2.5})"},
        Case{"gpus", R"({"gpus": 1e12})"}, Case{"gpus", R"({"gpus": 10000000000})"},
        Case{"constraints", R"({"constraints": "ssd"})"}}) {
    try {
      job_description_from_json(body);
      ADD_FAILURE() << body << " was accepted";
    } catch (const InvalidJobDescription& e) {
      EXPECT_EQ(e.field(), field);
    }
  }
}

TEST(SlurmDirectives, ResourceFieldsRenderAsTheirOwnOptions) {
  const detail::slurm::SlurmDialect dialect;
  DirectiveContext c{"n.c00000000000000000001", "/w", "/o", "/e"};
  JobDescription d = with_resources();
  std::string text = dialect.render_directives(d, c);
  EXPECT_NE(text.find("#SBATCH --gres='gpu:a100:2'\n"), std::string::npos) << text;
  EXPECT_NE(text.find("#SBATCH --account='proj-42'\n"), std::string::npos);
  EXPECT_NE(text.find("#SBATCH --qos='high'\n"), std::string::npos);
  EXPECT_NE(text.find("#SBATCH --reservation='maint_window'\n"), std::string::npos);
  EXPECT_NE(text.find("#SBATCH --constraint='ssd&ib'\n"), std::string::npos);
  EXPECT_NE(text.find("#SBATCH --exclusive\n"), std::string::npos);
  d.gpu_type.clear();
  text = dialect.render_directives(d, c);
  EXPECT_NE(text.find("#SBATCH --gres='gpu:2'\n"), std::string::npos) << text;
  d.account = "it's $(id)";  // valid (one word), and quoted in the directive
  text = dialect.render_directives(d, c);
  EXPECT_NE(text.find("#SBATCH --account='it'\\''s $(id)'\n"), std::string::npos) << text;
  JobDescription plain;
  plain.executable = "/bin/true";
  text = dialect.render_directives(plain, c);
  for (const char* option :
       {"--gres", "--account", "--qos", "--reservation", "--constraint", "--exclusive"}) {
    EXPECT_EQ(text.find(option), std::string::npos) << option << " without its field";
  }
}

TEST(TorqueDirectives, GpusAndFeaturesJoinTheNodesRequest) {
  const detail::torque::TorqueDialect dialect;
  DirectiveContext c{"n.c00000000000000000001", "/w", "/o", "/e"};
  JobDescription d = with_resources();
  d.gpu_type.clear();
  d.qos.clear();
  d.reservation.clear();
  d.nodes = 2;
  d.tasks = 4;
  std::string text = dialect.render_directives(d, c);
  EXPECT_NE(text.find("#PBS -l nodes=2:ppn=2:gpus=2:ssd:ib\n"), std::string::npos) << text;
  EXPECT_NE(text.find("#PBS -A proj-42\n"), std::string::npos);
  EXPECT_NE(text.find("#PBS -l naccesspolicy=singlejob\n"), std::string::npos);
  JobDescription gpus_only;
  gpus_only.executable = "/bin/true";
  gpus_only.gpus = 1;
  text = dialect.render_directives(gpus_only, c);
  EXPECT_NE(text.find("#PBS -l nodes=1:ppn=1:gpus=1\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("-A"), std::string::npos);
  EXPECT_EQ(text.find("naccesspolicy"), std::string::npos);
}

TEST(KubernetesManifest, GpusBecomeTheDevicePluginsLimit) {
  JobDescription d;
  d.executable = "/bin/true";
  d.container_image = "localhost/busybox:latest";
  d.gpus = 2;
  const nlohmann::json manifest = detail::job_manifest(d, "c0123456789abcdef0123", {});
  const nlohmann::json& resources =
      manifest["spec"]["template"]["spec"]["containers"][0]["resources"];
  EXPECT_EQ(resources["limits"]["nvidia.com/gpu"], "2") << resources.dump();
  EXPECT_FALSE(resources.contains("requests")) << "an extended resource's request is its limit";
}

// Which adaptor refuses which field: the one table in core, read against each adaptor's
// own capabilities.
std::string refused(const JobDescription& d, const Capabilities& capabilities) {
  auto field = detail::unsupported_resource(d, capabilities, "test");
  return field ? field->field : "(none)";
}

Capabilities capabilities_of(const std::string& adaptor) {
  register_builtin_adaptors();
  for (const AdaptorDescriptor& a : Registry::global().adaptors()) {
    if (a.name == adaptor) return a.capabilities;
  }
  ADD_FAILURE() << "no adaptor " << adaptor;
  return {};
}

TEST(ResourceSupport, EachAdaptorRefusesTheFieldsItCannotHonour) {
  JobDescription d = with_resources();
  EXPECT_EQ(refused(d, detail::slurm::SlurmDialect().capabilities()), "(none)");
  EXPECT_EQ(refused(d, capabilities_of("slurm")), "(none)");

  const Capabilities torque = detail::torque::TorqueDialect().capabilities();
  EXPECT_EQ(refused(d, torque), "gpu_type");
  d.gpu_type.clear();
  EXPECT_EQ(refused(d, torque), "qos");
  d.qos.clear();
  EXPECT_EQ(refused(d, torque), "reservation");
  d.reservation.clear();
  EXPECT_EQ(refused(d, torque), "(none)");

  JobDescription gpus_only;
  gpus_only.gpus = 1;
  EXPECT_EQ(refused(gpus_only, capabilities_of("kubernetes")), "(none)");
  gpus_only.gpu_type = "a100";
  EXPECT_EQ(refused(gpus_only, capabilities_of("kubernetes")), "gpu_type");
  for (const char* adaptor : {"local", "ssh"}) {
    EXPECT_EQ(refused(with_resources(), capabilities_of(adaptor)), "gpus") << adaptor;
  }
}

// Each field alone, on a real local scheduler: refused at submit, naming the field, and
// nothing started (no sandbox was made).
TEST(ResourceSupport, LocalRefusesEachFieldAtSubmitAndRunsNothing) {
  char pattern[] = "/tmp/cuttle-resources-unit-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string root = std::string(pattern) + "/sandboxes";
  SchedulerOptions options;
  options.properties["sandbox.root"] = root;
  auto scheduler = open_scheduler("local://", options);
  const std::pair<const char*, std::function<void(JobDescription&)>> fields[] = {
      {"gpus", [](JobDescription& d) { d.gpus = 1; }},
      {"gpu_type",
       [](JobDescription& d) {
         d.gpus = 1;
         d.gpu_type = "a100";
       }},
      {"account", [](JobDescription& d) { d.account = "proj"; }},
      {"qos", [](JobDescription& d) { d.qos = "high"; }},
      {"reservation", [](JobDescription& d) { d.reservation = "r1"; }},
      {"constraints", [](JobDescription& d) { d.constraints = {"ssd"}; }},
      {"exclusive_nodes", [](JobDescription& d) { d.exclusive_nodes = true; }},
  };
  for (const auto& [field, set] : fields) {
    JobDescription d = testing::job("/bin/sh", {"-c", "touch " + std::string(pattern) + "/ran"});
    set(d);
    try {
      scheduler->submit(d);
      ADD_FAILURE() << field << " was accepted";
    } catch (const Unsupported& e) {
      const std::string message = e.what();
      // gpu_type is only set with gpus, and gpus is refused first.
      const std::string expected = std::string(field) == "gpu_type" ? "gpus" : field;
      EXPECT_EQ(message.substr(0, message.find(':')), expected) << message;
      EXPECT_NE(message.find("local adaptor cannot honour it"), std::string::npos) << message;
    }
  }
  EXPECT_FALSE(std::filesystem::exists(root) && !std::filesystem::is_empty(root));
  EXPECT_FALSE(std::filesystem::exists(std::string(pattern) + "/ran"));
  std::filesystem::remove_all(pattern);
}

}  // namespace
}  // namespace cuttle
