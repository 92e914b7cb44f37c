// Job arrays (docs/arrays.md): the spec's text form and bounds, element ids, the aggregate
// rule, the JSON form, what each dialect renders, and the per-element wrapper.
#include <gtest/gtest.h>

#include "adaptors/batch/array_job.h"
#include "adaptors/slurm/slurm_dialect.h"
#include "adaptors/torque/torque_dialect.h"
#include "cuttle/cuttle.h"
#include "internal/wrapper_script.h"

namespace cuttle {
namespace {

using detail::DirectiveContext;

void expect_refused(const std::string& text) {
  try {
    ArraySpec::parse(text);
    ADD_FAILURE() << "'" << text << "' was accepted";
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "array") << text;
  }
}

TEST(ArraySpec, ParsesRangesStepsThrottlesAndCounts) {
  EXPECT_EQ(ArraySpec::parse("0-99%5"), (ArraySpec{0, 99, 1, 5}));
  EXPECT_EQ(ArraySpec::parse("3-11:4"), (ArraySpec{3, 11, 4, std::nullopt}));
  EXPECT_EQ(ArraySpec::parse("3-11:4").indices(), (std::vector<int>{3, 7, 11}));
  EXPECT_EQ(ArraySpec::parse("100"), ArraySpec::of_count(100));  // a bare number is a count
  EXPECT_EQ(ArraySpec::parse("100").size(), 100);
  EXPECT_EQ(ArraySpec::parse("5-5").indices(), (std::vector<int>{5}));
  EXPECT_EQ(ArraySpec::parse("1000%10").to_string(), "0-999:1%10");
  EXPECT_EQ(ArraySpec::parse(ArraySpec{2, 8, 3, 2}.to_string()), (ArraySpec{2, 8, 3, 2}));
}

TEST(ArraySpec, MalformedOrOutOfBoundsSpecsAreRefusedNamingTheField) {
  for (const char* text : {"", "0", "-1", "5-2", "0-9:0", "0-9%0", "0-9%", "a-b", "0-9;id",
                           "0-9 %5", "0-2000000", "0-100000000", "0-99999:0", "1,2,3"}) {
    expect_refused(text);
  }
  expect_refused("0-100000");  // 100,001 elements
  EXPECT_NO_THROW(ArraySpec::parse("0-99999"));
}

TEST(ArraySpec, ElementIdsRoundTripAndOtherIdsAreNotElements) {
  EXPECT_EQ(array_element_id("123", 4), "123[4]");
  EXPECT_EQ(parse_array_element_id("123[4]"), (std::pair<std::string, int>{"123", 4}));
  EXPECT_EQ(parse_array_element_id("c0123456789abcdef0123[17]"),
            (std::pair<std::string, int>{"c0123456789abcdef0123", 17}));
  for (const char* id : {"123", "123_4", "[4]", "123[]", "123[4", "123[x]", "12[].server",
                         "12[3][4]", "123[99999999]"}) {
    EXPECT_FALSE(parse_array_element_id(id)) << id;
  }
}

TEST(ArrayAggregate, RunningWhileAnyElementIsUnderWayThenTheWorstFinalState) {
  using S = JobState;
  auto of = [](std::vector<S> states) {
    std::vector<ArrayElementStatus> elements;
    for (std::size_t i = 0; i < states.size(); ++i) {
      elements.push_back({static_cast<int>(i), states[i], std::nullopt});
    }
    return aggregate_array_state(elements);
  };
  EXPECT_EQ(of({S::kQueued, S::kQueued}), S::kQueued);
  EXPECT_EQ(of({S::kQueued, S::kRunning}), S::kRunning);
  EXPECT_EQ(of({S::kCompleted, S::kQueued}), S::kRunning);
  EXPECT_EQ(of({S::kCompleted, S::kCompleted}), S::kCompleted);
  EXPECT_EQ(of({S::kCompleted, S::kCancelled}), S::kCancelled);
  EXPECT_EQ(of({S::kCancelled, S::kExpired}), S::kExpired);
  EXPECT_EQ(of({S::kExpired, S::kFailed, S::kCancelled}), S::kFailed);
  EXPECT_EQ(of({S::kFailed, S::kError}), S::kError);
  const std::vector<ArrayElementStatus> codes{
      {0, S::kCompleted, 0}, {1, S::kFailed, 3}, {2, S::kFailed, 2}};
  EXPECT_EQ(aggregate_array_exit_code(codes), 3);
  EXPECT_EQ(aggregate_array_exit_code({{0, S::kRunning, std::nullopt}, {1, S::kFailed, 3}}),
            std::nullopt);
}

TEST(ArrayDescription, JsonCarriesTheSpecAndValidationRefusesSharedOutputAndRetries) {
  JobDescription d;
  d.executable = "/bin/true";
  d.array = ArraySpec::parse("0-9:3%2");
  const std::string text = to_json_text(d);
  EXPECT_NE(text.find("\"array\":\"0-9:3%2\""), std::string::npos) << text;
  EXPECT_EQ(job_description_from_json(text), d);
  EXPECT_THROW(job_description_from_json(R"({"executable":"x","array":"9-0"})"),
               InvalidJobDescription);
  d.stdout_path = "out.txt";
  try {
    d.validate();
    ADD_FAILURE() << "a shared stdout_path was accepted";
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "stdout_path");
  }
  d.stdout_path.clear();
  d.retry_limit = 1;
  EXPECT_THROW(d.validate(), InvalidJobDescription);
}

TEST(ArrayDirectives, SlurmArrayAndTorqueT) {
  DirectiveContext c{"n.c00000000000000000001", "/w", "/o", "/e"};
  JobDescription d;
  d.executable = "/bin/true";
  d.array = ArraySpec::parse("0-99%5");
  EXPECT_NE(
      detail::slurm::SlurmDialect().render_directives(d, c).find("#SBATCH --array='0-99:1%5'\n"),
      std::string::npos);
  EXPECT_NE(detail::torque::TorqueDialect().render_directives(d, c).find("#PBS -t 0-99%5\n"),
            std::string::npos);
  d.array = ArraySpec::parse("1-7:3");  // Torque has no step: the list
  EXPECT_NE(detail::torque::TorqueDialect().render_directives(d, c).find("#PBS -t 1,4,7\n"),
            std::string::npos);
  const detail::slurm::SlurmDialect slurm;
  EXPECT_EQ(slurm.canonical_id("12[3]"), "12_3");
  EXPECT_EQ(slurm.cancel_argv("12[3]"), (std::vector<std::string>{"scancel", "12_3"}));
  const auto status = slurm.status_argv({"12[3]", "13"});
  EXPECT_NE(std::find(status.begin(), status.end(), "--jobs=12_3,13"), status.end());
  EXPECT_NE(std::find(status.begin(), status.end(), "-r"), status.end());
}

TEST(ArrayWrapper, EachElementRecordsInItsOwnDirectoryFromItsIndex) {
  JobDescription d;
  d.executable = "/bin/echo";
  d.arguments = {"it's"};
  d.array = ArraySpec::of_count(2);
  const detail::WrapperPaths paths = detail::array_wrapper_paths(d, "/s b");
  EXPECT_EQ(paths.working_directory, "/s b");  // staged-in files are the array's
  const std::string wrapper =
      detail::per_element_wrapper(detail::render_wrapper(d, paths, std::chrono::seconds(5)));
  EXPECT_NE(wrapper.find("echo \"$$\" > '/s b/elements/'\"$CUTTLE_ARRAY_INDEX\"'/.cuttle/pid'"),
            std::string::npos)
      << wrapper;
  EXPECT_NE(wrapper.find("'/s b/elements/'\"$CUTTLE_ARRAY_INDEX\"'/stdout.txt'"),
            std::string::npos);
  EXPECT_EQ(wrapper.find('\x01'), std::string::npos);
  EXPECT_NE(detail::array_job_prelude("/s b").find(
                "mkdir -p '/s b/elements/'\"$CUTTLE_ARRAY_INDEX\"/.cuttle\n"),
            std::string::npos);
}

}  // namespace
}  // namespace cuttle
