// Protobuf `string` fields must hold valid UTF-8 (a peer's parser rejects
// the whole message otherwise), but a job's stdout/stderr are arbitrary
// bytes and a cap can cut a character in half.
#ifndef FLOWGRID_WORKER_JOB_UTF8_H_
#define FLOWGRID_WORKER_JOB_UTF8_H_

#include <string>
#include <string_view>

namespace flowgrid::job {

// `bytes` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string ToValidUtf8(std::string_view bytes);

}  // namespace flowgrid::job

#endif  // FLOWGRID_WORKER_JOB_UTF8_H_
