#include "scheduler/graph/plan.h"

#include <algorithm>
#include <functional>
#include <queue>

#include "absl/strings/string_view.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace flowgrid::graph {
namespace {

constexpr absl::string_view kKnownKinds =
    "start, code, if_else, template, variable_aggregator, end";

bool IsIdentifier(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_'; });
}

std::string KindName(const v1::Node& node) {
  switch (node.kind_case()) {
    case v1::Node::kStart: return "start";
    case v1::Node::kCode: return "code";
    case v1::Node::kIfElse: return "if_else";
    case v1::Node::kTemplate: return "template";
    case v1::Node::kVariableAggregator: return "variable_aggregator";
    case v1::Node::kEnd: return "end";
    default: return "unset";
  }
}

}  // namespace

// Builds a Plan while collecting every diagnostic. Each Check* step adds
// diagnostics and later steps only run on the parts earlier ones accepted,
// so one mistake is reported once, not as a cascade.
class PlanBuilder {
 public:
  explicit PlanBuilder(v1::Workflow workflow) : plan_(new Plan()) {
    plan_->workflow_ = std::move(workflow);
  }

  CompileResult Build() {
    IndexNodes();
    CheckNodes();
    IndexEdges();
    // Graph-wide checks need a well-formed edge list.
    if (diagnostics_.empty()) {
      bool acyclic = CheckCycles();
      CheckReachability();
      if (acyclic) {
        ComputeOrder();
        CheckSelectors();
      }
    }
    CompileResult result;
    result.diagnostics = std::move(diagnostics_);
    if (result.diagnostics.empty()) result.plan = std::move(plan_);
    return result;
  }

 private:
  const v1::Workflow& wf() const { return plan_->workflow_; }

  void Add(std::string node_id, std::string field, std::string message) {
    diagnostics_.push_back({std::move(node_id), std::move(field), std::move(message)});
  }

  void IndexNodes() {
    int n = wf().nodes_size();
    plan_->incoming_.resize(n);
    plan_->outgoing_.resize(n);
    if (n == 0) Add("", "nodes", "workflow has no nodes");
    for (int i = 0; i < n; ++i) {
      const v1::Node& node = wf().nodes(i);
      if (node.id().empty()) {
        Add("", absl::StrCat("nodes[", i, "].id"), "node has no id");
        continue;
      }
      if (!plan_->index_.emplace(node.id(), i).second) {
        Add(node.id(), "id", absl::StrCat("duplicate node id (also used by nodes[",
                                         plan_->index_[node.id()], "])"));
      }
    }
  }

  void CheckNodes() {
    std::vector<std::string> starts;
    bool has_end = false;
    for (const v1::Node& node : wf().nodes()) {
      switch (node.kind_case()) {
        case v1::Node::kStart:
          starts.push_back(node.id());
          CheckStart(node);
          break;
        case v1::Node::kCode:
          CheckCode(node);
          break;
        case v1::Node::kEnd:
          has_end = true;
          CheckEnd(node);
          break;
        case v1::Node::kIfElse:
        case v1::Node::kTemplate:
        case v1::Node::kVariableAggregator:
          Add(node.id(), KindName(node),
              absl::StrCat("node kind \"", KindName(node),
                           "\" is not supported by this scheduler yet"));
          break;
        default:
          Add(node.id(), "kind",
              absl::StrCat("node has no kind (expected one of ", kKnownKinds, ")"));
      }
    }
    if (starts.empty()) Add("", "nodes", "workflow has no start node");
    if (starts.size() > 1) {
      Add("", "nodes", absl::StrCat("workflow has ", starts.size(),
                                    " start nodes (", absl::StrJoin(starts, ", "),
                                    "); exactly one is allowed"));
    }
    if (!starts.empty()) plan_->start_node_ = plan_->IndexOf(starts.front());
    if (!has_end) Add("", "nodes", "workflow has no end node");
  }

  void CheckStart(const v1::Node& node) {
    absl::flat_hash_set<std::string> names;
    for (int i = 0; i < node.start().variables_size(); ++i) {
      const v1::InputVariable& var = node.start().variables(i);
      std::string field = absl::StrCat("start.variables[", i, "]");
      if (!IsIdentifier(var.name())) {
        Add(node.id(), field + ".name",
            absl::StrCat("\"", var.name(), "\" is not a valid variable name"));
      } else if (!names.insert(var.name()).second) {
        Add(node.id(), field + ".name",
            absl::StrCat("duplicate variable \"", var.name(), "\""));
      }
      if (var.type().kind() == v1::Type::KIND_UNSPECIFIED) {
        Add(node.id(), field + ".type", "variable has no type");
      }
    }
  }

  void CheckCode(const v1::Node& node) {
    const v1::CodeNode& code = node.code();
    switch (code.language()) {
      case v1::CodeNode::PYTHON3:
        break;
      case v1::CodeNode::JAVASCRIPT:
        Add(node.id(), "code.language",
            "JavaScript code nodes are not supported by this cluster yet");
        break;
      default:
        Add(node.id(), "code.language", "language is not set (PYTHON3 or JAVASCRIPT)");
    }
    if (code.code().empty()) Add(node.id(), "code.code", "code is empty");
    CheckBindings(node, "code.inputs", code.inputs());
    for (const auto& [name, type] : code.outputs()) {
      if (!IsIdentifier(name)) {
        Add(node.id(), "code.outputs",
            absl::StrCat("\"", name, "\" is not a valid output name"));
      }
      if (type.kind() == v1::Type::KIND_UNSPECIFIED) {
        Add(node.id(), absl::StrCat("code.outputs.", name), "output has no type");
      }
    }
  }

  void CheckEnd(const v1::Node& node) {
    CheckBindings(node, "end.outputs", node.end().outputs());
  }

  void CheckBindings(const v1::Node& node, absl::string_view field,
                     const google::protobuf::RepeatedPtrField<v1::VariableBinding>& bindings) {
    absl::flat_hash_set<std::string> names;
    for (int i = 0; i < bindings.size(); ++i) {
      const v1::VariableBinding& b = bindings[i];
      std::string where = absl::StrCat(field, "[", i, "]");
      if (!IsIdentifier(b.name())) {
        Add(node.id(), where + ".name",
            absl::StrCat("\"", b.name(), "\" is not a valid variable name"));
      } else if (!names.insert(b.name()).second) {
        Add(node.id(), where + ".name", absl::StrCat("duplicate name \"", b.name(), "\""));
      }
      if (b.selector_size() < 2) {
        Add(node.id(), where + ".selector",
            "selector must name a node and a variable: [node_id, variable, ...path]");
      }
    }
  }

  void IndexEdges() {
    absl::flat_hash_set<std::tuple<int, std::string, int>> seen;
    for (int i = 0; i < wf().edges_size(); ++i) {
      const v1::Edge& edge = wf().edges(i);
      std::string field = absl::StrCat("edges[", i, "]");
      int source = plan_->IndexOf(edge.source());
      int target = plan_->IndexOf(edge.target());
      if (source < 0) {
        Add(edge.source(), field + ".source",
            absl::StrCat("edge source \"", edge.source(), "\" is not a node"));
      }
      if (target < 0) {
        Add(edge.target(), field + ".target",
            absl::StrCat("edge target \"", edge.target(), "\" is not a node"));
      }
      if (source < 0 || target < 0) continue;
      std::string handle =
          edge.source_handle().empty() ? std::string(kSourceHandle) : edge.source_handle();
      if (handle != kSourceHandle) {
        Add(edge.source(), field + ".source_handle",
            absl::StrCat("handle \"", handle, "\" does not exist on a ",
                         KindName(plan_->node(source)), " node (only \"source\")"));
        continue;
      }
      if (plan_->node(source).has_end()) {
        Add(edge.source(), field, "an end node cannot have outgoing edges");
        continue;
      }
      if (plan_->node(target).has_start()) {
        Add(edge.target(), field, "a start node cannot have incoming edges");
        continue;
      }
      if (!seen.emplace(source, handle, target).second) {
        Add(edge.source(), field,
            absl::StrCat("duplicate edge ", edge.source(), " -> ", edge.target()));
        continue;
      }
      int edge_index = static_cast<int>(plan_->edges_.size());
      plan_->edges_.push_back({source, target, handle});
      plan_->outgoing_[source].push_back(edge_index);
      plan_->incoming_[target].push_back(edge_index);
    }
  }

  // Finds strongly connected components (iterative Tarjan) and reports each
  // cycle with its nodes in cycle order. Returns true when acyclic.
  bool CheckCycles() {
    int n = plan_->size();
    std::vector<int> index(n, -1), low(n, 0), component(n, -1);
    std::vector<bool> on_stack(n, false);
    std::vector<int> stack;
    int next_index = 0, components = 0;
    struct Frame { int node; size_t next_edge; };
    for (int root = 0; root < n; ++root) {
      if (index[root] >= 0) continue;
      std::vector<Frame> frames{{root, 0}};
      index[root] = low[root] = next_index++;
      stack.push_back(root);
      on_stack[root] = true;
      while (!frames.empty()) {
        Frame& f = frames.back();
        const std::vector<int>& out = plan_->outgoing_[f.node];
        if (f.next_edge < out.size()) {
          int w = plan_->edges_[out[f.next_edge++]].target;
          if (index[w] < 0) {
            index[w] = low[w] = next_index++;
            stack.push_back(w);
            on_stack[w] = true;
            frames.push_back({w, 0});
          } else if (on_stack[w]) {
            low[f.node] = std::min(low[f.node], index[w]);
          }
          continue;
        }
        int v = f.node;
        frames.pop_back();
        if (!frames.empty()) low[frames.back().node] = std::min(low[frames.back().node], low[v]);
        if (low[v] == index[v]) {
          int w;
          do {
            w = stack.back();
            stack.pop_back();
            on_stack[w] = false;
            component[w] = components;
          } while (w != v);
          ++components;
        }
      }
    }
    // A component is a cycle if it has several nodes or a self-loop.
    std::vector<int> size(components, 0);
    for (int v = 0; v < n; ++v) ++size[component[v]];
    std::vector<bool> reported(components, false);
    bool acyclic = true;
    for (int v = 0; v < n; ++v) {
      int c = component[v];
      bool self_loop = std::any_of(plan_->outgoing_[v].begin(), plan_->outgoing_[v].end(),
                                   [&](int e) { return plan_->edges_[e].target == v; });
      if (reported[c] || (size[c] == 1 && !self_loop)) continue;
      reported[c] = true;
      acyclic = false;
      std::vector<std::string> names;
      for (int u : CyclePath(v, component)) names.push_back(plan_->node(u).id());
      names.push_back(plan_->node(v).id());
      Add(plan_->node(v).id(), "edges",
          absl::StrCat("cycle: ", absl::StrJoin(names, " -> ")));
    }
    return acyclic;
  }

  // A shortest path v -> ... -> (back to v) inside v's component, without
  // the final return to v.
  std::vector<int> CyclePath(int v, const std::vector<int>& component) {
    std::vector<int> parent(plan_->size(), -2);
    std::queue<int> frontier;
    frontier.push(v);
    parent[v] = -1;
    while (!frontier.empty()) {
      int u = frontier.front();
      frontier.pop();
      for (int e : plan_->outgoing_[u]) {
        int w = plan_->edges_[e].target;
        if (component[w] != component[v]) continue;
        if (w == v) {
          std::vector<int> path;
          for (int x = u; x != -1; x = parent[x]) path.push_back(x);
          std::reverse(path.begin(), path.end());
          return path;
        }
        if (parent[w] == -2) {
          parent[w] = u;
          frontier.push(w);
        }
      }
    }
    return {v};
  }

  void CheckReachability() {
    if (plan_->start_node_ < 0) return;
    std::vector<bool> reached = Reachable(plan_->start_node_, /*forward=*/true);
    for (int v = 0; v < plan_->size(); ++v) {
      if (!reached[v]) {
        Add(plan_->node(v).id(), "", "node is not reachable from the start node");
      }
    }
  }

  std::vector<bool> Reachable(int from, bool forward) const {
    std::vector<bool> seen(plan_->size(), false);
    std::vector<int> todo{from};
    seen[from] = true;
    while (!todo.empty()) {
      int u = todo.back();
      todo.pop_back();
      for (int e : forward ? plan_->outgoing_[u] : plan_->incoming_[u]) {
        int w = forward ? plan_->edges_[e].target : plan_->edges_[e].source;
        if (!seen[w]) {
          seen[w] = true;
          todo.push_back(w);
        }
      }
    }
    return seen;
  }

  // Kahn's algorithm; the smallest declaration index goes first among ready
  // nodes so the order is deterministic.
  void ComputeOrder() {
    int n = plan_->size();
    std::vector<int> pending(n);
    std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
    for (int v = 0; v < n; ++v) {
      pending[v] = static_cast<int>(plan_->incoming_[v].size());
      if (pending[v] == 0) ready.push(v);
    }
    while (!ready.empty()) {
      int v = ready.top();
      ready.pop();
      plan_->order_.push_back(v);
      for (int e : plan_->outgoing_[v]) {
        if (--pending[plan_->edges_[e].target] == 0) ready.push(plan_->edges_[e].target);
      }
    }
  }

  void CheckSelectors() {
    for (int v = 0; v < plan_->size(); ++v) {
      const v1::Node& node = plan_->node(v);
      const google::protobuf::RepeatedPtrField<v1::VariableBinding>* bindings = nullptr;
      std::string field;
      if (node.has_code()) {
        bindings = &node.code().inputs();
        field = "code.inputs";
      } else if (node.has_end()) {
        bindings = &node.end().outputs();
        field = "end.outputs";
      } else {
        continue;
      }
      std::vector<bool> upstream = Reachable(v, /*forward=*/false);
      for (int i = 0; i < bindings->size(); ++i) {
        CheckSelector(v, upstream, absl::StrCat(field, "[", i, "].selector"),
                      (*bindings)[i]);
      }
    }
  }

  void CheckSelector(int v, const std::vector<bool>& upstream, const std::string& field,
                     const v1::VariableBinding& binding) {
    const v1::Node& node = plan_->node(v);
    const auto& sel = binding.selector();
    std::string shown = absl::StrCat("[", absl::StrJoin(sel, ", "), "]");
    int source = plan_->IndexOf(sel[0]);
    if (source < 0) {
      Add(node.id(), field,
          absl::StrCat("selector ", shown, " names node \"", sel[0], "\", which does not exist"));
      return;
    }
    if (source == v || !upstream[source]) {
      Add(node.id(), field,
          absl::StrCat("selector ", shown, " names node \"", sel[0],
                       "\", which is not upstream of this node"));
      return;
    }
    const v1::Node& src = plan_->node(source);
    bool declared = false;
    if (src.has_start()) {
      for (const v1::InputVariable& var : src.start().variables()) {
        declared |= var.name() == sel[1];
      }
    } else if (src.has_code()) {
      declared = src.code().outputs().contains(sel[1]);
    }
    if (!declared) {
      Add(node.id(), field,
          absl::StrCat("selector ", shown, ": node \"", sel[0], "\" has no output \"",
                       sel[1], "\""));
    }
  }

  std::shared_ptr<Plan> plan_;
  std::vector<Diagnostic> diagnostics_;
};

CompileResult Plan::Compile(v1::Workflow workflow) {
  return PlanBuilder(std::move(workflow)).Build();
}

int Plan::IndexOf(absl::string_view node_id) const {
  auto it = index_.find(node_id);
  return it == index_.end() ? -1 : it->second;
}

}  // namespace flowgrid::graph
