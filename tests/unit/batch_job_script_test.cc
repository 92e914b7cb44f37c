// Job script rendering shared by the batch dialects: quoting, refused newlines, and the
// job name that carries our key.
#include <gtest/gtest.h>

#include "adaptors/batch/job_script.h"
#include "adaptors/batch/text.h"
#include "cuttle/error.h"
#include "internal/wrapper_script.h"

namespace cuttle::detail {
namespace {

TEST(BatchJobScript, DirectiveValuesAreQuotedWords) {
  EXPECT_EQ(directive_line("#SBATCH", "--chdir=", "/a b/it's", "working_directory"),
            "#SBATCH --chdir='/a b/it'\\''s'\n");
  EXPECT_EQ(directive_value("$(rm -rf /) `x` *", "f"), "'$(rm -rf /) `x` *'");
}

TEST(BatchJobScript, NewlineInDirectiveIsRefusedNamingTheField) {
  try {
    directive_value("a\n#SBATCH --uid=0", "queue");
    FAIL() << "no exception";
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "queue");
  }
  EXPECT_THROW(directive_value("a\rb", "queue"), InvalidJobDescription);
}

TEST(BatchJobScript, DirectiveWordLeavesPlainValuesUnquoted) {
  EXPECT_EQ(directive_word("debug", "queue"), "debug");
  EXPECT_EQ(directive_word("a b", "queue"), "'a b'");
  EXPECT_THROW(directive_word("a\nb", "queue"), InvalidJobDescription);
}

TEST(BatchJobScript, SchedulerArgumentsMustBeOptionsWithoutNewlines) {
  EXPECT_NO_THROW(check_scheduler_arguments({"--exclusive", "--constraint=a&b"}));
  try {
    check_scheduler_arguments({"--exclusive", "x"});
    FAIL() << "no exception";
  } catch (const InvalidJobDescription& e) {
    EXPECT_EQ(e.field(), "scheduler_arguments[1]");
  }
  EXPECT_THROW(check_scheduler_arguments({"--comment=a\n#SBATCH --uid=0"}), InvalidJobDescription);
  EXPECT_THROW(check_scheduler_arguments({""}), InvalidJobDescription);
}

TEST(BatchJobScript, ScriptExecsTheQuotedWrapper) {
  const std::string script = render_job_script("#SBATCH --x=1\n", "/s p/.cuttle/wrapper.sh");
  EXPECT_EQ(script,
            "#!/bin/sh\n#SBATCH --x=1\n"
            "id=${SLURM_ARRAY_JOB_ID:-${SLURM_JOB_ID:-${PBS_JOBID:-}}}\n"
            "[ -s '/s p/.cuttle/backend' ] || [ -z \"$id\" ] || "
            "{ printf '%s\\n' \"$id\" > '/s p/.cuttle/.backend.job' && "
            "mv -f '/s p/.cuttle/.backend.job' '/s p/.cuttle/backend'; }\n"
            "exec /bin/sh '/s p/.cuttle/wrapper.sh'\n");
}

TEST(BatchJobScript, JobNameCarriesTheKeyAndHostileNamesAreReduced) {
  const std::string key = new_job_key();
  const std::string name = batch_job_name("a b;$(x)`y`'\"\n*", key);
  EXPECT_EQ(name, "a_b___x__y_____." + key);
  EXPECT_EQ(job_key_from_name(name), key);
  EXPECT_EQ(name_part_of(name), sanitized_job_name("a b;$(x)`y`'\"\n*"));
  EXPECT_EQ(batch_job_name("", key), key);
  EXPECT_EQ(job_key_from_name(key), key);
  EXPECT_EQ(name_part_of(key), "");
  EXPECT_EQ(job_key_from_name("someone-elses-job"), std::nullopt);
  EXPECT_EQ(job_key_from_name("x.c0123"), std::nullopt);
  EXPECT_LE(batch_job_name(std::string(500, 'n'), key).size(), 64u + 1 + key.size());
}

TEST(BatchText, FieldsKeepExtraSeparatorsInTheLastField) {
  auto f = split_fields("1\x1fRUNNING\x1fname\x1fwith\x1fseps", '\x1f', 3);
  ASSERT_TRUE(f);
  EXPECT_EQ((*f)[2], "name\x1fwith\x1fseps");
  EXPECT_FALSE(
      split_fields("1\x1f"
                   "2",
                   '\x1f', 3));
}

// Found by tests/fuzz/fuzz_units: year 1013 overflowed the clock's nanoseconds (UB).
TEST(BatchText, TimestampsOutsideTheClockRangeAreMalformed) {
  EXPECT_NE(parse_local_timestamp("2026-11-23T01:25:59"), std::nullopt);
  EXPECT_EQ(parse_local_timestamp("1013-11-23T01:25:59"), std::nullopt);
  EXPECT_EQ(parse_local_timestamp("9999-11-23T01:25:59"), std::nullopt);
  EXPECT_EQ(parse_local_timestamp("2026-13-23T01:25:59"), std::nullopt);
  EXPECT_EQ(parse_local_timestamp("2026-11-23T-1:25:59"), std::nullopt);
}

TEST(BatchText, ClockDurationsAsSlurmAndTorquePrintThem) {
  using std::chrono::seconds;
  EXPECT_EQ(parse_duration_clock("4:00"), seconds(240));
  EXPECT_EQ(parse_duration_clock("1:00:00"), seconds(3600));
  EXPECT_EQ(parse_duration_clock("2-03:04:05"), seconds(2 * 86400 + 3 * 3600 + 4 * 60 + 5));
  EXPECT_EQ(parse_duration_clock("30"), seconds(1800));
  EXPECT_EQ(parse_duration_clock("UNLIMITED"), std::nullopt);
  EXPECT_EQ(parse_duration_clock(""), std::nullopt);
  EXPECT_EQ(ceil_minutes(seconds(61)), 2);
  EXPECT_EQ(ceil_minutes(seconds(60)), 1);
}

}  // namespace
}  // namespace cuttle::detail
