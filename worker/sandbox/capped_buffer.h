// A byte buffer that keeps at most `cap` bytes and counts what it dropped.
// Used for a job's stdout/stderr and its result channel: the child can write
// without bound, the worker's memory cannot grow without bound.
#ifndef FLOWGRID_WORKER_SANDBOX_CAPPED_BUFFER_H_
#define FLOWGRID_WORKER_SANDBOX_CAPPED_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace flowgrid::sandbox {

class CappedBuffer {
 public:
  explicit CappedBuffer(size_t cap) : cap_(cap) {}

  // Keeps what fits under the cap, counts the rest.
  void Append(std::string_view bytes);

  const std::string& kept() const { return kept_; }
  bool truncated() const { return dropped_bytes_ > 0; }
  uint64_t dropped_bytes() const { return dropped_bytes_; }
  // Moves the kept bytes out, followed by a marker line when bytes were
  // dropped: "\n[flowgrid: output truncated, N more bytes dropped]\n".
  std::string TakeWithMarker();

 private:
  size_t cap_;
  std::string kept_;
  uint64_t dropped_bytes_ = 0;
};

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_CAPPED_BUFFER_H_
