#include "worker/runtimes/node/node_pool.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace flowgrid::runtimes::node {
namespace {

// A spawn that failed (uids or descriptors exhausted) is retried after this.
constexpr absl::Duration kRetryAfterFailure = absl::Seconds(1);
// The refill thread also wakes this often without cause: a safety net, not
// the mechanism (a taken process writes the eventfd, a death its pidfd).
constexpr absl::Duration kIdleWake = absl::Seconds(5);

}  // namespace

NodePool::NodePool(int size, sandbox::SandboxRequest recipe)
    : size_(size),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      recipe_(sandbox::ProgramOf(recipe)) {
  refill_thread_ = std::thread([this] { RefillLoop(); });
}

NodePool::~NodePool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Wake();
  refill_thread_.join();
  // Each waiting process is killed and reaped; its uid released.
  absl::MutexLock lock(&mu_);
  waiting_.clear();
}

absl::StatusOr<sandbox::SupervisedOutcome> NodePool::Run(const sandbox::SandboxRequest& request,
                                                         int cancel_fd,
                                                         const sandbox::FinishLater* finish_later) {
  while (true) {
    std::unique_ptr<sandbox::WarmChild> child;
    {
      absl::MutexLock lock(&mu_);
      if (!sandbox::SameProgram(request, recipe_)) recipe_ = sandbox::ProgramOf(request);
      for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
        if ((*it)->Runs(request)) {
          child = std::move(*it);
          waiting_.erase(it);
          break;
        }
      }
      if (child == nullptr) ++stats_.misses;
    }
    // A replacement (or the new recipe) is due either way.
    Wake();
    if (child == nullptr) return sandbox::RunInSandbox(request, cancel_fd);
    absl::StatusOr<sandbox::SupervisedOutcome> outcome = child->Run(request, cancel_fd, finish_later);
    absl::MutexLock lock(&mu_);
    if (!absl::IsUnavailable(outcome.status())) {
      ++stats_.hits;
      return outcome;
    }
    ++stats_.discarded;
    LogWarning(absl::StrCat("node pool: ", outcome.status().message(), "; trying another"));
  }
}

NodePool::Stats NodePool::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

std::vector<pid_t> NodePool::WaitingPids() const {
  absl::MutexLock lock(&mu_);
  std::vector<pid_t> pids;
  for (const std::unique_ptr<sandbox::WarmChild>& child : waiting_) pids.push_back(child->pid());
  return pids;
}

bool NodePool::AllReady() const {
  if (waiting_.size() < static_cast<size_t>(size_)) return false;
  for (const std::unique_ptr<sandbox::WarmChild>& child : waiting_) {
    if (!child->Runs(recipe_) || !child->Ready()) return false;
  }
  return true;
}

bool NodePool::WaitUntilReady(absl::Duration timeout) const {
  const absl::Time give_up = absl::Now() + timeout;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (AllReady()) return true;
    }
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
}

void NodePool::TakeUnusable(std::vector<std::unique_ptr<sandbox::WarmChild>>& out) {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    const bool dead = !(*it)->Alive();
    if (dead || !(*it)->Runs(recipe_)) {
      if (dead) {
        ++stats_.discarded;
        LogWarning(absl::StrCat("node pool: waiting process ", (*it)->pid(),
                                " exited; replacing it"));
      }
      out.push_back(std::move(*it));
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
}

void NodePool::RefillLoop() {
  while (true) {
    std::vector<std::unique_ptr<sandbox::WarmChild>> unusable;
    sandbox::SandboxRequest recipe;
    bool spawn = false;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      TakeUnusable(unusable);
      spawn = waiting_.size() < static_cast<size_t>(size_);
      if (spawn) recipe = recipe_;
    }
    // Killed and reaped outside the lock.
    unusable.clear();
    if (!spawn) {
      Sleep(kIdleWake);
      continue;
    }
    absl::StatusOr<std::unique_ptr<sandbox::WarmChild>> child = sandbox::WarmChild::Spawn(recipe);
    if (!child.ok()) {
      LogWarning(absl::StrCat("node pool: cannot start a process: ", child.status().ToString()));
      Sleep(kRetryAfterFailure);
      continue;
    }
    absl::MutexLock lock(&mu_);
    // A process of a recipe replaced meanwhile goes with `child`.
    if (!stopping_ && (*child)->Runs(recipe_)) waiting_.push_back(*std::move(child));
  }
}

void NodePool::Sleep(absl::Duration timeout) {
  std::vector<struct pollfd> fds = {{wake_fd_.get(), POLLIN, 0}};
  {
    absl::MutexLock lock(&mu_);
    for (const std::unique_ptr<sandbox::WarmChild>& child : waiting_) {
      fds.push_back({child->pidfd(), POLLIN, 0});
    }
  }
  // A pidfd taken by a job meanwhile can only wake this early; the caller
  // checks again under the lock.
  (void)::poll(fds.data(), fds.size(), static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  uint64_t count = 0;
  (void)!::read(wake_fd_.get(), &count, sizeof(count));
}

void NodePool::Wake() {
  const uint64_t one = 1;
  (void)!::write(wake_fd_.get(), &one, sizeof(one));
}

}  // namespace flowgrid::runtimes::node
