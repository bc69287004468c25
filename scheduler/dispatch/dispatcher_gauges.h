// dispatch::DispatcherGauges — the dispatcher's state as Prometheus gauges,
// read from Dispatcher::stats() when scraped (so they are never stale and
// cost nothing between scrapes):
//   flowgrid_queue_depth{language}      jobs waiting for a worker slot
//   flowgrid_queue_oldest_age_seconds   wait of the oldest waiting job (0: none)
//   flowgrid_workers_connected          worker streams open
//   flowgrid_workers_draining           connected workers that are draining
//   flowgrid_slots{state=busy|free}     slots holding a job | free slots of
//                                       workers that are not draining
// queue_depth always has python3 and javascript, 0 when nothing waits.
#ifndef FLOWGRID_SCHEDULER_DISPATCH_DISPATCHER_GAUGES_H_
#define FLOWGRID_SCHEDULER_DISPATCH_DISPATCHER_GAUGES_H_

#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "scheduler/dispatch/dispatcher.h"

namespace flowgrid::dispatch {

class DispatcherGauges : public prometheus::Collectable {
 public:
  // `dispatcher` must outlive this object's registration.
  explicit DispatcherGauges(const Dispatcher* dispatcher) : dispatcher_(dispatcher) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const Dispatcher* const dispatcher_;
};

}  // namespace flowgrid::dispatch

#endif  // FLOWGRID_SCHEDULER_DISPATCH_DISPATCHER_GAUGES_H_
