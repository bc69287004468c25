// engine::PlanCache — compiled plans of recently submitted workflows, so a
// workflow submitted again is not validated and indexed again (a Plan is
// immutable and shared by its runs).
//
// Keyed by the workflow's deterministic serialization: equal bytes, equal
// workflow, equal plan. Only valid workflows are cached. Bounded by the
// number of plans and by the total size of their serialized workflows (a
// plan's memory grows with it); the oldest entries go first. Thread-safe.
#ifndef FLOWGRID_SCHEDULER_ENGINE_PLAN_CACHE_H_
#define FLOWGRID_SCHEDULER_ENGINE_PLAN_CACHE_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "scheduler/graph/plan.h"

namespace flowgrid::engine {

// The deterministic serialization of a workflow (the cache key, and what
// sys.workflow_id hashes).
std::string CanonicalBytes(const v1::Workflow& workflow);

class PlanCache {
 public:
  PlanCache(size_t max_plans = 256, size_t max_bytes = size_t{4} << 20)
      : max_plans_(max_plans), max_bytes_(max_bytes) {}

  // The plan of the workflow whose canonical bytes are `key`, or null.
  std::shared_ptr<const graph::Plan> Find(const std::string& key);

  // Remembers `plan` under `key` (a workflow larger than the whole budget
  // is not kept).
  void Insert(const std::string& key, std::shared_ptr<const graph::Plan> plan);

 private:
  const size_t max_plans_;
  const size_t max_bytes_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const graph::Plan>> plans_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);  // keys, oldest first
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace flowgrid::engine

#endif  // FLOWGRID_SCHEDULER_ENGINE_PLAN_CACHE_H_
