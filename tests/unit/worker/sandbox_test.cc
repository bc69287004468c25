// Each containment step, observed from inside a real child (/bin/sh).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "worker/sandbox/capped_buffer.h"
#include "worker/sandbox/contain.h"
#include "worker/sandbox/sandbox.h"

namespace flowgrid::sandbox {
namespace {

SupervisedOutcome RunShell(const std::string& script, const std::string& input = "") {
  SandboxRequest request;
  request.executable = "/bin/sh";
  request.argv = {"sh", "-c", script};
  request.env = {"PATH=/usr/bin:/bin"};
  request.input = input;
  request.limits.wall_timeout = absl::Seconds(5);
  absl::StatusOr<SupervisedOutcome> outcome = RunInSandbox(request, -1);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  return outcome.ok() ? *std::move(outcome) : SupervisedOutcome{};
}

TEST(SandboxTest, ChildSeesOnlyItsFixedDescriptors) {
  // A descriptor the worker leaked without O_CLOEXEC must not reach the job.
  const int leaked = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 0);
  SupervisedOutcome outcome = RunShell("ls /proc/self/fd | sort -n | tr '\\n' ' '");
  ::close(leaked);
  // 0-4 plus the descriptor `ls` opens to read the directory.
  EXPECT_TRUE(absl::StartsWith(outcome.stdout_text, "0 1 2 3 4 ")) << outcome.stdout_text;
  EXPECT_EQ(outcome.stdout_text.size(), std::string("0 1 2 3 4 5 ").size())
      << outcome.stdout_text;
}

TEST(SandboxTest, StdinIsDevNullAndChannelsWork) {
  SupervisedOutcome outcome = RunShell(
      "readlink /proc/self/fd/0; cat <&3 >&4; echo err >&2", "the job input");
  EXPECT_EQ(outcome.stdout_text, "/dev/null\n");
  EXPECT_EQ(outcome.stderr_text, "err\n");
  EXPECT_EQ(outcome.result, "the job input");
  EXPECT_TRUE(outcome.exited);
  EXPECT_EQ(outcome.exit_code, 0);
}

TEST(SandboxTest, RlimitsAreApplied) {
  SupervisedOutcome outcome = RunShell("ulimit -c; ulimit -n; ulimit -t; ulimit -f");
  // CPU: 5 s wall timeout + 1; file size in 512-byte blocks (16 MiB).
  EXPECT_EQ(outcome.stdout_text, "0\n64\n6\n32768\n");
}

TEST(SandboxTest, OwnSessionAndNoNewPrivs) {
  SupervisedOutcome outcome = RunShell(
      "grep NoNewPrivs /proc/self/status; "
      // After the command name in /proc/PID/stat: state ppid pgrp session.
      "set -- $(cut -d')' -f2 /proc/$$/stat); echo \"$$ $3 $4\"");
  EXPECT_TRUE(absl::StrContains(outcome.stdout_text, "NoNewPrivs:\t1\n")) << outcome.stdout_text;
  // The shell leads its own session and process group; under the kernel
  // sandbox it is pid 1 of its own pid namespace.
  EXPECT_TRUE(absl::StrContains(outcome.stdout_text, "1 1 1")) << outcome.stdout_text;
}

TEST(SandboxTest, ChildDiesWithTheThreadThatSpawnedIt) {
  pid_t pid = -1;
  std::thread spawner([&pid] {
    ChildSpec spec;
    spec.executable = "/bin/sleep";
    spec.argv = {"sleep", "30"};
    const int dev_null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    spec.fds = ChildFds{dev_null, dev_null, dev_null, dev_null};
    spec.rlimits = RlimitsForJob(absl::Seconds(30));
    absl::StatusOr<SpawnedChild> child = SpawnContained(spec);
    ::close(dev_null);
    ASSERT_TRUE(child.ok()) << child.status();
    pid = child->pid;
  });
  spawner.join();  // the spawning thread exits: PR_SET_PDEATHSIG fires
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(SandboxTest, SignalsAreResetForTheJob) {
  // The worker blocks SIGTERM (it reads it from a signalfd); the job must not
  // inherit that mask.
  sigset_t term, saved;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &saved);
  SupervisedOutcome outcome = RunShell("grep SigBlk /proc/self/status");
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  EXPECT_EQ(outcome.stdout_text, "SigBlk:\t0000000000000000\n");
}

TEST(SandboxTest, ExecFailureNamesTheStep) {
  SandboxRequest request;
  request.executable = "/nonexistent/python";
  request.argv = {"python"};
  absl::StatusOr<SupervisedOutcome> outcome = RunInSandbox(request, -1);
  ASSERT_FALSE(outcome.ok());
  EXPECT_TRUE(absl::StrContains(outcome.status().message(), "\"exec\" failed"))
      << outcome.status();
}

TEST(SandboxTest, RelativeExecutableIsRejected) {
  SandboxRequest request;
  request.executable = "python3";
  request.argv = {"python3"};
  EXPECT_EQ(RunInSandbox(request, -1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SandboxTest, ResultChannelIsCapped) {
  SandboxRequest request;
  request.executable = "/bin/sh";
  request.argv = {"sh", "-c", "head -c 5000 /dev/zero >&4"};
  request.limits.max_result_bytes = 1000;
  absl::StatusOr<SupervisedOutcome> outcome = RunInSandbox(request, -1);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->result_too_large);
  EXPECT_EQ(outcome->result.size(), 1000u);
}

TEST(CappedBufferTest, KeepsUpToTheCapAndMarksTheRest) {
  CappedBuffer buffer(5);
  buffer.Append("abc");
  buffer.Append("defg");
  EXPECT_EQ(buffer.kept(), "abcde");
  EXPECT_TRUE(buffer.truncated());
  EXPECT_EQ(buffer.TakeWithMarker(), "abcde\n[flowgrid: output truncated, 2 more bytes dropped]\n");
  CappedBuffer exact(3);
  exact.Append("abc");
  EXPECT_FALSE(exact.truncated());
  EXPECT_EQ(exact.TakeWithMarker(), "abc");
}

}  // namespace
}  // namespace flowgrid::sandbox

namespace flowgrid::sandbox {
namespace {

// A job that closes stdout, stderr and the result channel with a reply has
// said everything: it is answered while its process still runs, and the
// caller finishes it (kill, reap, uid) afterwards.
TEST(SandboxTest, JobThatClosedItsChannelsIsAnsweredBeforeItExits) {
  SandboxRequest request;
  request.executable = "/bin/sh";
  request.argv = {"sh", "-c",
                  "printf out; exec 1>&- 2>&-; printf reply >&4; exec 4>&-; exec sleep 30"};
  request.env = {"PATH=/usr/bin:/bin"};
  request.limits.wall_timeout = absl::Seconds(20);
  std::function<void()> finish;
  const FinishLater finish_later = [&finish](std::function<void()> f) { finish = std::move(f); };
  absl::StatusOr<SupervisedOutcome> outcome = RunInSandbox(request, -1, &finish_later);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->answered_before_exit);
  EXPECT_FALSE(outcome->timed_out);
  EXPECT_EQ(outcome->stdout_text, "out");
  EXPECT_EQ(outcome->result, "reply");
  ASSERT_TRUE(finish != nullptr);
  EXPECT_EQ(::kill(outcome->pid, 0), 0) << "the process still runs until it is finished";
  finish();
  finish = nullptr;
  // Killed and reaped: the pid names no process any more.
  EXPECT_NE(::kill(outcome->pid, 0), 0);
}

TEST(SandboxTest, WithoutAFinisherTheJobIsWaitedFor) {
  // The same job without a place to finish it later: its process is
  // killed only at the deadline, and the job ends reaped.
  SandboxRequest request;
  request.executable = "/bin/sh";
  request.argv = {"sh", "-c", "exec 1>&- 2>&-; printf reply >&4; exec 4>&-; exec sleep 30"};
  request.env = {"PATH=/usr/bin:/bin"};
  request.limits.wall_timeout = absl::Milliseconds(300);
  absl::StatusOr<SupervisedOutcome> outcome = RunInSandbox(request, -1);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_FALSE(outcome->answered_before_exit);
  EXPECT_TRUE(outcome->timed_out);
  EXPECT_NE(::kill(outcome->pid, 0), 0);
}

}  // namespace
}  // namespace flowgrid::sandbox
