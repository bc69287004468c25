// An owned file descriptor, closed on destruction. Move-only.
#ifndef FLOWGRID_WORKER_SANDBOX_UNIQUE_FD_H_
#define FLOWGRID_WORKER_SANDBOX_UNIQUE_FD_H_

#include <utility>

namespace flowgrid::sandbox {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes the current descriptor (if any) and takes ownership of `fd`.
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_UNIQUE_FD_H_
