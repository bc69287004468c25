// Finishes jobs that answered before their process exited: kills and reaps
// the process and then drops what the job held (its slot cgroup, its
// zygote, its uid), on one thread of its own, off the path of the job's
// reply (sandbox.h FinishLater). A slot's next job waits for its cgroup
// lease, so it never starts beside a dying predecessor.
#ifndef FLOWGRID_WORKER_JOB_REAPER_H_
#define FLOWGRID_WORKER_JOB_REAPER_H_

#include <deque>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace flowgrid::job {

class Reaper {
 public:
  Reaper();
  // Runs everything still queued, then stops.
  ~Reaper();
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

  // Runs `work` on the reaper's thread, in order, then destroys it (which
  // releases what it captured).
  void Post(std::function<void()> work);

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace flowgrid::job

#endif  // FLOWGRID_WORKER_JOB_REAPER_H_
