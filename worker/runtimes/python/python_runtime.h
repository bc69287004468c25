// The Python 3 runtime: how a code-node job becomes a sandboxed
// `python3 -I -S -c <harness.py>` process.
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

// The program, arguments, environment and input for `job`; limits are left
// to the caller. `python_path` is absolute (never looked up in PATH).
// -I: isolated (no user site, no PYTHON* variables, no script dir on
// sys.path); -S: no site module. The environment holds only the locale, so
// stdio is UTF-8. Fails (InvalidArgument) if an input has no JSON form.
absl::StatusOr<sandbox::SandboxRequest> PythonSandboxRequest(const v1::Job& job,
                                                             const std::string& python_path);

}  // namespace flowgrid::runtimes::python

#endif  // FLOWGRID_WORKER_RUNTIMES_PYTHON_PYTHON_RUNTIME_H_
