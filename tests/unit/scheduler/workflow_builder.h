// Small helpers to write test workflows compactly.
#ifndef FLOWGRID_TESTS_UNIT_SCHEDULER_WORKFLOW_BUILDER_H_
#define FLOWGRID_TESTS_UNIT_SCHEDULER_WORKFLOW_BUILDER_H_

#include <string>
#include <utility>
#include <vector>

#include "flowgrid/v1/workflow.pb.h"

namespace flowgrid::testing {

class WorkflowBuilder {
 public:
  // A start node with string variables.
  WorkflowBuilder& Start(const std::string& id, std::vector<std::string> variables = {}) {
    v1::StartNode* start = Add(id)->mutable_start();
    for (const std::string& name : variables) {
      v1::InputVariable* var = start->add_variables();
      var->set_name(name);
      var->mutable_type()->set_kind(v1::Type::STRING);
      var->set_required(true);
    }
    return *this;
  }
  // A Python code node; `inputs` are {name, "node.var"} pairs.
  WorkflowBuilder& Code(const std::string& id,
                        std::vector<std::pair<std::string, std::string>> inputs,
                        std::vector<std::string> outputs) {
    v1::CodeNode* code = Add(id)->mutable_code();
    code->set_language(v1::CodeNode::PYTHON3);
    code->set_code("def main(**kw):\n    return {}\n");
    for (auto& [name, ref] : inputs) Bind(code->add_inputs(), name, ref);
    for (const std::string& name : outputs) {
      (*code->mutable_outputs())[name].set_kind(v1::Type::STRING);
    }
    return *this;
  }
  WorkflowBuilder& End(const std::string& id,
                       std::vector<std::pair<std::string, std::string>> outputs = {}) {
    v1::EndNode* end = Add(id)->mutable_end();
    for (auto& [name, ref] : outputs) Bind(end->add_outputs(), name, ref);
    return *this;
  }
  WorkflowBuilder& Edge(const std::string& source, const std::string& target,
                        const std::string& handle = "") {
    v1::Edge* edge = workflow_.add_edges();
    edge->set_source(source);
    edge->set_target(target);
    edge->set_source_handle(handle);
    return *this;
  }
  // Sets retries and an error strategy on the last node added.
  WorkflowBuilder& Retry(int max_retries, int interval_ms) {
    v1::RetryPolicy* retry = workflow_.mutable_nodes(workflow_.nodes_size() - 1)->mutable_retry();
    retry->set_max_retries(max_retries);
    retry->set_interval_ms(interval_ms);
    return *this;
  }
  WorkflowBuilder& OnError(v1::ErrorStrategy::Kind kind) {
    workflow_.mutable_nodes(workflow_.nodes_size() - 1)->mutable_error_strategy()->set_kind(kind);
    return *this;
  }
  v1::Workflow Build() const { return workflow_; }

 private:
  v1::Node* Add(const std::string& id) {
    v1::Node* node = workflow_.add_nodes();
    node->set_id(id);
    return node;
  }
  static void Bind(v1::VariableBinding* binding, const std::string& name, const std::string& ref) {
    binding->set_name(name);
    size_t dot = ref.find('.');
    binding->add_selector(ref.substr(0, dot));
    binding->add_selector(ref.substr(dot + 1));
  }
  v1::Workflow workflow_;
};

}  // namespace flowgrid::testing

#endif  // FLOWGRID_TESTS_UNIT_SCHEDULER_WORKFLOW_BUILDER_H_
