// The capabilities the kernel sandbox needs in the worker's effective set.
// A container that leaves one out does not always break jobs visibly: without
// CAP_KILL, for one, jobs still run but a job past its deadline cannot be
// killed (it runs as another uid). So the worker checks them at start-up and
// refuses to run without them.
#ifndef FLOWGRID_WORKER_SANDBOX_CAPABILITIES_H_
#define FLOWGRID_WORKER_SANDBOX_CAPABILITIES_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace flowgrid::sandbox {

// OK when `effective` (a CapEff bit mask) holds CAP_SYS_ADMIN, CAP_SETUID,
// CAP_SETGID and CAP_KILL; otherwise FailedPrecondition naming each missing
// capability and what the sandbox needs it for.
absl::Status CheckSandboxCapabilities(uint64_t effective);

// The calling thread's effective set, from the CapEff line of
// `proc_status` (the text of /proc/self/status).
absl::StatusOr<uint64_t> EffectiveCapabilities(absl::string_view proc_status);

// Reads /proc/thread-self/status and checks it.
absl::Status CheckOwnSandboxCapabilities();

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_CAPABILITIES_H_
