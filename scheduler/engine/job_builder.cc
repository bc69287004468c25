#include "scheduler/engine/job_builder.h"

namespace flowgrid::engine {
namespace {

int64_t OrDefault(int64_t value, int64_t fallback) { return value > 0 ? value : fallback; }

}  // namespace

v1::Job BuildJob(const v1::Node& node, ValueMap inputs, const JobDefaults& defaults) {
  v1::Job job;
  if (node.has_template_()) {
    job.set_kind(v1::Job::RENDER_TEMPLATE);
    job.set_language(v1::CodeNode::PYTHON3);
    job.set_code(node.template_().template_());
    (*job.mutable_outputs())["output"].set_kind(v1::Type::STRING);
  } else {
    job.set_kind(v1::Job::RUN_CODE);
    job.set_language(node.code().language());
    job.set_code(node.code().code());
    *job.mutable_outputs() = node.code().outputs();
  }
  *job.mutable_inputs() = std::move(inputs);
  const v1::Limits& asked = node.limits();
  v1::Limits* limits = job.mutable_limits();
  limits->set_timeout_ms(OrDefault(asked.timeout_ms(), defaults.limits.timeout_ms()));
  limits->set_memory_bytes(OrDefault(asked.memory_bytes(), defaults.limits.memory_bytes()));
  limits->set_max_processes(
      static_cast<int32_t>(OrDefault(asked.max_processes(), defaults.limits.max_processes())));
  limits->set_max_output_bytes(
      OrDefault(asked.max_output_bytes(), defaults.limits.max_output_bytes()));
  *job.mutable_output_limits() = defaults.output_limits;
  return job;
}

}  // namespace flowgrid::engine
