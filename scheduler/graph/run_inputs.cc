#include "scheduler/graph/run_inputs.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/value_types.h"

namespace flowgrid::graph {

CheckedInputs CheckRunInputs(const Plan& plan, const ValueMap& inputs) {
  CheckedInputs out;
  const v1::Node& start = plan.node(plan.start_node());
  auto add = [&](std::string field, std::string message) {
    out.diagnostics.push_back({start.id(), std::move(field), std::move(message)});
  };
  for (const v1::InputVariable& var : start.start().variables()) {
    std::string field = absl::StrCat("inputs.", var.name());
    auto it = inputs.find(var.name());
    bool missing = it == inputs.end() || it->second.has_null_value() ||
                   it->second.kind_case() == v1::Value::KIND_NOT_SET;
    if (missing) {
      if (var.has_default_value()) {
        out.values[var.name()] = var.default_value();
      } else if (var.required()) {
        add(field, absl::StrCat("required input \"", var.name(), "\" is missing"));
      } else {
        out.values[var.name()] = NullValue();
      }
      continue;
    }
    const v1::Value& value = it->second;
    absl::Status type_ok = CheckValueType(value, var.type(), absl::StrCat("input \"", var.name(), "\""));
    if (!type_ok.ok()) {
      add(field, std::string(type_ok.message()));
      continue;
    }
    if (value.has_string_value() && var.max_length() > 0 &&
        static_cast<int64_t>(value.string_value().size()) > var.max_length()) {
      add(field, absl::StrCat("input \"", var.name(), "\" is longer than its max_length ",
                              var.max_length()));
      continue;
    }
    if (value.has_string_value() && var.options_size() > 0 &&
        std::find(var.options().begin(), var.options().end(), value.string_value()) ==
            var.options().end()) {
      add(field, absl::StrCat("input \"", var.name(), "\" must be one of its options"));
      continue;
    }
    out.values[var.name()] = value;
  }
  for (const auto& [name, value] : inputs) {
    bool declared = std::any_of(start.start().variables().begin(),
                                start.start().variables().end(),
                                [&](const v1::InputVariable& v) { return v.name() == name; });
    if (!declared) {
      add(absl::StrCat("inputs.", name),
          absl::StrCat("input \"", name, "\" is not a variable of the start node"));
    }
  }
  return out;
}

}  // namespace flowgrid::graph
