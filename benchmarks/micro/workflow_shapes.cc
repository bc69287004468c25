#include "benchmarks/micro/workflow_shapes.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace flowgrid::bench {
namespace {

// Builds the nodes and edges; remembers which nodes are if-else nodes,
// whose only outgoing handle is their "go" case.
class Builder {
 public:
  Builder() {
    v1::Node* start = Add("s");
    v1::InputVariable* x = start->mutable_start()->add_variables();
    x->set_name(kInputName);
    x->mutable_type()->set_kind(v1::Type::STRING);
    x->set_required(true);
  }

  void Aggregator(const std::string& id, const std::vector<std::vector<std::string>>& reads) {
    v1::VariableAggregatorNode* agg = Add(id)->mutable_variable_aggregator();
    for (const auto& selector : reads) {
      agg->add_variables()->mutable_selector()->Add(selector.begin(), selector.end());
    }
  }

  void IfElse(const std::string& id) {
    v1::IfElseNode::Case* branch = Add(id)->mutable_if_else()->add_cases();
    branch->set_case_id("go");
    v1::Condition* cond = branch->add_conditions();
    cond->add_selector("s");
    cond->add_selector(kInputName);
    cond->set_comparison_operator("is");
    cond->mutable_value()->set_string_value(kInputValue);
    if_else_.insert(id);
  }

  void End(const std::vector<std::string>& read) {
    v1::VariableBinding* out = Add("e")->mutable_end()->add_outputs();
    out->set_name("out");
    out->mutable_selector()->Add(read.begin(), read.end());
  }

  void Edge(const std::string& source, const std::string& target) {
    v1::Edge* edge = workflow_.add_edges();
    edge->set_source(source);
    edge->set_target(target);
    edge->set_source_handle(if_else_.contains(source) ? "go" : "source");
  }

  v1::Workflow Take() { return std::move(workflow_); }

 private:
  v1::Node* Add(const std::string& id) {
    v1::Node* node = workflow_.add_nodes();
    node->set_id(id);
    return node;
  }

  v1::Workflow workflow_;
  absl::flat_hash_set<std::string> if_else_;
};

std::string Middle(int i) { return absl::StrCat("n", i); }

v1::Workflow Chain(int middle) {
  Builder b;
  std::string previous = "s";
  std::vector<std::string> value = {"s", kInputName};
  for (int i = 0; i < middle; ++i) {
    std::string id = Middle(i);
    if (i % 2 == 0) {
      b.Aggregator(id, {value});
      value = {id, "output"};
    } else {
      b.IfElse(id);
    }
    b.Edge(previous, id);
    previous = id;
  }
  b.End(value);
  b.Edge(previous, "e");
  return b.Take();
}

v1::Workflow Fan(int middle) {
  Builder b;
  for (int i = 0; i < middle; ++i) {
    std::string id = Middle(i);
    if (i % 2 == 0) {
      b.Aggregator(id, {{"s", kInputName}});
    } else {
      b.IfElse(id);
    }
    b.Edge("s", id);
    b.Edge(id, "e");
  }
  b.End(middle > 0 ? std::vector<std::string>{Middle(0), "output"}
                   : std::vector<std::string>{"s", kInputName});
  if (middle == 0) b.Edge("s", "e");
  return b.Take();
}

v1::Workflow Layered(int middle, uint64_t seed) {
  Builder b;
  std::mt19937_64 rng(seed);
  int width = std::max(1, static_cast<int>(std::lround(std::sqrt(middle))));
  std::vector<std::string> previous_layer = {"s"};
  std::vector<std::string> layer;
  for (int i = 0; i < middle; ++i) {
    std::string id = Middle(i);
    std::vector<std::string> parents;
    if (previous_layer.front() == "s") {
      parents = {"s"};
    } else {
      int count = std::uniform_int_distribution<int>(1, 3)(rng);
      for (int k = 0; k < count; ++k) {
        const std::string& parent = previous_layer[std::uniform_int_distribution<size_t>(
            0, previous_layer.size() - 1)(rng)];
        if (std::find(parents.begin(), parents.end(), parent) == parents.end()) {
          parents.push_back(parent);
        }
      }
    }
    std::vector<std::vector<std::string>> reads;
    if (parents.front() != "s") reads.push_back({parents.front(), "output"});
    reads.push_back({"s", kInputName});
    b.Aggregator(id, reads);
    for (const std::string& parent : parents) b.Edge(parent, id);
    layer.push_back(id);
    if (static_cast<int>(layer.size()) == width || i == middle - 1) {
      previous_layer = std::move(layer);
      layer.clear();
    }
  }
  b.End(middle > 0 ? std::vector<std::string>{Middle(middle - 1), "output"}
                   : std::vector<std::string>{"s", kInputName});
  for (const std::string& last : previous_layer) b.Edge(last, "e");
  return b.Take();
}

}  // namespace

std::string ShapeName(Shape shape) {
  switch (shape) {
    case Shape::kChain: return "chain";
    case Shape::kFan: return "fan";
    case Shape::kLayered: return "layered";
  }
  return "unknown";
}

v1::Workflow MakeWorkflow(Shape shape, int nodes, uint64_t seed) {
  int middle = std::max(nodes, 3) - 2;
  switch (shape) {
    case Shape::kChain: return Chain(middle);
    case Shape::kFan: return Fan(middle);
    case Shape::kLayered: return Layered(middle, seed);
  }
  return {};
}

}  // namespace flowgrid::bench
