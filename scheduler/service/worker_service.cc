#include "scheduler/service/worker_service.h"

#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "common/worker_stream.h"

namespace flowgrid::service {
namespace {

// Messages waiting to be written to one worker's stream.
class Outbox {
 public:
  void Push(const v1::SchedulerMessage& message) {
    absl::MutexLock lock(&mu_);
    queue_.push_back(message);
  }
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  // Blocks until a message is available (true) or the outbox is closed.
  bool Pop(v1::SchedulerMessage* out) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](Outbox* o) ABSL_EXCLUSIVE_LOCKS_REQUIRED(o->mu_) {
          return o->closed_ || !o->queue_.empty();
        },
        this));
    if (queue_.empty()) return false;
    *out = std::move(queue_.front());
    queue_.pop_front();
    return true;
  }

 private:
  absl::Mutex mu_;
  std::deque<v1::SchedulerMessage> queue_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::Status WorkerServiceImpl::Connect(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::SchedulerMessage, v1::WorkerMessage>* stream) {
  v1::WorkerMessage first;
  if (!stream->Read(&first)) return grpc::Status::OK;
  if (!first.has_hello()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "the first message on a worker stream must be Hello");
  }
  const v1::Hello& hello = first.hello();
  if (hello.worker_id().empty() || hello.slots() <= 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "Hello needs a worker_id and at least one slot");
  }
  LogInfo(absl::StrCat("worker ", hello.worker_id(), " connected from ", context->peer(),
                       " with ", hello.slots(), " slots"));
  // Tells the worker it is accepted (common/worker_stream.h).
  context->AddInitialMetadata(kWorkerAcceptedMetadata, "1");
  stream->SendInitialMetadata();

  Outbox outbox;
  std::thread writer([&] {
    v1::SchedulerMessage message;
    while (outbox.Pop(&message)) {
      if (!stream->Write(message)) {
        // The stream is broken; the reader side sees it end too.
        context->TryCancel();
        return;
      }
    }
  });
  std::vector<v1::CodeNode::Language> runtimes;
  for (int runtime : hello.runtimes()) {
    runtimes.push_back(static_cast<v1::CodeNode::Language>(runtime));
  }
  // Cancelling is what ends a silent worker's stream (the Read below then
  // returns false), even when its connection still looks open. The context
  // outlives the registration: RemoveWorker below is the last call.
  int64_t handle = dispatcher_->AddWorker(
      {.worker_id = hello.worker_id(),
       .peer = context->peer(),
       .slots = hello.slots(),
       .runtimes = std::move(runtimes),
       .sink = [&outbox](const v1::SchedulerMessage& message) { outbox.Push(message); },
       .close = [context] { context->TryCancel(); }});

  v1::WorkerMessage message;
  while (stream->Read(&message)) {
    switch (message.kind_case()) {
      case v1::WorkerMessage::kResult:
        dispatcher_->OnResult(handle, message.result());
        break;
      case v1::WorkerMessage::kCredit:
        dispatcher_->SetFreeSlots(handle, message.credit().free_slots());
        break;
      case v1::WorkerMessage::kDraining:
        LogInfo(absl::StrCat("worker ", hello.worker_id(), " is draining"));
        dispatcher_->SetDraining(handle);
        break;
      case v1::WorkerMessage::kHeartbeat:
        dispatcher_->Heartbeat(handle);
        break;
      default:
        LogWarning(absl::StrCat("worker ", hello.worker_id(), " sent an unexpected message"));
    }
  }
  // Unregister first so that no new message is pushed to a closed outbox
  // (no effect if the dispatcher already declared the worker lost).
  dispatcher_->RemoveWorker(handle);
  outbox.Close();
  writer.join();
  LogInfo(absl::StrCat("worker ", hello.worker_id(), " disconnected"));
  return grpc::Status::OK;
}

}  // namespace flowgrid::service
