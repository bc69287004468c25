// The conversation between the worker and a Python zygote
// (flowgrid-python-zygote, DESIGN.md "Speed"), over one SOCK_SEQPACKET
// socket: fixed-size messages, descriptors passed with SCM_RIGHTS. Both
// ends are flowgrid's own code; user code never sees the socket (the job's
// child closes it before anything else runs).
//
//   zygote → worker  kReady                  once warm, before any job
//   worker → zygote  JobRequest + 4 fds      stdout, stderr, input, result
//   zygote → worker  kStarted + pidfd        the job's child exists
//                    kSetupFailed            or: a setup step failed
//   zygote → worker  kExited                 the child was reaped
//
// One job at a time per zygote: the worker sends the next request only
// after kExited (or kSetupFailed) of the previous one.
#ifndef FLOWGRID_WORKER_RUNTIMES_PYTHON_ZYGOTE_PROTOCOL_H_
#define FLOWGRID_WORKER_RUNTIMES_PYTHON_ZYGOTE_PROTOCOL_H_

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/sandbox/rlimits.h"
#include "worker/sandbox/unique_fd.h"

namespace flowgrid::runtimes::python::zygote {

// The zygote's descriptors, placed by the worker when it starts one.
inline constexpr int kControlFd = 3;  // the socket to the worker
inline constexpr int kNetnsFd = 4;    // the empty network namespace to join (isolated mode)

struct JobRequest {
  uint64_t job_number = 0;
  // The unprivileged identity of the job (isolated mode only).
  uint32_t uid = 0;
  uint32_t gid = 0;
  sandbox::RlimitPlan rlimits;
};
inline constexpr int kJobRequestFds = 4;  // stdout, stderr, input, result

struct ZygoteEvent {
  enum Kind : uint32_t { kReady = 1, kStarted = 2, kSetupFailed = 3, kExited = 4 };
  Kind kind = kReady;
  uint64_t job_number = 0;
  int32_t pid = -1;              // kStarted: in the zygote's (= worker's) pid namespace
  int32_t wait_status = 0;       // kExited
  int32_t failed_step = 0;       // kSetupFailed: a JobStep
  int32_t failed_errno = 0;      // kSetupFailed
  int64_t cpu_us = 0;            // kExited: user + system
  int64_t peak_rss_bytes = 0;    // kExited
};

// The steps of a job's child, in order (job_child.cc), for kSetupFailed.
enum class JobStep : int32_t {
  kNone = 0,
  kUnblockSignals,
  kStartOwnSession,
  kMountFilesystems,
  kRaiseOomScore,
  kArrangeFds,
  kApplyRlimits,
  kDropCredentials,
  kDieWithZygote,
  kForbidNewPrivileges,
  kLoadSeccomp,
};
const char* JobStepName(JobStep step);

// One message and up to `fds.size()` descriptors. Errors name the call.
absl::Status SendMessage(int socket, const void* message, size_t size,
                         const std::vector<int>& fds);
// Receives exactly `size` bytes and every descriptor that came with them
// (O_CLOEXEC). A closed peer is Unavailable ("the zygote exited").
absl::Status ReceiveMessage(int socket, void* message, size_t size,
                            std::vector<sandbox::UniqueFd>* fds);

}  // namespace flowgrid::runtimes::python::zygote

#endif  // FLOWGRID_WORKER_RUNTIMES_PYTHON_ZYGOTE_PROTOCOL_H_
