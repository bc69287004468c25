// The runtimes' harness scripts, embedded at build time (generated from
// harness_source.cc.in by worker/CMakeLists.txt), so the worker binary is
// self-contained and a harness cannot be swapped on disk.
#ifndef FLOWGRID_WORKER_RUNTIMES_HARNESS_SOURCE_H_
#define FLOWGRID_WORKER_RUNTIMES_HARNESS_SOURCE_H_

#include <string_view>

namespace flowgrid::runtimes {

std::string_view PythonHarnessSource();  // python/harness.py
std::string_view NodeHarnessSource();    // node/harness.js

}  // namespace flowgrid::runtimes

#endif  // FLOWGRID_WORKER_RUNTIMES_HARNESS_SOURCE_H_
