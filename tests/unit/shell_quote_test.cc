// quote() is checked against the real /bin/sh: every hostile string must come back
// byte for byte, and nothing in it may be executed.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "cuttle/command_runner.h"
#include "cuttle/error.h"
#include "cuttle/shell.h"
#include "tests/unit/test_util.h"

namespace cuttle {
namespace {

std::string through_shell(const std::string& text) {
  LocalRunner runner;
  auto result = runner.run({"/bin/sh", "-c", "printf '%s' " + quote(text)});
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  return result.stdout_text;
}

class HostileText : public ::testing::TestWithParam<std::string> {};

TEST_P(HostileText, ArrivesByteForByteThroughSh) {
  EXPECT_EQ(through_shell(GetParam()), GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    Quote, HostileText,
    ::testing::Values(std::string(""), std::string("plain"), std::string("two words"),
                      std::string("it's"), std::string("'"), std::string("''"),
                      std::string("\"double\""), std::string("line\nbreak"), std::string("\n"),
                      std::string("$(touch /tmp/cuttle-pwned)"), std::string("`id`"),
                      std::string("${HOME}"), std::string("$HOME"), std::string("*"),
                      std::string("?[a-z]*"), std::string("~"), std::string("a;b&c|d>e<f"),
                      std::string("back\\slash\\"), std::string("tab\there"),
                      std::string("\xff\xfe non-utf8 \x80"), std::string("-n"),
                      std::string("!event"), std::string("#comment")));

TEST(Quote, CommandSubstitutionIsNeverExecuted) {
  testing::TempDir dir;
  const std::string victim = dir.path() + "/created";
  through_shell("$(touch " + victim + ")");
  through_shell("`touch " + victim + "`");
  struct stat st {};
  EXPECT_NE(::stat(victim.c_str(), &st), 0) << "quoted text was executed";
}

TEST(Quote, NulByteIsRefused) { EXPECT_THROW(quote(std::string("a\0b", 3)), InvalidArgument); }

TEST(Quote, EmptyStringIsAnEmptyWord) { EXPECT_EQ(quote(""), "''"); }

TEST(QuoteCommand, KeepsArgumentBoundaries) {
  LocalRunner runner;
  std::vector<std::string> argv{"printf", "[%s]", "a b", "", "c\nd", "'e'"};
  auto result = runner.run({"/bin/sh", "-c", quote_command(argv)});
  EXPECT_EQ(result.stdout_text, "[a b][][c\nd]['e']");
}

}  // namespace
}  // namespace cuttle
