#include "worker/sandbox/capped_buffer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace flowgrid::sandbox {

void CappedBuffer::Append(std::string_view bytes) {
  const size_t room = cap_ - std::min(cap_, kept_.size());
  const size_t kept = std::min(room, bytes.size());
  kept_.append(bytes.data(), kept);
  dropped_bytes_ += bytes.size() - kept;
}

std::string CappedBuffer::TakeWithMarker() {
  std::string out = std::move(kept_);
  kept_.clear();
  if (dropped_bytes_ > 0) {
    absl::StrAppend(&out, "\n[flowgrid: output truncated, ", dropped_bytes_,
                    " more bytes dropped]\n");
  }
  return out;
}

}  // namespace flowgrid::sandbox
