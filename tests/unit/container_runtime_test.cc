// The runtime tables on the argv they render (the only test Apptainer and Singularity can
// have on Debian 12), how each tells its own failures from the job's exit code, the
// `auto` probe, and the submit-time refusal of an image where no container can run.
#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cuttle/error.h"
#include "internal/container_runtime.h"

namespace cuttle::detail {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Argv = std::vector<std::string>;

ContainerLaunch launch() {
  ContainerLaunch l;
  l.image = "localhost/busybox:latest";
  l.sandbox = "/scratch/c0123";
  l.name = container_name("c0123");
  l.command = {"/bin/sh", "-c", "exit 7"};
  l.environment = {{"A", "it's $(x)"}, {"B", "two\nlines"}};
  return l;
}

std::string unsupported_message(ContainerRuntime runtime, const ContainerLaunch& l) {
  try {
    container_runtime_table(runtime).run_argv(l);
  } catch (const Unsupported& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(ContainerRuntimeTable, PodmanRunsWithInitNameSandboxAndNoNetwork) {
  ContainerLaunch l = launch();
  l.options.mounts = {{"/data", "/in"}};
  l.options.user = "1000:1000";
  EXPECT_THAT(
      container_runtime_table(ContainerRuntime::kPodman).run_argv(l),
      ElementsAre("podman", "run", "--rm", "--init", "--interactive", "--name", "cuttle-c0123",
                  "--network", "none", "--user", "1000:1000", "--volume", "/scratch/c0123:/work",
                  "--workdir", "/work", "--volume", "/data:/in:ro", "--env", "A=it's $(x)", "--env",
                  "B=two\nlines", "localhost/busybox:latest", "/bin/sh", "-c", "exit 7"));
}

TEST(ContainerRuntimeTable, NetworkOnDropsTheNoneNetwork) {
  ContainerLaunch l = launch();
  l.options.network = true;
  for (auto runtime : {ContainerRuntime::kPodman, ContainerRuntime::kDocker}) {
    Argv argv = container_runtime_table(runtime).run_argv(l);
    EXPECT_EQ(std::count(argv.begin(), argv.end(), "--network"), 0);
  }
}

TEST(ContainerRuntimeTable, DockerTakesRegistryReferencesWithoutTransport) {
  ContainerLaunch l = launch();
  l.image = "docker://busybox:1.36";
  Argv argv = container_runtime_table(ContainerRuntime::kDocker).run_argv(l);
  EXPECT_EQ(argv[0], "docker");
  EXPECT_EQ(argv[argv.size() - 4], "busybox:1.36");
  l.image = "library://alpine";
  EXPECT_THAT(unsupported_message(ContainerRuntime::kDocker, l), HasSubstr("container_image"));
}

TEST(ContainerRuntimeTable, OciRuntimesKillAndRemoveByName) {
  const auto& podman = container_runtime_table(ContainerRuntime::kPodman);
  EXPECT_THAT(podman.kill_argv("cuttle-c1", "TERM"),
              ElementsAre("podman", "kill", "--signal", "TERM", "cuttle-c1"));
  EXPECT_THAT(podman.remove_argv("cuttle-c1"),
              ElementsAre("podman", "rm", "--force", "--time", "0", "--ignore", "cuttle-c1"));
  const auto& docker = container_runtime_table(ContainerRuntime::kDocker);
  EXPECT_THAT(docker.kill_argv("cuttle-c1", "KILL"),
              ElementsAre("docker", "kill", "--signal", "KILL", "cuttle-c1"));
  EXPECT_THAT(docker.remove_argv("cuttle-c1"), ElementsAre("docker", "rm", "--force", "cuttle-c1"));
}

TEST(ContainerRuntimeTable, ApptainerPassesEnvironmentThroughItsPrefix) {
  ContainerLaunch l = launch();
  l.image = "/images/busybox.sif";
  l.options.mounts = {{"/data", "/in"}};
  l.environment = {{"A", "x,y=z"}};
  EXPECT_THAT(container_runtime_table(ContainerRuntime::kApptainer).run_argv(l),
              ElementsAre("env", "APPTAINERENV_A=x,y=z", "apptainer", "exec", "--containall",
                          "--pwd", "/work", "--bind", "/scratch/c0123:/work", "--bind",
                          "/data:/in:ro", "/images/busybox.sif", "/bin/sh", "-c", "exit 7"));
  Argv singularity = container_runtime_table(ContainerRuntime::kSingularity).run_argv(l);
  EXPECT_EQ(singularity[1], "SINGULARITYENV_A=x,y=z");
  EXPECT_EQ(singularity[2], "singularity");
}

TEST(ContainerRuntimeTable, ApptainerIsolatesTheNetworkOnlyWhenAsked) {
  ContainerLaunch l = launch();
  Argv host = container_runtime_table(ContainerRuntime::kApptainer).run_argv(l);
  EXPECT_EQ(std::count(host.begin(), host.end(), "--net"), 0);
  l.options.network = false;
  Argv none = container_runtime_table(ContainerRuntime::kApptainer).run_argv(l);
  auto net = std::find(none.begin(), none.end(), "--net");
  ASSERT_NE(net, none.end());
  EXPECT_THAT(Argv(net, net + 3), ElementsAre("--net", "--network", "none"));
}

TEST(ContainerRuntimeTable, ApptainerRefusesAnotherUser) {
  ContainerLaunch l = launch();
  l.options.user = "nobody";
  EXPECT_THAT(unsupported_message(ContainerRuntime::kApptainer, l), HasSubstr("container.user"));
}

TEST(ContainerRuntimeTable, CharliecloudExecsWithSandboxAtWork) {
  ContainerLaunch l = launch();
  l.image = "/images/busybox";
  l.options.user = "0:0";
  const auto& table = container_runtime_table(ContainerRuntime::kCharliecloud);
  EXPECT_THAT(table.run_argv(l),
              ElementsAre("ch-run", "--bind=/scratch/c0123:/work", "--cd=/work", "--private-tmp",
                          "--env-no-expand", "--set-env=PWD=/work", "--uid=0", "--gid=0",
                          "--set-env=A=it's $(x)", "--set-env=B=two\nlines", "/images/busybox",
                          "--", "/bin/sh", "-c", "exit 7"));
  EXPECT_TRUE(table.kill_argv("cuttle-c1", "TERM").empty());
  EXPECT_TRUE(table.remove_argv("cuttle-c1").empty());
}

TEST(ContainerRuntimeTable, CharliecloudRefusesWhatItCannotHonour) {
  ContainerLaunch l = launch();
  l.options.network = false;
  EXPECT_THAT(unsupported_message(ContainerRuntime::kCharliecloud, l),
              HasSubstr("container.network"));
  l = launch();
  l.options.mounts = {{"/data", "/in"}};
  EXPECT_THAT(unsupported_message(ContainerRuntime::kCharliecloud, l),
              HasSubstr("container.mounts"));
  l = launch();
  l.options.user = "nobody";
  EXPECT_THAT(unsupported_message(ContainerRuntime::kCharliecloud, l), HasSubstr("container.user"));
  l = launch();
  l.options.network = true;
  EXPECT_EQ(unsupported_message(ContainerRuntime::kCharliecloud, l), "(accepted)");
}

TEST(ContainerRuntimeTable, SandboxPathsTheMountSyntaxCannotCarryAreRefused) {
  for (const char* sandbox : {"relative/dir", "/a:b", "/a,b", "/a\nb", ""}) {
    ContainerLaunch l = launch();
    l.sandbox = sandbox;
    for (auto runtime : {ContainerRuntime::kPodman, ContainerRuntime::kDocker,
                         ContainerRuntime::kApptainer, ContainerRuntime::kCharliecloud}) {
      EXPECT_THROW(container_runtime_table(runtime).run_argv(l), InvalidArgument) << sandbox;
    }
  }
}

TEST(ContainerRuntimeTable, OciRuntimesRefuseBytesJsonCannotCarry) {
  for (auto runtime : {ContainerRuntime::kPodman, ContainerRuntime::kDocker}) {
    ContainerLaunch l = launch();
    l.command = {"/bin/echo", "ok \xc3\xbc \xf0\x9f\x90\x99", "bad \xff\xfe"};
    EXPECT_THAT(unsupported_message(runtime, l), HasSubstr("arguments[1]"));
    for (const char* bad : {"\x80", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
      l = launch();
      l.environment = {{"V", std::string("x") + bad}};
      EXPECT_THAT(unsupported_message(runtime, l), HasSubstr("environment.V")) << bad;
    }
  }
  // ch-run execs the job itself: any bytes pass.
  ContainerLaunch l = launch();
  l.command = {"/bin/echo", "bad \xff\xfe"};
  EXPECT_EQ(unsupported_message(ContainerRuntime::kCharliecloud, l), "(accepted)");
}

TEST(ContainerFailure, TheRecordNamesTheImageAndTheRuntimesMessage) {
  EXPECT_EQ(container_failure("podman localhost/x:1", 125, "Error: initializing source x: nope"),
            "container image localhost/x:1 did not run: podman: initializing source x: nope");
  EXPECT_EQ(container_failure("podman localhost/x:1", 7, "my own error"), std::nullopt);
  EXPECT_EQ(container_failure("podman localhost/x:1", 0, "Error: x"), std::nullopt);
  EXPECT_EQ(container_failure("", 125, "Error: x"), std::nullopt);  // no container
  EXPECT_EQ(container_failure("ch-run /img", 1, "ch-run[12]: error: can't find image: /img"),
            "container image /img did not run: ch-run: can't find image: /img");
  EXPECT_EQ(container_failure("podman x", 127,
                              "cuttle: container.runtime: podman is not "
                              "installed on node1"),
            "container.runtime: podman is not installed on node1");
}

TEST(ContainerRuntimeFailure, PodmanOwnErrorsAreTheRuntimes) {
  const auto& podman = container_runtime_table(ContainerRuntime::kPodman);
  // Captured from podman 4.3.1 on Debian 12 (`podman run --rm localhost/nothere:latest true`).
  const std::string missing =
      "Trying to pull localhost/nothere:latest...\n"
      "Error: initializing source docker://localhost/nothere:latest: pinging container "
      "registry localhost: Get \"https://localhost/v2/\": dial tcp 127.0.0.1:443: connect: "
      "connection refused\n";
  auto failure = podman.runtime_failure(125, missing);
  ASSERT_TRUE(failure.has_value());
  EXPECT_THAT(*failure, HasSubstr("podman: initializing source docker://localhost/nothere"));
  EXPECT_TRUE(podman
                  .runtime_failure(127,
                                   "Error: runc: exec: \"nothere\": executable file not "
                                   "found in $PATH\n")
                  .has_value());
}

TEST(ContainerRuntimeFailure, InitReportsACommandThatCannotStart) {
  // Captured from podman 4.3.1 + catatonit 0.1.7 (`podman run --init IMAGE /no/such`).
  EXPECT_EQ(container_runtime_table(ContainerRuntime::kPodman)
                .runtime_failure(1,
                                 "ERROR (catatonit:6): failed to exec pid1: No such file or "
                                 "directory\n"),
            "podman: ERROR (catatonit:6): failed to exec pid1: No such file or directory");
  EXPECT_FALSE(container_runtime_table(ContainerRuntime::kPodman)
                   .runtime_failure(1, "grep: no such file\n")
                   .has_value());
}

TEST(ContainerRuntimeFailure, TheJobsOwnCodesPassThrough) {
  const auto& podman = container_runtime_table(ContainerRuntime::kPodman);
  EXPECT_FALSE(podman.runtime_failure(7, "Error: from the job\n").has_value());
  EXPECT_FALSE(podman.runtime_failure(126, "sh: permission denied\n").has_value());
  EXPECT_FALSE(podman.runtime_failure(125, "").has_value());
  EXPECT_FALSE(podman.runtime_failure(0, "").has_value());
  const auto& docker = container_runtime_table(ContainerRuntime::kDocker);
  EXPECT_EQ(docker.runtime_failure(125,
                                   "Unable to find image 'x:latest' locally\ndocker: Error "
                                   "response from daemon: pull access denied for x.\n"),
            "docker: Error response from daemon: pull access denied for x.");
  EXPECT_FALSE(docker.runtime_failure(1, "docker: no\n").has_value());
}

TEST(ContainerRuntimeFailure, CharliecloudAndApptainerMessages) {
  const auto& ch = container_runtime_table(ContainerRuntime::kCharliecloud);
  // Captured from ch-run 0.31 on Debian 12 with a missing image directory.
  EXPECT_EQ(
      ch.runtime_failure(1,
                         "ch-run[21363]: error: can't stat: /nonexist: No such file or directory "
                         "(ch_core.c:255 2)\n"),
      "ch-run: can't stat: /nonexist: No such file or directory (ch_core.c:255 2)");
  EXPECT_FALSE(ch.runtime_failure(1, "grep: no match\n").has_value());
  EXPECT_FALSE(ch.runtime_failure(7, "ch-run[1]: error: x\n").has_value());
  const auto& apptainer = container_runtime_table(ContainerRuntime::kApptainer);
  EXPECT_EQ(apptainer.runtime_failure(255, "FATAL:   could not open image /x.sif: no such file\n"),
            "apptainer: could not open image /x.sif: no such file");
  EXPECT_FALSE(apptainer.runtime_failure(255, "the job's own 255\n").has_value());
}

TEST(ContainerName, DerivedFromTheJobKey) {
  EXPECT_EQ(container_name("c00000190a8b3c4d5e6f7"), "cuttle-c00000190a8b3c4d5e6f7");
  EXPECT_EQ(container_name("8d2f-uuid_1.2"), "cuttle-8d2f-uuid_1.2");
  for (const char* bad : {"", "a b", "a;b", "a/b", "$(x)", "a\nb"}) {
    EXPECT_THROW(container_name(bad), InvalidArgument) << bad;
  }
  EXPECT_THROW(container_name(std::string(201, 'a')), InvalidArgument);
}

TEST(ContainerProbe, AutoLooksForEveryRuntimeInOrder) {
  Argv argv = probe_argv(ContainerRuntime::kAuto);
  ASSERT_GE(argv.size(), 4u);
  EXPECT_EQ(argv[0], "sh");
  EXPECT_THAT(Argv(argv.begin() + 4, argv.end()),
              ElementsAre("podman", "docker", "apptainer", "singularity", "ch-run"));
  Argv one = probe_argv(ContainerRuntime::kCharliecloud);
  EXPECT_THAT(Argv(one.begin() + 4, one.end()), ElementsAre("ch-run"));
}

TEST(ContainerProbe, ParsesWhatWasFoundOrSaysWhatWasMissing) {
  EXPECT_EQ(parse_probe(ContainerRuntime::kAuto, {0, "ch-run\n", ""}, "ssh://hpc"),
            ContainerRuntime::kCharliecloud);
  EXPECT_EQ(parse_probe(ContainerRuntime::kAuto, {0, "docker\n", ""}, "local"),
            ContainerRuntime::kDocker);
  try {
    parse_probe(ContainerRuntime::kApptainer, {3, "", ""}, "ssh://hpc");
    FAIL() << "no runtime accepted";
  } catch (const Unsupported& e) {
    EXPECT_THAT(e.what(), HasSubstr("container.runtime"));
    EXPECT_THAT(e.what(), HasSubstr("apptainer"));
    EXPECT_THAT(e.what(), HasSubstr("ssh://hpc"));
  }
  EXPECT_THROW(parse_probe(ContainerRuntime::kAuto, {0, "rkt\n", ""}, "local"), Unsupported);
  EXPECT_THROW(parse_probe(ContainerRuntime::kAuto, {127, "", "sh: not found"}, "local"),
               Unsupported);
}

TEST(ContainerSupport, AnImageWhereNoContainerCanRunIsRefusedNamingTheField) {
  JobDescription d;
  d.executable = "/bin/true";
  Capabilities none;
  EXPECT_NO_THROW(require_container_support(d, none, "local"));
  d.container_image = "docker://x";
  try {
    require_container_support(d, none, "local");
    FAIL() << "ran without a container";
  } catch (const Unsupported& e) {
    EXPECT_THAT(e.what(), HasSubstr("container_image"));
    EXPECT_THAT(e.what(), HasSubstr("local"));
  }
  Capabilities containers;
  containers.containers = true;
  EXPECT_NO_THROW(require_container_support(d, containers, "kubernetes"));
}

TEST(LastLine, SkipsTrailingBlankLines) {
  EXPECT_EQ(last_line("a\nb\n\n"), "b");
  EXPECT_EQ(last_line("only"), "only");
  EXPECT_EQ(last_line(""), "");
  EXPECT_EQ(last_line("x\r\n"), "x");
}

}  // namespace
}  // namespace cuttle::detail
