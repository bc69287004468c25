// The source of harness.py, embedded at build time (generated .cc), so the
// worker binary is self-contained and the harness cannot be swapped on disk.
#ifndef FLOWGRID_WORKER_RUNTIMES_PYTHON_HARNESS_SOURCE_H_
#define FLOWGRID_WORKER_RUNTIMES_PYTHON_HARNESS_SOURCE_H_

#include <string_view>

namespace flowgrid::runtimes::python {

std::string_view HarnessSource();

}  // namespace flowgrid::runtimes::python

#endif  // FLOWGRID_WORKER_RUNTIMES_PYTHON_HARNESS_SOURCE_H_
