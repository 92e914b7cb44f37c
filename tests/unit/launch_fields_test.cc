// The launch fields (docs/launchers.md): validation naming the field, the JSON form, what
// the launcher renders, Slurm's --export=NONE, and the refusal where no shell runs the job.
#include <gtest/gtest.h>

#include "adaptors/slurm/slurm_dialect.h"
#include "cuttle/cuttle.h"
#include "cuttle/job_description_json.h"
#include "internal/launch_script.h"
#include "internal/resource_support.h"
#include "tests/unit/test_util.h"

namespace cuttle {
namespace {

JobDescription launched() {
  JobDescription d;
  d.executable = "/bin/hostname";
  d.launcher = "srun";
  d.pre_launch = "/opt/site/pre.sh";
  d.post_launch = "post.sh";
  d.modules = {"gcc/12", "openmpi"};
  d.inherit_environment = false;
  return d;
}

using testing::failure_of;
using testing::field_of;

TEST(LaunchFields, EachBadValueNamesItsField) {
  EXPECT_EQ(failure_of(launched()), "(valid)");
  JobDescription d = launched();
  d.launcher = "none";
  EXPECT_EQ(failure_of(d), "(valid)");
  d.launcher = "aprun";
  EXPECT_EQ(failure_of(d), "launcher: 'aprun' is not one of none, srun, mpirun, mpiexec");
  d = launched();
  d.modules = {"gcc", ""};
  EXPECT_EQ(failure_of(d), "modules[1]: is empty");
  d.modules = {"--force"};
  EXPECT_EQ(failure_of(d), "modules[0]: must not start with '-'");
  d.modules = {"a\nb"};
  EXPECT_EQ(failure_of(d), "modules[0]: contains a control character");
  d.modules = {"it's $(id) \"x\""};  // reaches `module load` quoted, byte for byte
  EXPECT_EQ(failure_of(d), "(valid)");
  d = launched();
  d.pre_launch = std::string("a\0b", 3);
  EXPECT_EQ(failure_of(d), "pre_launch: contains a NUL byte");
}

TEST(LaunchFields, StepsAndContainerJobsRefuseThemNamingTheField) {
  JobDescription d = launched();
  d.executable.clear();
  JobStep step;
  step.executable = "/bin/true";
  d.steps = {step};
  EXPECT_EQ(field_of(d), "launcher");
  d.launcher.clear();
  d.pre_launch.clear();
  d.post_launch.clear();
  d.modules.clear();
  EXPECT_EQ(field_of(d), "inherit_environment");
  JobDescription c;
  c.executable = "/bin/true";
  c.container_image = "localhost/busybox:latest";
  c.inherit_environment = false;  // the host's environment never reaches a container
  EXPECT_EQ(failure_of(c), "(valid)");
  c.modules = {"gcc"};
  EXPECT_EQ(field_of(c), "modules");
}

TEST(LaunchFields, JsonRoundTripsAndNamesAWrongType) {
  const JobDescription d = launched();
  EXPECT_EQ(job_description_from_json(to_json_text(d)), d);
  const std::string text = to_json_text(d);
  EXPECT_NE(text.find("\"inherit_environment\":false"), std::string::npos) << text;
  EXPECT_EQ(to_json_text(JobDescription{}).find("launch"), std::string::npos);
  try {
    job_description_from_json(R"({"executable":"x","modules":"gcc"})");
    ADD_FAILURE() << "a module string was taken for a list";
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "modules");
  }
}

TEST(LaunchFields, TheLauncherStartsTheTaskCount) {
  JobDescription d;
  d.executable = "./a.out";
  d.arguments = {"x y"};
  d.launcher = "srun";
  d.nodes = 2;
  d.tasks = 8;
  d.cores_per_task = 4;
  using V = std::vector<std::string>;
  EXPECT_EQ(detail::launched_command(d),
            (V{"srun", "--nodes=2", "--ntasks=8", "--cpus-per-task=4", "./a.out", "x y"}));
  d.launcher = "mpirun";
  EXPECT_EQ(detail::launched_command(d), (V{"mpirun", "-n", "8", "./a.out", "x y"}));
  d.launcher = "mpiexec";
  d.tasks.reset();
  EXPECT_EQ(detail::launched_command(d), (V{"mpiexec", "./a.out", "x y"}));
  d.launcher = "none";
  EXPECT_EQ(detail::launched_command(d), (V{"./a.out", "x y"}));
}

TEST(LaunchFields, SlurmKeepsTheSubmittersEnvironmentOutOnlyWhenAsked) {
  const detail::slurm::SlurmDialect dialect;
  detail::DirectiveContext c{"n.c00000000000000000001", "/w", "/o", "/e"};
  JobDescription d;
  d.executable = "/bin/true";
  EXPECT_EQ(dialect.render_directives(d, c).find("--export"), std::string::npos);
  d.inherit_environment = false;
  EXPECT_NE(dialect.render_directives(d, c).find("#SBATCH --export=NONE\n"), std::string::npos);
}

TEST(LaunchFields, KubernetesRefusesThemNamingTheField) {
  register_builtin_adaptors();
  Capabilities kubernetes;
  for (const AdaptorDescriptor& a : Registry::global().adaptors()) {
    if (a.name == "kubernetes") kubernetes = a.capabilities;
  }
  JobDescription d;
  d.executable = "/bin/true";
  d.inherit_environment = false;
  auto refused = detail::unsupported_resource(d, kubernetes, "kubernetes");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->field, "inherit_environment");
  d.launcher = "mpiexec";
  EXPECT_EQ(detail::unsupported_resource(d, kubernetes, "kubernetes")->field, "launcher");
  JobDescription plain;
  plain.executable = "/bin/true";
  EXPECT_FALSE(detail::unsupported_resource(plain, kubernetes, "kubernetes"));
}

}  // namespace
}  // namespace cuttle
