// LocalRunner: argv reaches the program byte for byte, outputs of any size come back,
// stdin is fed, timeouts kill the whole process group, missing programs behave as in sh.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cuttle/command_runner.h"
#include "cuttle/error.h"
#include "tests/unit/test_util.h"

namespace cuttle {
namespace {

// A string literal with its embedded NUL bytes kept.
template <std::size_t N>
std::string bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

// Prints every argument followed by a NUL, so the test sees exactly what arrived.
std::vector<std::string> echo_args(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/bin/sh", "-c",
                                   "for a in \"$@\"; do printf '%s\\0' \"$a\"; done", "sh"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::vector<std::string> split_nul(const std::string& text) {
  std::vector<std::string> parts;
  std::string current;
  for (char c : text) {
    if (c == '\0') {
      parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  return parts;
}

TEST(LocalRunner, HostileArgumentsArriveByteForByte) {
  std::vector<std::string> hostile = {
      "plain",
      "",
      "two words",
      "line1\nline2\n",
      "single'quote",
      "double\"quote",
      "$(touch /tmp/cuttle-pwned)",
      "`id`",
      "${HOME}",
      "*",
      "a;b|c&d>e<f",
      "\\back\\slash",
      "tab\there",
      bytes("\xff\xfe non-utf8 \xc3\x28"),
      "-n",
      "--",
  };
  LocalRunner runner;
  CommandResult result = runner.run(echo_args(hostile));
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_EQ(split_nul(result.stdout_text), hostile);
}

TEST(LocalRunner, ExecutableIsLookedUpInPath) {
  LocalRunner runner;
  CommandResult result = runner.run({"echo", "hello"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.stdout_text, "hello\n");
}

TEST(LocalRunner, ExitCodeAndStderrAreReturned) {
  LocalRunner runner;
  CommandResult result = runner.run({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.stdout_text, "out\n");
  EXPECT_EQ(result.stderr_text, "err\n");
}

TEST(LocalRunner, KilledBySignalGives128PlusSignal) {
  LocalRunner runner;
  CommandResult result = runner.run({"/bin/sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(result.exit_code, 128 + 15);
}

TEST(LocalRunner, LargeOutputOnBothStreamsDoesNotDeadlock) {
  LocalRunner runner;
  // 20 MB on stdout and 5 MB on stderr, interleaved, while stdin is also being fed.
  std::string input(4 << 20, 'i');
  CommandOptions options;
  options.stdin_text = input;
  CommandResult result = runner.run(
      {"/bin/sh", "-c",
       "head -c 5000000 /dev/zero | tr '\\0' e >&2 & head -c 20000000 /dev/zero | tr '\\0' o; "
       "wait; wc -c >&2"},
      options);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.stdout_text.size(), 20000000u);
  EXPECT_EQ(result.stdout_text.find_first_not_of('o'), std::string::npos);
  // stderr: 5 MB of 'e' and the byte count of stdin read by wc.
  EXPECT_NE(result.stderr_text.find(std::to_string(input.size())), std::string::npos);
  EXPECT_EQ(std::count(result.stderr_text.begin(), result.stderr_text.end(), 'e'), 5000000);
}

TEST(LocalRunner, StdinIsWrittenFully) {
  LocalRunner runner;
  CommandOptions options;
  options.stdin_text = bytes("first line\n$(not expanded) 'quoted'\n\xff\x00tail");
  CommandResult result = runner.run({"cat"}, options);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.stdout_text, options.stdin_text);
}

TEST(LocalRunner, ChildThatIgnoresStdinDoesNotKillUs) {
  LocalRunner runner;
  CommandOptions options;
  options.stdin_text = std::string(8 << 20, 'x');  // far more than a pipe buffer
  CommandResult result = runner.run({"true"}, options);
  EXPECT_EQ(result.exit_code, 0);
}

TEST(LocalRunner, EmptyStdinMeansEndOfFile) {
  LocalRunner runner;
  CommandResult result = runner.run({"cat"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.stdout_text, "");
}

TEST(LocalRunner, TimeoutKillsTheProcessGroupAndNamesTheCommand) {
  LocalRunner runner;
  CommandOptions options;
  options.timeout = std::chrono::milliseconds(300);
  // The grandchild would keep the pipes open forever if only the child were killed.
  try {
    runner.run({"/bin/sh", "-c", "sleep 30 & sleep 30; echo never"}, options);
    FAIL() << "expected Timeout";
  } catch (const Timeout& e) {
    EXPECT_NE(std::string(e.what()).find("/bin/sh"), std::string::npos) << e.what();
    EXPECT_EQ(e.kind(), ErrorKind::kTimeout);
  }
}

TEST(LocalRunner, TimeoutAppliesAfterOutputIsClosed) {
  LocalRunner runner;
  CommandOptions options;
  options.timeout = std::chrono::milliseconds(300);
  EXPECT_THROW(runner.run({"/bin/sh", "-c", "exec >/dev/null 2>&1; sleep 30"}, options), Timeout);
}

TEST(LocalRunner, CommandThatFinishesInTimeIsNotAffectedByTimeout) {
  LocalRunner runner;
  CommandOptions options;
  options.timeout = std::chrono::seconds(30);
  CommandResult result = runner.run({"echo", "quick"}, options);
  EXPECT_EQ(result.stdout_text, "quick\n");
}

TEST(LocalRunner, MissingExecutableGives127LikeAShell) {
  LocalRunner runner;
  CommandResult result = runner.run({"cuttle-no-such-program-$(id)", "arg"});
  EXPECT_EQ(result.exit_code, 127);
  EXPECT_NE(result.stderr_text.find("cuttle-no-such-program-$(id)"), std::string::npos);
  EXPECT_NE(result.stderr_text.find("not found"), std::string::npos);
}

TEST(LocalRunner, MissingAbsoluteExecutableGives127) {
  LocalRunner runner;
  EXPECT_EQ(runner.run({"/nonexistent/dir/prog"}).exit_code, 127);
}

TEST(LocalRunner, NonExecutableFileGives126) {
  LocalRunner runner;
  EXPECT_EQ(runner.run({"/etc/hostname"}).exit_code, 126);
}

TEST(LocalRunner, WorksWhenTheCallerHasClosedItsStandardInput) {
  // A daemon may run without fd 0; our pipes must not land on the child's stream numbers.
  int saved = ::dup(STDIN_FILENO);
  ASSERT_GE(saved, 0);
  ::close(STDIN_FILENO);
  LocalRunner runner;
  CommandOptions options;
  options.stdin_text = "through the pipe";
  CommandResult result = runner.run({"cat"}, options);
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_EQ(result.stdout_text, "through the pipe");
}

TEST(LocalRunner, EmptyArgvIsRefused) {
  LocalRunner runner;
  EXPECT_THROW(runner.run({}), InvalidArgument);
}

TEST(LocalRunner, NulByteInArgumentIsRefused) {
  LocalRunner runner;
  EXPECT_THROW(runner.run({"echo", bytes("a\0b")}), InvalidArgument);
}

TEST(LocalRunner, ConcurrentRunsKeepTheirOutputsApart) {
  LocalRunner runner;
  std::vector<std::thread> threads;
  std::vector<std::string> outputs(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      outputs[i] =
          runner.run({"/bin/sh", "-c", "printf %s \"$1\"", "sh", std::to_string(i)}).stdout_text;
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(outputs[i], std::to_string(i));
}

// run_with_input: the command is running while `input` prepares what it reads.
TEST(LocalRunnerWithInput, InputIsPreparedWhileTheCommandRunsAndFedWhole) {
  LocalRunner runner;
  // The command records that it started before it reads; `input` waits to see that.
  testing::TempDir dir;
  const std::string started = dir.path() + "/started";
  const std::string text = bytes("script\n$(not expanded)\n\xff\x00tail");
  bool command_was_running = false;
  CommandResult result =
      runner.run_with_input({"/bin/sh", "-c", ": > \"$1\"; exec cat", "sh", started}, [&] {
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (::access(started.c_str(), F_OK) != 0 && std::chrono::steady_clock::now() < give_up)
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        command_was_running = ::access(started.c_str(), F_OK) == 0;
        return text;
      });
  EXPECT_TRUE(command_was_running) << "input was not prepared while the command ran";
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.stdout_text, text);
}

TEST(LocalRunnerWithInput, InputThatThrowsKillsTheCommandUnfed) {
  LocalRunner runner;
  testing::TempDir dir;
  const std::string fed = dir.path() + "/fed";
  // Whatever the command reads before end of file, it would write to `fed`.
  EXPECT_THROW(
      runner.run_with_input({"/bin/sh", "-c", "cat > \"$1\"; echo eof >> \"$1\"", "sh", fed},
                            []() -> std::string { throw InvalidJobDescription("f", "bad"); }),
      InvalidJobDescription);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a survivor would have written
  EXPECT_EQ(testing::read_file(fed), "")
      << "the command saw end of file and went on instead of being killed";
}

TEST(LocalRunnerWithInput, CommandThatCannotStartIsNotPreparedFor) {
  LocalRunner runner;
  bool called = false;
  CommandResult result = runner.run_with_input({"/nonexistent/cuttle-no-such-program"}, [&] {
    called = true;
    return std::string("x");
  });
  EXPECT_EQ(result.exit_code, 127);
  EXPECT_FALSE(called);
}

TEST(LocalRunnerWithInput, TimeoutCountsFromWhenTheInputIsReady) {
  LocalRunner runner;
  CommandOptions options;
  options.timeout = std::chrono::milliseconds(500);
  CommandResult result = runner.run_with_input(
      {"cat"},
      [] {
        std::this_thread::sleep_for(std::chrono::milliseconds(800));  // longer than the timeout
        return std::string("in time");
      },
      options);
  EXPECT_EQ(result.stdout_text, "in time");
  options.timeout = std::chrono::milliseconds(300);
  EXPECT_THROW(
      runner.run_with_input(
          {"/bin/sh", "-c", "cat >/dev/null; sleep 30"}, [] { return std::string("x"); }, options),
      Timeout);
}

// A runner without its own overlap (the default) calls `input` first and feeds it whole.
TEST(LocalRunnerWithInput, ForwardingRunnerFeedsTheInputThroughRun) {
  auto local = std::make_shared<LocalRunner>();
  ForwardingRunner forwarding(local);
  CommandResult result =
      forwarding.run_with_input({"cat"}, [] { return std::string("through run()"); });
  EXPECT_EQ(result.stdout_text, "through run()");
}

TEST(RunChecked, NonZeroExitThrowsCommandFailedWithArgvAndStderr) {
  LocalRunner runner;
  std::vector<std::string> argv = {"/bin/sh", "-c", "echo 'bad thing' >&2; exit 4"};
  try {
    run_checked(runner, argv);
    FAIL() << "expected CommandFailed";
  } catch (const CommandFailed& e) {
    EXPECT_EQ(e.argv(), argv);
    EXPECT_EQ(e.exit_code(), 4);
    EXPECT_EQ(e.stderr_text(), "bad thing\n");
  }
}

TEST(RunChecked, ZeroExitReturnsTheResult) {
  LocalRunner runner;
  EXPECT_EQ(run_checked(runner, {"echo", "ok"}).stdout_text, "ok\n");
}

}  // namespace
}  // namespace cuttle
