// The Python harness (runtimes/python/harness.py) inside an embedded
// CPython interpreter: the warm state every job of a zygote is forked from.
// Only the zygote process uses it; it must stay single-threaded, because a
// fork copies only the forking thread.
#ifndef FLOWGRID_WORKER_RUNTIMES_PYTHON_ZYGOTE_EMBEDDED_HARNESS_H_
#define FLOWGRID_WORKER_RUNTIMES_PYTHON_ZYGOTE_EMBEDDED_HARNESS_H_

#include "absl/status/status.h"

namespace flowgrid::runtimes::python::zygote {

// Starts the interpreter as `python3 -I -S` would (isolated: no
// environment variables, no user site, no site module; UTF-8 mode; no
// signal handlers of its own), loads the harness as a module without
// running a job, warms it up (harness.warm_up) and freezes the heap (the
// warm objects are never collected, so forked children do not touch — and
// copy — their pages). Errors carry the Python traceback.
absl::Status StartWarmHarness();

// Around a fork: flushes stdio (a child must not inherit buffered bytes)
// and takes the interpreter's locks as os.fork does.
void BeforeFork();
void AfterForkInParent();
// In the child: Python's at-fork handlers (random re-seeds, for one).
void AfterForkInChild();

// The child's last step: the harness's entry(), which reads the job on fd
// 3, runs it, replies on fd 4 and exits. Never returns.
[[noreturn]] void RunJob();

}  // namespace flowgrid::runtimes::python::zygote

#endif  // FLOWGRID_WORKER_RUNTIMES_PYTHON_ZYGOTE_EMBEDDED_HARNESS_H_
