// An HttpConnection that records what a handler sent, for console tests.
#ifndef FLOWGRID_TESTS_UNIT_SCHEDULER_CONSOLE_RECORDING_CONNECTION_H_
#define FLOWGRID_TESTS_UNIT_SCHEDULER_CONSOLE_RECORDING_CONNECTION_H_

#include <climits>
#include <string>

#include "absl/synchronization/mutex.h"
#include "scheduler/console/http_message.h"

namespace flowgrid::console::testing {

class RecordingConnection : public HttpConnection {
 public:
  // After `writes_accepted` Writes, the client is gone (Write fails).
  explicit RecordingConnection(int writes_accepted = INT_MAX) : writes_left_(writes_accepted) {}

  void Respond(const HttpResponse& response) override {
    absl::MutexLock lock(&mu_);
    response_ = response;
  }
  bool StartStream(const HttpResponse& head) override {
    absl::MutexLock lock(&mu_);
    response_ = head;
    streamed_ = true;
    return true;
  }
  bool Write(absl::string_view bytes) override {
    absl::MutexLock lock(&mu_);
    if (writes_left_ <= 0) return false;
    --writes_left_;
    stream_.append(bytes.data(), bytes.size());
    return true;
  }

  HttpResponse response() const {
    absl::MutexLock lock(&mu_);
    return response_;
  }
  bool streamed() const {
    absl::MutexLock lock(&mu_);
    return streamed_;
  }
  std::string stream() const {
    absl::MutexLock lock(&mu_);
    return stream_;
  }
  // The value of a header of the response ("" when absent).
  std::string Header(const std::string& name) const {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, value] : response_.headers) {
      if (key == name) return value;
    }
    return "";
  }

 private:
  mutable absl::Mutex mu_;
  HttpResponse response_ ABSL_GUARDED_BY(mu_);
  bool streamed_ ABSL_GUARDED_BY(mu_) = false;
  std::string stream_ ABSL_GUARDED_BY(mu_);
  int writes_left_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowgrid::console::testing

#endif  // FLOWGRID_TESTS_UNIT_SCHEDULER_CONSOLE_RECORDING_CONNECTION_H_
