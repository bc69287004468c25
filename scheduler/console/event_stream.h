// GET /api/v1/runs/{run_id}/events: a run's events as Server-Sent Events,
// read from WatchRun through the stub it is given and written as they
// come, one per SSE event:
//   id: <sequence>\ndata: <RunEvent JSON>\n\n
// The stream starts after `after_sequence` (query; or the Last-Event-ID
// header of a reconnecting EventSource, whichever is later) and ends after
// run_finished. A WatchRun error before the stream started is an HTTP error
// (404 for an unknown run, ...); one after it is a last SSE event
//   event: error\ndata: {"code": .., "message": ..}\n\n
// While no event comes, a comment line (": keepalive") goes out every
// `keepalive`, which is also how a browser that went away is noticed (a
// write fails, at the latest the second after it left): the stream then
// cancels its WatchRun and its handler returns.
//
// At most `max_streams` streams are open at once (each holds one of the
// HTTP server's threads); beyond that a request gets 503 with Retry-After.
#ifndef FLOWGRID_SCHEDULER_CONSOLE_EVENT_STREAM_H_
#define FLOWGRID_SCHEDULER_CONSOLE_EVENT_STREAM_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "flowgrid/v1/scheduler.grpc.pb.h"
#include "scheduler/console/http_message.h"

namespace flowgrid::console {

struct EventStreamOptions {
  int max_streams = 64;
  absl::Duration keepalive = absl::Seconds(15);
  // Sent as Retry-After with a refusal for the limit.
  absl::Duration retry_delay = absl::Seconds(5);
};

class EventStreams {
 public:
  // `workflows` (not owned) outlives this object.
  EventStreams(v1::WorkflowService::StubInterface* workflows, EventStreamOptions options)
      : workflows_(workflows), options_(options) {}
  // Stop()s.
  ~EventStreams();
  EventStreams(const EventStreams&) = delete;
  EventStreams& operator=(const EventStreams&) = delete;

  // Answers `request` for the events of `run_id` on `connection`; returns
  // when the stream ended (run finished, client gone, error or Stop).
  void Serve(const std::string& run_id, const HttpRequest& request, HttpConnection& connection);

  // Ends the open streams and refuses new ones (503); returns once every
  // Serve has returned.
  void Stop();

  // Streams open now.
  int open_streams() const;

 private:
  class Watch;

  v1::WorkflowService::StubInterface* const workflows_;
  const EventStreamOptions options_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<Watch*> open_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowgrid::console

#endif  // FLOWGRID_SCHEDULER_CONSOLE_EVENT_STREAM_H_
