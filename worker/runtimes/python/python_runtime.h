// The Python 3 runtime: how a job becomes a sandboxed
// `python3 -I -S -c <harness.py>` process. It runs Python code (RUN_CODE),
// checks it (CHECK_CODE) and renders Jinja2 templates (RENDER_TEMPLATE,
// with Debian's python3-jinja2), each a mode of harness.py.
//
// This walking-skeleton runtime starts a fresh interpreter per job
// (~20-30 ms); the warm zygote of DESIGN.md "Speed" replaces it.
#ifndef FLOWGRID_WORKER_RUNTIMES_PYTHON_PYTHON_RUNTIME_H_
#define FLOWGRID_WORKER_RUNTIMES_PYTHON_PYTHON_RUNTIME_H_

#include <string>

#include "absl/status/statusor.h"
#include "flowgrid/v1/worker.pb.h"
#include "worker/sandbox/sandbox.h"

namespace flowgrid::runtimes::python {

// The program, arguments, environment and input (runtimes/harness_input.h)
// for `job`; limits are left to the caller. `python_path` is absolute
// (never looked up in PATH).
// -I: isolated (no user site, no PYTHON* variables, no script dir on
// sys.path); -S: no site module. The environment holds only the locale, so
// stdio is UTF-8. Fails as HarnessRequest does.
absl::StatusOr<sandbox::SandboxRequest> PythonSandboxRequest(const v1::Job& job,
                                                             const std::string& python_path);

}  // namespace flowgrid::runtimes::python

#endif  // FLOWGRID_WORKER_RUNTIMES_PYTHON_PYTHON_RUNTIME_H_
