#include "worker/runtimes/node/node_pool.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <functional>
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
// With every cgroup of the pool in use (jobs still being finished), the
// refill looks again after this.
constexpr absl::Duration kNoFreeCgroupRetry = absl::Milliseconds(5);
// A waiting process's cgroup before its job: no user code runs under these,
// only node's start-up (≈ 40 MB, a handful of threads); a safety net.
constexpr sandbox::CgroupLimits kStartupLimits{int64_t{512} << 20, 64};

}  // namespace

NodePool::NodePool(int size, sandbox::SandboxRequest recipe, sandbox::SlotCgroups* cgroups)
    : size_(size),
      cgroups_(cgroups),
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

absl::StatusOr<std::optional<sandbox::SupervisedOutcome>> NodePool::Run(
    const sandbox::SandboxRequest& request, const sandbox::CgroupLimits& limits, int cancel_fd,
    const sandbox::FinishLater* finish_later) {
  while (true) {
    Waiting taken;
    {
      absl::MutexLock lock(&mu_);
      if (!sandbox::SameProgram(request, recipe_)) recipe_ = sandbox::ProgramOf(request);
      for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
        if (it->child->Runs(request)) {
          taken = std::move(*it);
          waiting_.erase(it);
          break;
        }
      }
      if (taken.child == nullptr) ++stats_.misses;
    }
    // A replacement (or the new recipe) is due either way.
    Wake();
    if (taken.child == nullptr) return std::nullopt;
    absl::StatusOr<sandbox::SupervisedOutcome> outcome =
        RunOn(std::move(taken), request, limits, cancel_fd, finish_later);
    absl::MutexLock lock(&mu_);
    if (!absl::IsUnavailable(outcome.status())) {
      ++stats_.hits;
      if (!outcome.ok()) return outcome.status();
      return *std::move(outcome);
    }
    ++stats_.discarded;
    LogWarning(absl::StrCat("node pool: ", outcome.status().message(), "; trying another"));
  }
}

absl::StatusOr<sandbox::SupervisedOutcome> NodePool::RunOn(
    Waiting taken, const sandbox::SandboxRequest& request, const sandbox::CgroupLimits& limits,
    int cancel_fd, const sandbox::FinishLater* finish_later) {
  // Shared with a job finished later, which gives the cgroup back after
  // the reap; otherwise it goes back when this returns, the process reaped.
  std::shared_ptr<sandbox::SlotCgroups::Lease> cgroup = std::move(taken.cgroup);
  const std::unique_ptr<sandbox::WarmChild> child = std::move(taken.child);
  int64_t startup_charge = 0;
  if (cgroup != nullptr) {
    // The job's limits before any of its code can run; the start-up's
    // footprint and counters are not the job's.
    absl::StatusOr<int64_t> resident = sandbox::ReadyForJob(*cgroup->get(), limits, true);
    if (!resident.ok()) return resident.status();
    startup_charge = *resident;
  }
  const sandbox::FinishLater then_return_cgroup = [finish_later,
                                                   cgroup](std::function<void()> finish) {
    (*finish_later)([finish = std::move(finish), cgroup]() mutable {
      finish();
      // The uid went back with `finish`; the cgroup, empty now, follows.
      finish = nullptr;
      cgroup.reset();
    });
  };
  absl::StatusOr<sandbox::SupervisedOutcome> outcome = child->Run(
      request, cancel_fd, finish_later != nullptr ? &then_return_cgroup : nullptr);
  if (outcome.ok() && outcome->cgroup_measured && outcome->cgroup_usage.peak_memory_bytes >= 0) {
    outcome->cgroup_usage.peak_memory_bytes =
        std::max<int64_t>(0, outcome->cgroup_usage.peak_memory_bytes - startup_charge);
  }
  return outcome;
}

NodePool::Stats NodePool::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

std::vector<pid_t> NodePool::WaitingPids() const {
  absl::MutexLock lock(&mu_);
  std::vector<pid_t> pids;
  for (const Waiting& waiting : waiting_) pids.push_back(waiting.child->pid());
  return pids;
}

bool NodePool::AllReady() const {
  if (waiting_.size() < static_cast<size_t>(size_)) return false;
  for (const Waiting& waiting : waiting_) {
    if (!waiting.child->Runs(recipe_) || !waiting.child->Ready()) return false;
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

void NodePool::TakeUnusable(std::vector<Waiting>& out) {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    const bool dead = !it->child->Alive();
    if (dead || !it->child->Runs(recipe_)) {
      if (dead) {
        ++stats_.discarded;
        LogWarning(absl::StrCat("node pool: waiting process ", it->child->pid(),
                                " exited; replacing it"));
      }
      out.push_back(std::move(*it));
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
}

absl::StatusOr<std::unique_ptr<sandbox::SlotCgroups::Lease>> NodePool::CgroupForNext() {
  if (cgroups_ == nullptr) return nullptr;
  std::unique_ptr<sandbox::SlotCgroups::Lease> cgroup = cgroups_->TryAcquire();
  if (cgroup == nullptr) return nullptr;
  // A job's reap emptied it already; a process discarded while waiting
  // may have left it as it was.
  if (absl::Status emptied = (*cgroup)->KillAll(); !emptied.ok()) return emptied;
  if (absl::Status set = (*cgroup)->SetLimits(kStartupLimits); !set.ok()) return set;
  return cgroup;
}

void NodePool::RefillLoop() {
  while (true) {
    std::vector<Waiting> unusable;
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
    absl::StatusOr<std::unique_ptr<sandbox::SlotCgroups::Lease>> cgroup = CgroupForNext();
    if (!cgroup.ok()) {
      LogWarning(absl::StrCat("node pool: cannot prepare a cgroup: ", cgroup.status().ToString()));
      Sleep(kRetryAfterFailure);
      continue;
    }
    if (cgroups_ != nullptr && *cgroup == nullptr) {
      Sleep(kNoFreeCgroupRetry);
      continue;
    }
    absl::StatusOr<std::unique_ptr<sandbox::WarmChild>> child = sandbox::WarmChild::Spawn(
        recipe, *cgroup != nullptr ? (*cgroup)->get() : nullptr);
    if (!child.ok()) {
      LogWarning(absl::StrCat("node pool: cannot start a process: ", child.status().ToString()));
      Sleep(kRetryAfterFailure);
      continue;
    }
    Waiting waiting{*std::move(cgroup), *std::move(child)};
    absl::MutexLock lock(&mu_);
    // A process of a recipe replaced meanwhile goes with `waiting`.
    if (!stopping_ && waiting.child->Runs(recipe_)) waiting_.push_back(std::move(waiting));
  }
}

void NodePool::Sleep(absl::Duration timeout) {
  std::vector<struct pollfd> fds = {{wake_fd_.get(), POLLIN, 0}};
  {
    absl::MutexLock lock(&mu_);
    for (const Waiting& waiting : waiting_) fds.push_back({waiting.child->pidfd(), POLLIN, 0});
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
