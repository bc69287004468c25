#include "scheduler/service/secret_values.h"

#include "common/value_json.h"

namespace flowgrid::service {

void BlankSecretValues(v1::Workflow& workflow) {
  for (v1::EnvironmentVariable& variable : *workflow.mutable_environment()) {
    if (variable.secret()) *variable.mutable_value() = StringValue("");
  }
}

}  // namespace flowgrid::service
