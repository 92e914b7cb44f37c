// The remote executor's framing (adaptors/ssh/executor_protocol.h): frames encoded and
// parsed byte-exactly whatever the bytes, cut anywhere, huge; and the executor script
// itself, run by this machine's /bin/sh and busybox sh over a pipe (the sshd tests run
// it through a real login shell: tests/integration/ssh_executor_test.cc).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "adaptors/ssh/executor_protocol.h"
#include "cuttle/command_runner.h"
#include "cuttle/shell.h"

namespace cuttle::detail::executor {
namespace {

using namespace std::string_literals;

std::vector<std::string> hostile() {
  std::string every_byte;
  for (int c = 1; c < 256; ++c) every_byte += static_cast<char>(c);
  return {"",
          " ",
          "two words",
          "it's",
          "\"double\"",
          "back\\slash\\",
          "$(touch /tmp/cuttle-executor-canary)",
          "`id`",
          "line\nbreak\n",
          "\n",
          "R 0 0 0\n",
          "P\n",
          "*?[a]",
          "-n",
          "\xff\xfe not utf-8",
          every_byte};
}

// What the executor answers for `frames`, cut into pieces of `piece` bytes.
std::vector<Result> results_of(const std::string& stream, std::size_t piece, int commands) {
  ResponseReader reader;
  std::vector<Result> results;
  bool started = false;
  for (std::size_t at = 0; at < stream.size(); at += piece) {
    reader.feed(std::string_view(stream).substr(at, piece));
    while (static_cast<int>(results.size()) < commands) {
      if (!started) started = reader.started();
      if (!started) break;
      auto result = reader.result();
      if (!result) break;
      results.push_back(std::move(*result));
      started = false;
    }
  }
  EXPECT_EQ(reader.pending(), 0u);
  return results;
}

std::string response(int status, const std::string& out, const std::string& err) {
  return "P\nR " + std::to_string(status) + " " + std::to_string(out.size()) + " " +
         std::to_string(err.size()) + "\n" + out + err;
}

TEST(ExecutorProtocolTest, RequestCountsTheCommandLinesAndCarriesStdinVerbatim) {
  EXPECT_EQ(encode_request("'true'", ""), "1 0\n'true'\n");
  EXPECT_EQ(encode_request("'printf' 'a\nb\n'", "x\0y"s), "3 3\n'printf' 'a\nb\n'\nx\0y"s);
}

TEST(ExecutorProtocolTest, ResultsKeepEveryByteWhateverTheReadBoundaries) {
  std::string stream;
  std::vector<std::string> values = hostile();
  for (const std::string& value : values) stream += response(3, value, "err\0"s + value);
  for (std::size_t piece : {std::size_t{1}, std::size_t{7}, stream.size()}) {
    std::vector<Result> results = results_of(stream, piece, static_cast<int>(values.size()));
    ASSERT_EQ(results.size(), values.size()) << "pieces of " << piece;
    for (std::size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(results[i].exit_code, 3);
      EXPECT_EQ(results[i].stdout_text, values[i]);
      EXPECT_EQ(results[i].stderr_text, "err\0"s + values[i]);
    }
  }
}

TEST(ExecutorProtocolTest, TruncatedFrameIsIncompleteNotWrong) {
  const std::string whole = response(0, "hello\n", "");
  for (std::size_t cut = 2; cut < whole.size(); ++cut) {
    ResponseReader reader;
    reader.feed(whole.substr(0, cut));
    ASSERT_TRUE(reader.started());
    EXPECT_FALSE(reader.result().has_value()) << "cut at " << cut;
    reader.feed(whole.substr(cut));
    auto result = reader.result();
    ASSERT_TRUE(result.has_value()) << "cut at " << cut;
    EXPECT_EQ(result->stdout_text, "hello\n");
  }
}

TEST(ExecutorProtocolTest, MalformedHeadersAreProtocolErrors) {
  for (const std::string& bad :
       {"X\n"s, "R 0 1\n"s, "R -1 0 0\n"s, "R 0 x 0\n"s, "R 0 0 0 0\n"s, std::string(300, 'R')}) {
    ResponseReader reader;
    reader.feed("P\n" + bad);
    ASSERT_TRUE(reader.started());
    EXPECT_THROW(reader.result(), ProtocolError) << bad;
  }
  ResponseReader reader;
  reader.feed("no P\n");
  EXPECT_THROW(reader.started(), ProtocolError);
}

TEST(ExecutorProtocolTest, BannerSkipsLoginShellOutputAndNeedsTheWholeNonceLine) {
  ResponseReader reader;
  reader.feed("Welcome to hpc!\nnot-cuttle-n1 5\nxcuttle-n1 6\n");
  EXPECT_FALSE(reader.banner("cuttle-n1").has_value());
  reader.feed("cuttle-n1 4");
  EXPECT_FALSE(reader.banner("cuttle-n1").has_value());
  reader.feed("2\nP\n");
  EXPECT_EQ(reader.banner("cuttle-n1"), 42);
  EXPECT_TRUE(reader.started());
}

TEST(ExecutorProtocolTest, HugeOutputArrivesWhole) {
  std::string out(48u << 20, 'x');
  for (std::size_t i = 0; i < out.size(); i += 4099) out[i] = static_cast<char>(i % 256);
  std::vector<Result> results = results_of(response(0, out, "e"), 1 << 16, 1);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].stdout_text == out);
  EXPECT_EQ(results[0].stderr_text, "e");
}

// The real script under a real shell, fed over a pipe as sshd feeds it: every request of
// one stream answered in order, byte for byte.
void check_script_under(const std::string& shell) {
  const std::string boot = bootstrap_command();
  const std::string prefix = "exec /bin/sh -c '";
  ASSERT_EQ(boot.rfind(prefix, 0), 0u);
  const std::string inner = boot.substr(prefix.size(), boot.size() - prefix.size() - 1);
  std::vector<std::string> shell_argv;
  if (shell == "busybox")
    shell_argv = {"busybox", "sh"};
  else
    shell_argv = {shell};
  shell_argv.insert(shell_argv.end(), {"-c", inner});

  std::string stream = script_line("cuttle-test");
  std::vector<std::string> values = hostile();
  for (const std::string& value : values) {
    stream += encode_request(quote_command({"printf", "%s", value}), "");
  }
  const std::string input = "in\0put\nR 0 0 0\n"s + hostile().back();
  stream += encode_request(quote_command({"cat"}), input);
  stream += encode_request(quote_command({"sh", "-c", "echo oops >&2; exit 7"}), "");
  stream += encode_request(quote_command({"no-such-command-cuttle"}), "");
  stream += encode_request(quote_command({"sh", "-c", "kill -TERM $$"}), "");

  CommandOptions options;
  options.stdin_text = stream;
  options.timeout = std::chrono::seconds(60);
  CommandResult run = LocalRunner().run(shell_argv, options);
  ASSERT_EQ(run.exit_code, 0) << run.stderr_text;

  ResponseReader reader;
  reader.feed(run.stdout_text);
  ASSERT_TRUE(reader.banner("cuttle-test").has_value());
  auto next = [&] {
    EXPECT_TRUE(reader.started());
    auto result = reader.result();
    EXPECT_TRUE(result.has_value());
    return result.value_or(Result{});
  };
  for (const std::string& value : values) {
    Result result = next();
    EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
    EXPECT_EQ(result.stdout_text, value);
  }
  EXPECT_EQ(next().stdout_text, input);
  Result failed = next();
  EXPECT_EQ(failed.exit_code, 7);
  EXPECT_EQ(failed.stderr_text, "oops\n");
  Result missing = next();
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_NE(missing.stderr_text.find("no-such-command-cuttle"), std::string::npos);
  EXPECT_EQ(next().exit_code, 128 + 15);
  EXPECT_EQ(reader.pending(), 0u);
  EXPECT_FALSE(std::filesystem::exists("/tmp/cuttle-executor-canary"));
}

TEST(ExecutorScriptTest, SystemShellAnswersEveryRequestByteExactly) {
  check_script_under("/bin/sh");
}

TEST(ExecutorScriptTest, BusyboxShellAnswersEveryRequestByteExactly) {
  // busybox's head reads ahead on a pipe: the script must notice and use dd for stdin.
  if (LocalRunner().run({"sh", "-c", "command -v busybox"}).exit_code != 0) {
    GTEST_SKIP() << "no busybox here (apt-get install busybox-static)";
  }
  check_script_under("busybox");
}

}  // namespace
}  // namespace cuttle::detail::executor
