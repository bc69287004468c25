// Descriptor hygiene for a job's child process: the child sees exactly
// stdin (/dev/null), stdout, stderr, the job input and the result channel,
// at fixed numbers, and nothing else the worker had open (other jobs' pipes,
// the gRPC socket...). Runs in the child between clone and exec, so it only
// makes async-signal-safe system calls and allocates nothing.
#ifndef FLOWGRID_WORKER_SANDBOX_FD_HYGIENE_H_
#define FLOWGRID_WORKER_SANDBOX_FD_HYGIENE_H_

namespace flowgrid::sandbox {

// Where the runtime harness finds its channels (the harness relies on these
// numbers; keep them in sync with runtimes/*/harness.*).
inline constexpr int kChildInputFd = 3;   // job input, read to EOF
inline constexpr int kChildResultFd = 4;  // result, written then closed

// The worker-side descriptors to hand to the child. Any numbers are fine,
// including ones that collide with the fixed targets.
struct ChildFds {
  int stdout_fd;
  int stderr_fd;
  int input_fd;
  int result_fd;
};

// Child side. Opens /dev/null as stdin, places the descriptors at 1, 2,
// kChildInputFd and kChildResultFd (inheritable across exec) and closes every
// other descriptor. Returns 0, or the errno of the failing call.
int ArrangeChildFds(const ChildFds& fds) noexcept;

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_FD_HYGIENE_H_
