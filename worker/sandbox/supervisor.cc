#include "worker/sandbox/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "worker/sandbox/capped_buffer.h"

namespace flowgrid::sandbox {
namespace {

absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// One captured pipe: its descriptor (closed at EOF) and its buffer.
struct Capture {
  UniqueFd fd;
  CappedBuffer buffer;
};

// Reads everything available now. Returns false at EOF (and closes the fd).
absl::StatusOr<bool> ReadAvailable(Capture& capture) {
  char chunk[64 * 1024];
  while (true) {
    const ssize_t n = ::read(capture.fd.get(), chunk, sizeof(chunk));
    if (n > 0) {
      capture.buffer.Append(std::string_view(chunk, static_cast<size_t>(n)));
      continue;
    }
    if (n == 0) {
      capture.fd.Reset();
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return true;
    return ErrnoError("read from job pipe");
  }
}

absl::Status SetNonBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return ErrnoError("fcntl O_NONBLOCK");
  }
  return absl::OkStatus();
}

}  // namespace

void FinishAnsweredJob(JobProcess& process) {
  process.Kill();
  absl::StatusOr<ProcessExit> exit = process.Reap();
  if (!exit.ok()) {
    LogError(absl::StrCat("reaping job process ", process.pid(), ": ", exit.status().ToString()));
  }
}

int MillisecondsUntil(absl::Time deadline) {
  const absl::Duration left = deadline - MonotonicNow();
  if (left <= absl::ZeroDuration()) return 0;
  // Round up so that the deadline has really passed when poll times out.
  return static_cast<int>(absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))));
}

absl::Time MonotonicNow() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return absl::FromUnixNanos(static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
}

absl::StatusOr<SupervisedOutcome> Supervise(JobProcess& process, ChildStreams streams,
                                            const SupervisionLimits& limits,
                                            int cancel_fd, absl::Time started,
                                            SlotCgroup* cgroup, bool answer_before_exit) {
  SupervisedOutcome outcome;
  outcome.pid = process.pid();
  std::array<Capture, 3> captures = {
      Capture{std::move(streams.stdout_read), CappedBuffer(limits.max_output_bytes)},
      Capture{std::move(streams.stderr_read), CappedBuffer(limits.max_output_bytes)},
      Capture{std::move(streams.result_read), CappedBuffer(limits.max_result_bytes)},
  };
  absl::Status status;
  for (Capture& capture : captures) {
    if (status.ok()) status = SetNonBlocking(capture.fd.get());
  }

  // Phase 1: until the child exits, the deadline passes or a cancel comes.
  const absl::Time deadline = started + limits.wall_timeout;
  bool child_exited = false;
  while (status.ok() && !child_exited) {
    const int timeout_ms = MillisecondsUntil(deadline);
    if (timeout_ms == 0) {
      outcome.timed_out = true;
      break;
    }
    // Slots 0-2: captures (fd -1 once at EOF is ignored by poll), 3: child
    // exit, 4: cancel.
    std::array<struct pollfd, 5> fds = {};
    for (size_t i = 0; i < captures.size(); ++i) fds[i] = {captures[i].fd.get(), POLLIN, 0};
    fds[3] = {process.pidfd(), POLLIN, 0};
    fds[4] = {cancel_fd, POLLIN, 0};
    const int ready = ::poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      status = ErrnoError("poll");
      break;
    }
    if (fds[4].revents != 0) {
      outcome.cancelled = true;
      break;
    }
    for (size_t i = 0; i < captures.size() && status.ok(); ++i) {
      if (fds[i].revents != 0) status = ReadAvailable(captures[i]).status();
    }
    if (fds[3].revents != 0) child_exited = true;
    const bool all_closed = !captures[0].fd.valid() && !captures[1].fd.valid() &&
                            !captures[2].fd.valid();
    if (answer_before_exit && status.ok() && !child_exited && all_closed &&
        !captures[2].buffer.kept().empty()) {
      // Its exit status does not matter (the reply decides); the caller
      // kills and reaps it (FinishAnsweredJob).
      outcome.answered_before_exit = true;
      break;
    }
  }

  // Phase 2: kill whatever is left of the job — the child itself (deadline,
  // cancel, supervisor error) or background processes it started — then
  // reap. Killing everything also closes any pipe the job's processes held,
  // so the drain below ends at EOF instead of waiting out its grace. A job
  // that answered before its exit is left to the caller.
  absl::StatusOr<ProcessExit> exit = ProcessExit{};
  if (!outcome.answered_before_exit) {
    process.Kill();
    exit = process.Reap();
    if (!exit.ok() && status.ok()) status = exit.status();
  }
  outcome.wall = MonotonicNow() - started;
  if (cgroup != nullptr && status.ok()) {
    absl::StatusOr<CgroupUsage> usage = cgroup->ReadUsage();
    if (usage.ok()) {
      outcome.cgroup_measured = true;
      outcome.cgroup_usage = *usage;
    } else {
      status = usage.status();
    }
  }

  // Phase 3: what the job wrote before it ended is still in the pipes.
  const absl::Time drain_deadline = MonotonicNow() + limits.drain_grace;
  while (status.ok()) {
    std::array<struct pollfd, 3> fds = {};
    bool any_open = false;
    for (size_t i = 0; i < captures.size(); ++i) {
      fds[i] = {captures[i].fd.get(), POLLIN, 0};
      any_open |= captures[i].fd.valid();
    }
    if (!any_open) break;
    const int timeout_ms = MillisecondsUntil(drain_deadline);
    const int ready = ::poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      status = ErrnoError("poll");
      break;
    }
    if (ready == 0) break;  // drain grace over
    for (size_t i = 0; i < captures.size() && status.ok(); ++i) {
      if (fds[i].revents != 0) status = ReadAvailable(captures[i]).status();
    }
  }
  if (!status.ok()) return status;

  if (!outcome.answered_before_exit) {
    outcome.exited = WIFEXITED(exit->wait_status);
    outcome.exit_code = outcome.exited ? WEXITSTATUS(exit->wait_status) : 0;
    outcome.term_signal = WIFSIGNALED(exit->wait_status) ? WTERMSIG(exit->wait_status) : 0;
    outcome.cpu = exit->cpu;
    outcome.peak_rss_bytes = exit->peak_rss_bytes;
  }
  outcome.stdout_truncated = captures[0].buffer.truncated();
  outcome.stdout_text = captures[0].buffer.TakeWithMarker();
  outcome.stderr_truncated = captures[1].buffer.truncated();
  outcome.stderr_text = captures[1].buffer.TakeWithMarker();
  outcome.result_too_large = captures[2].buffer.truncated();
  outcome.result = std::string(captures[2].buffer.kept());
  return outcome;
}

}  // namespace flowgrid::sandbox
