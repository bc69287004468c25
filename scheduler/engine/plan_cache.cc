#include "scheduler/engine/plan_cache.h"

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace flowgrid::engine {

std::string CanonicalBytes(const v1::Workflow& workflow) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  workflow.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

std::shared_ptr<const graph::Plan> PlanCache::Find(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = plans_.find(key);
  return it == plans_.end() ? nullptr : it->second;
}

void PlanCache::Insert(const std::string& key, std::shared_ptr<const graph::Plan> plan) {
  if (key.size() > max_bytes_ || max_plans_ == 0) return;
  absl::MutexLock lock(&mu_);
  if (!plans_.emplace(key, std::move(plan)).second) return;
  order_.push_back(key);
  bytes_ += key.size();
  while (plans_.size() > max_plans_ || bytes_ > max_bytes_) {
    bytes_ -= order_.front().size();
    plans_.erase(order_.front());
    order_.pop_front();
  }
}

}  // namespace flowgrid::engine
