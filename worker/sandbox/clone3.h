// clone3(2) with a child function on its own stack, the way glibc's
// clone() runs one for clone(2). glibc 2.36 has no public clone3 wrapper,
// and a child sharing the parent's memory (CLONE_VM) cannot return through
// the C frames of the syscall() wrapper: a few instructions of assembly
// (x86-64, AArch64) start the child on `args->stack` instead.
//
// clone3 is what a contained child needs beyond clone(2): CLONE_INTO_CGROUP
// (Linux 5.7) makes it born in a cgroup v2 directory.
#ifndef FLOWGRID_WORKER_SANDBOX_CLONE3_H_
#define FLOWGRID_WORKER_SANDBOX_CLONE3_H_

#include <linux/sched.h>

namespace flowgrid::sandbox {

// `args` as for clone3(2); `args->stack` and `stack_size` are required.
// The child runs fn(arg) and exits (exit(2)) with its return value. Returns
// the child's pid in the parent, or -errno.
long Clone3(clone_args* args, int (*fn)(void*), void* arg) noexcept;

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_CLONE3_H_
