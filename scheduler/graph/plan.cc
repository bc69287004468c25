#include "scheduler/graph/plan.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <functional>
#include <map>
#include <queue>
#include <tuple>

#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/value_types.h"
#include "scheduler/graph/condition_operator.h"
#include "scheduler/graph/reachability.h"
#include "scheduler/graph/text_references.h"

namespace flowgrid::graph {
namespace {

using Bindings = google::protobuf::RepeatedPtrField<v1::VariableBinding>;
using Strings = google::protobuf::RepeatedPtrField<std::string>;

// The field a diagnostic names, built only when there is one: most checks
// find nothing, and formatting every field would cost more than checking.
using Field = absl::FunctionRef<std::string()>;

// A Field that is a fixed text.
auto Literal(absl::string_view text) {
  return [text] { return std::string(text); };
}

constexpr absl::string_view kKnownKinds =
    "start, code, if_else, template, variable_aggregator, iteration, loop, assigner, end, "
    "answer";

// System variables a selector ["sys", name] may read.
constexpr absl::string_view kSystemVariables[] = {
    "query", "user_id", "files", "conversation_id", "dialogue_count", "app_id",
    "workflow_id", "workflow_run_id"};

constexpr absl::string_view kAssignerOperations[] = {
    "over-write", "set", "clear", "+=", "-=", "*=", "/=", "append", "extend",
    "remove-first", "remove-last"};

// Dify's bounds on retries.
constexpr int kMaxRetries = 10;
constexpr int kMaxRetryIntervalMs = 5000;

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
    case v1::Node::kIteration: return "iteration";
    case v1::Node::kLoop: return "loop";
    case v1::Node::kAssigner: return "assigner";
    case v1::Node::kAnswer: return "answer";
    default: return "unset";
  }
}

std::string Shown(const Strings& selector) {
  return absl::StrCat("[", absl::StrJoin(selector, ", "), "]");
}

// "a code node", "an if_else node".
std::string WithArticle(const std::string& noun) {
  bool vowel = !noun.empty() && std::string("aeiou").find(noun[0]) != std::string::npos;
  return absl::StrCat(vowel ? "an " : "a ", noun);
}

// Detects repeated names in a list; short lists (most of them) are
// searched in place instead of hashed.
class UniqueNames {
 public:
  // False when `name` was inserted before. The name must outlive this.
  bool Insert(absl::string_view name) {
    if (hashed_.empty()) {
      if (std::find(few_.begin(), few_.end(), name) != few_.end()) return false;
      if (few_.size() < kFew) {
        few_.push_back(name);
        return true;
      }
      hashed_.insert(few_.begin(), few_.end());
    }
    return hashed_.insert(name).second;
  }

 private:
  static constexpr size_t kFew = 8;
  absl::InlinedVector<absl::string_view, kFew> few_;
  absl::flat_hash_set<absl::string_view> hashed_;
};

// A set of indices in [0, n) that hands out its smallest first, for
// Kahn's ordering: one bit per index and one summary bit per word of
// them, so adding and taking cost a few word operations where a heap
// moves log n entries.
class SmallestFirst {
 public:
  explicit SmallestFirst(int n)
      : words_((n + 63) / 64, 0), summary_((words_.size() + 63) / 64, 0) {}

  bool empty() const { return size_ == 0; }

  void Add(int i) {
    words_[i / 64] |= uint64_t{1} << (i % 64);
    int w = i / 64;
    summary_[w / 64] |= uint64_t{1} << (w % 64);
    lowest_ = std::min(lowest_, w / 64);
    ++size_;
  }

  // The smallest index in the set, removed; the set must not be empty.
  int Take() {
    while (summary_[lowest_] == 0) ++lowest_;
    uint64_t& summary = summary_[lowest_];
    int w = lowest_ * 64 + std::countr_zero(summary);
    uint64_t& word = words_[w];
    int i = w * 64 + std::countr_zero(word);
    word &= word - 1;
    if (word == 0) summary &= summary - 1;  // w is the lowest word of this summary
    --size_;
    return i;
  }

 private:
  std::vector<uint64_t> words_;
  std::vector<uint64_t> summary_;  // bit w: words_[w] is not zero
  int lowest_ = 0;                 // no summary word below this one is set
  int size_ = 0;
};

// A Type of each kind, made once: selector checks hand out pointers to
// these or to the workflow's own declared types instead of copies.
const v1::Type& TypeOf(v1::Type::Kind kind) {
  static const auto* types = [] {
    auto* all = new std::array<v1::Type, v1::Type::Kind_ARRAYSIZE>();
    for (int k = 0; k < v1::Type::Kind_ARRAYSIZE; ++k) {
      (*all)[k] = MakeType(static_cast<v1::Type::Kind>(k));
    }
    return all;
  }();
  return (*types)[kind];
}

bool CanFail(const v1::Node& node) {
  return node.has_code() || node.has_template_() || node.has_iteration() || node.has_loop();
}

bool IsArrayKind(v1::Type::Kind kind) {
  return kind == v1::Type::ARRAY_STRING || kind == v1::Type::ARRAY_NUMBER ||
         kind == v1::Type::ARRAY_BOOLEAN || kind == v1::Type::ARRAY_OBJECT ||
         kind == v1::Type::ARRAY_ANY;
}

// Null when the value has no kind.
const v1::Type* TypeOfValue(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kStringValue: return &TypeOf(v1::Type::STRING);
    case v1::Value::kIntValue:
    case v1::Value::kDoubleValue: return &TypeOf(v1::Type::NUMBER);
    case v1::Value::kBoolValue: return &TypeOf(v1::Type::BOOLEAN);
    case v1::Value::kObjectValue: return &TypeOf(v1::Type::OBJECT);
    case v1::Value::kListValue: return &TypeOf(v1::Type::ARRAY_ANY);
    default: return nullptr;
  }
}

}  // namespace

// Builds a Plan while collecting every diagnostic. Each step adds
// diagnostics and later steps only run on the parts earlier ones accepted,
// so one mistake is reported once, not as a cascade.
class PlanBuilder {
 public:
  explicit PlanBuilder(v1::Workflow workflow) : plan_(new Plan()) {
    plan_->workflow_ = std::move(workflow);
  }

  CompileResult Build() {
    if (plan_->workflow_.nodes_size() == 0) Add("", "nodes", "workflow has no nodes");
    Reserve(plan_->workflow_.nodes_size());
    AddScope(-1, plan_->workflow_.nodes(), plan_->workflow_.edges());
    CheckEnvironment();
    CheckNodes();
    IndexEdges();
    // Graph-wide checks need well-formed nodes and edges.
    if (diagnostics_.empty()) {
      order_position_.assign(plan_->size(), -1);
      bool acyclic = true;
      for (int s = 0; s < plan_->scope_count(); ++s) {
        // Ordering fails exactly when the scope has a cycle; only then is
        // the (costlier) search for the cycles themselves needed.
        if (!ComputeOrder(s)) {
          ReportCycles(s);
          acyclic = false;
        }
      }
      for (int s = 0; s < plan_->scope_count(); ++s) CheckReachability(s);
      if (acyclic) {
        reachability_.resize(plan_->scope_count());
        CheckSelectors();
      }
    }
    CompileResult result;
    result.diagnostics = std::move(diagnostics_);
    if (result.diagnostics.empty()) result.plan = std::move(plan_);
    return result;
  }

 private:
  void Add(std::string node_id, std::string field, std::string message) {
    diagnostics_.push_back({std::move(node_id), std::move(field), std::move(message)});
  }

  const v1::Node& node(int v) const { return *plan_->nodes_[v]; }
  const Scope& scope(int s) const { return plan_->scopes_[s]; }

  // Room for `nodes` nodes (the top level: sub-graphs add theirs beyond).
  void Reserve(int nodes) {
    plan_->nodes_.reserve(nodes);
    plan_->index_.reserve(nodes);
    plan_->scope_of_.reserve(nodes);
    plan_->child_scope_.reserve(nodes);
    plan_->local_index_.reserve(nodes);
  }

  // ------------------------------------------------------------ indexing --

  void AddScope(int container, const google::protobuf::RepeatedPtrField<v1::Node>& nodes,
                const google::protobuf::RepeatedPtrField<v1::Edge>& edges) {
    int s = static_cast<int>(plan_->scopes_.size());
    plan_->scopes_.push_back(Scope{container, {}, {}, {}, {}});
    plan_->scopes_[s].members.reserve(nodes.size());
    scope_edges_.push_back(&edges);
    std::vector<int> containers;
    for (int i = 0; i < nodes.size(); ++i) {
      const v1::Node& n = nodes[i];
      int v = static_cast<int>(plan_->nodes_.size());
      plan_->nodes_.push_back(&n);
      plan_->scope_of_.push_back(s);
      plan_->child_scope_.push_back(-1);
      plan_->local_index_.push_back(static_cast<int>(plan_->scopes_[s].members.size()));
      plan_->scopes_[s].members.push_back(v);
      if (n.id().empty()) {
        Add("", absl::StrCat(container < 0 ? "" : node(container).id() + ": ", "nodes[", i,
                             "].id"),
            "node has no id");
      } else if (auto [it, inserted] = plan_->index_.emplace(absl::string_view(n.id()), v);
                 !inserted) {
        Add(n.id(), "id", "duplicate node id");
      }
      if (n.has_iteration() || n.has_loop()) containers.push_back(v);
    }
    for (int v : containers) {
      plan_->child_scope_[v] = static_cast<int>(plan_->scopes_.size());
      const v1::Node& n = node(v);
      if (n.has_iteration()) {
        AddScope(v, n.iteration().nodes(), n.iteration().edges());
      } else {
        AddScope(v, n.loop().nodes(), n.loop().edges());
      }
    }
  }

  std::string EdgesField(int s, int i) const {
    if (scope(s).container < 0) return absl::StrCat("edges[", i, "]");
    return absl::StrCat(KindName(node(scope(s).container)), ".edges[", i, "]");
  }

  // ---------------------------------------------------------- node checks --

  void CheckEnvironment() {
    UniqueNames names;
    const auto& environment = plan_->workflow_.environment();
    for (int i = 0; i < environment.size(); ++i) {
      const std::string& name = environment[i].name();
      auto field = [&] { return absl::StrCat("environment[", i, "].name"); };
      if (!IsIdentifier(name)) {
        Add("", field(), absl::StrCat("\"", name, "\" is not a valid variable name"));
      } else if (!names.Insert(name)) {
        Add("", field(), absl::StrCat("duplicate environment variable \"", name, "\""));
      }
    }
  }

  void CheckNodes() {
    std::vector<std::string> starts;
    bool has_output_node = false;
    for (int v = 0; v < plan_->size(); ++v) {
      const v1::Node& n = node(v);
      bool top_level = plan_->scope_of_[v] == 0;
      switch (n.kind_case()) {
        case v1::Node::kStart:
          if (top_level) starts.push_back(n.id());
          CheckStart(n);
          break;
        case v1::Node::kCode:
          CheckCode(n);
          break;
        case v1::Node::kIfElse:
          CheckIfElse(n);
          break;
        case v1::Node::kTemplate:
          CheckBindings(n, "template.variables", n.template_().variables());
          break;
        case v1::Node::kVariableAggregator:
          CheckAggregator(n);
          break;
        case v1::Node::kIteration:
          CheckIteration(n);
          break;
        case v1::Node::kLoop:
          CheckLoop(n);
          break;
        case v1::Node::kAssigner:
          CheckAssigner(v);
          break;
        case v1::Node::kEnd:
          has_output_node |= top_level;
          CheckBindings(n, "end.outputs", n.end().outputs());
          break;
        case v1::Node::kAnswer:
          has_output_node |= top_level;
          break;
        default:
          Add(n.id(), "kind",
              absl::StrCat("node has no kind (expected one of ", kKnownKinds, ")"));
      }
      if (!top_level && (n.has_start() || n.has_end() || n.has_answer())) {
        Add(n.id(), KindName(n),
            absl::StrCat("a ", KindName(n), " node is only allowed at the top level, not inside ",
                         KindName(node(scope(plan_->scope_of_[v]).container)), " ",
                         node(scope(plan_->scope_of_[v]).container).id()));
      }
      CheckRetryAndStrategy(n);
    }
    if (starts.empty()) Add("", "nodes", "workflow has no start node");
    if (starts.size() > 1) {
      Add("", "nodes", absl::StrCat("workflow has ", starts.size(), " start nodes (",
                                    absl::StrJoin(starts, ", "), "); exactly one is allowed"));
    }
    if (!starts.empty()) plan_->start_node_ = plan_->IndexOf(starts.front());
    if (!has_output_node) Add("", "nodes", "workflow has no end or answer node");
  }

  void CheckStart(const v1::Node& n) {
    UniqueNames names;
    for (int i = 0; i < n.start().variables_size(); ++i) {
      const v1::InputVariable& var = n.start().variables(i);
      auto field = [&](absl::string_view part) {
        return absl::StrCat("start.variables[", i, "]", part);
      };
      if (!IsIdentifier(var.name())) {
        Add(n.id(), field(".name"),
            absl::StrCat("\"", var.name(), "\" is not a valid variable name"));
      } else if (!names.Insert(var.name())) {
        Add(n.id(), field(".name"), absl::StrCat("duplicate variable \"", var.name(), "\""));
      }
      if (var.type().kind() == v1::Type::KIND_UNSPECIFIED) {
        Add(n.id(), field(".type"), "variable has no type");
      }
      if (var.has_default_value()) {
        absl::Status s = CheckValueType(var.default_value(), var.type(), "default_value");
        if (!s.ok()) Add(n.id(), field(".default_value"), std::string(s.message()));
      }
    }
  }

  void CheckCode(const v1::Node& n) {
    const v1::CodeNode& code = n.code();
    if (code.language() != v1::CodeNode::PYTHON3 && code.language() != v1::CodeNode::JAVASCRIPT) {
      Add(n.id(), "code.language", "language is not set (PYTHON3 or JAVASCRIPT)");
    }
    if (code.code().empty()) Add(n.id(), "code.code", "code is empty");
    CheckBindings(n, "code.inputs", code.inputs());
    for (const auto& [name, type] : code.outputs()) {
      if (!IsIdentifier(name)) {
        Add(n.id(), "code.outputs", absl::StrCat("\"", name, "\" is not a valid output name"));
      }
      if (type.kind() == v1::Type::KIND_UNSPECIFIED) {
        Add(n.id(), absl::StrCat("code.outputs.", name), "output has no type");
      }
    }
  }

  void CheckIfElse(const v1::Node& n) {
    if (n.if_else().cases_size() == 0) Add(n.id(), "if_else.cases", "if-else has no cases");
    UniqueNames ids;
    for (int c = 0; c < n.if_else().cases_size(); ++c) {
      const v1::IfElseNode::Case& branch = n.if_else().cases(c);
      auto field = [&](absl::string_view part) {
        return absl::StrCat("if_else.cases[", c, "]", part);
      };
      if (branch.case_id().empty()) {
        Add(n.id(), field(".case_id"), "case has no case_id");
      } else if (branch.case_id() == kFalseHandle) {
        Add(n.id(), field(".case_id"), "\"false\" is reserved for the else branch");
      } else if (!ids.Insert(branch.case_id())) {
        Add(n.id(), field(".case_id"),
            absl::StrCat("duplicate case_id \"", branch.case_id(), "\""));
      }
      CheckLogicalOperator(n, [&] { return field(".logical_operator"); },
                           branch.logical_operator());
      if (branch.conditions_size() == 0) {
        Add(n.id(), field(".conditions"), "case has no conditions");
      }
      CheckConditions(n, [&] { return field(".conditions"); }, branch.conditions());
    }
  }

  void CheckLogicalOperator(const v1::Node& n, Field field, const std::string& op) {
    if (!op.empty() && op != "and" && op != "or") {
      Add(n.id(), field(),
          absl::StrCat("logical operator \"", op, "\" is neither \"and\" nor \"or\""));
    }
  }

  void CheckConditions(const v1::Node& n, Field field,
                       const google::protobuf::RepeatedPtrField<v1::Condition>& conditions) {
    for (int k = 0; k < conditions.size(); ++k) {
      const v1::Condition& cond = conditions[k];
      auto where = [&](absl::string_view part) { return absl::StrCat(field(), "[", k, "]", part); };
      if (cond.selector_size() < 2) {
        Add(n.id(), where(".selector"),
            "selector must name a node and a variable: [node_id, variable, ...path]");
      }
      std::optional<ConditionOperator> op = ParseConditionOperator(cond.comparison_operator());
      if (!op) {
        Add(n.id(), where(".comparison_operator"),
            absl::StrCat("unknown operator \"", cond.comparison_operator(),
                         "\" (expected one of ", ConditionOperatorNames(), ")"));
      } else if (!IsUnary(*op) && !cond.has_value() && cond.value_selector_size() == 0) {
        Add(n.id(), where(".value"),
            absl::StrCat("operator \"", cond.comparison_operator(), "\" needs a value"));
      }
      if (cond.value_selector_size() == 1) {
        Add(n.id(), where(".value_selector"),
            "selector must name a node and a variable: [node_id, variable, ...path]");
      }
    }
  }

  void CheckAggregator(const v1::Node& n) {
    const v1::VariableAggregatorNode& agg = n.variable_aggregator();
    if (agg.groups_size() == 0 && agg.variables_size() == 0) {
      Add(n.id(), "variable_aggregator.variables", "aggregator has no variables");
    }
    UniqueNames names;
    for (int g = 0; g < agg.groups_size(); ++g) {
      const auto& group = agg.groups(g);
      auto field = [&](absl::string_view part) {
        return absl::StrCat("variable_aggregator.groups[", g, "]", part);
      };
      if (!IsIdentifier(group.group_name())) {
        Add(n.id(), field(".group_name"),
            absl::StrCat("\"", group.group_name(), "\" is not a valid group name"));
      } else if (!names.Insert(group.group_name())) {
        Add(n.id(), field(".group_name"),
            absl::StrCat("duplicate group \"", group.group_name(), "\""));
      }
      if (group.variables_size() == 0) {
        Add(n.id(), field(".variables"), "group has no variables");
      }
      CheckSelectorShapes(n, [&] { return field(".variables"); }, group.variables());
    }
    CheckSelectorShapes(n, Literal("variable_aggregator.variables"), agg.variables());
  }

  void CheckSelectorShapes(const v1::Node& n, Field field,
                           const google::protobuf::RepeatedPtrField<v1::Selector>& selectors) {
    for (int i = 0; i < selectors.size(); ++i) {
      if (selectors[i].selector_size() < 2) {
        Add(n.id(), absl::StrCat(field(), "[", i, "].selector"),
            "selector must name a node and a variable: [node_id, variable, ...path]");
      }
    }
  }

  void CheckIteration(const v1::Node& n) {
    const v1::IterationNode& it = n.iteration();
    if (it.iterator_selector_size() < 2) {
      Add(n.id(), "iteration.iterator_selector",
          "iterator_selector must name a node and a variable: [node_id, variable, ...path]");
    }
    if (it.output_selector_size() < 2) {
      Add(n.id(), "iteration.output_selector",
          "output_selector must name a node inside the iteration and its variable");
    }
    if (it.parallel_nums() < 0) Add(n.id(), "iteration.parallel_nums", "must not be negative");
    if (it.nodes_size() == 0) Add(n.id(), "iteration.nodes", "iteration has no nodes");
  }

  void CheckLoop(const v1::Node& n) {
    const v1::LoopNode& loop = n.loop();
    if (loop.loop_count() < 1) Add(n.id(), "loop.loop_count", "loop_count must be at least 1");
    if (loop.nodes_size() == 0) Add(n.id(), "loop.nodes", "loop has no nodes");
    UniqueNames names;
    for (int i = 0; i < loop.loop_variables_size(); ++i) {
      const auto& var = loop.loop_variables(i);
      auto field = [&](absl::string_view part) {
        return absl::StrCat("loop.loop_variables[", i, "]", part);
      };
      if (!IsIdentifier(var.name())) {
        Add(n.id(), field(".name"),
            absl::StrCat("\"", var.name(), "\" is not a valid variable name"));
      } else if (!names.Insert(var.name())) {
        Add(n.id(), field(".name"),
            absl::StrCat("duplicate loop variable \"", var.name(), "\""));
      }
      if (var.type().kind() == v1::Type::KIND_UNSPECIFIED) {
        Add(n.id(), field(".type"), "loop variable has no type");
      }
      if (var.has_value()) {
        absl::Status s = CheckValueType(var.value(), var.type(), "value");
        if (!s.ok()) Add(n.id(), field(".value"), std::string(s.message()));
      }
    }
    CheckLogicalOperator(n, Literal("loop.logical_operator"), loop.logical_operator());
    CheckConditions(n, Literal("loop.break_conditions"), loop.break_conditions());
  }

  // The loop nodes enclosing `v`, innermost first.
  std::vector<int> EnclosingLoops(int v) const {
    std::vector<int> loops;
    for (int c = scope(plan_->scope_of_[v]).container; c >= 0;
         c = scope(plan_->scope_of_[c]).container) {
      if (node(c).has_loop()) loops.push_back(c);
    }
    return loops;
  }

  void CheckAssigner(int v) {
    const v1::Node& n = node(v);
    std::vector<int> loops = EnclosingLoops(v);
    if (loops.empty()) {
      Add(n.id(), "assigner", "an assigner changes loop variables and must be inside a loop");
      return;
    }
    if (n.assigner().items_size() == 0) Add(n.id(), "assigner.items", "assigner has no items");
    for (int i = 0; i < n.assigner().items_size(); ++i) {
      const auto& item = n.assigner().items(i);
      auto field = [&](absl::string_view part) {
        return absl::StrCat("assigner.items[", i, "]", part);
      };
      const Strings& target = item.variable_selector();
      int loop = target.size() == 2 ? plan_->IndexOf(target[0]) : -1;
      bool enclosing = std::find(loops.begin(), loops.end(), loop) != loops.end();
      bool declared = false;
      if (enclosing) {
        for (const auto& var : node(loop).loop().loop_variables()) declared |= var.name() == target[1];
      }
      if (!declared) {
        Add(n.id(), field(".variable_selector"),
            absl::StrCat("variable_selector ", Shown(target),
                         " must name a variable of an enclosing loop: [loop_id, variable]"));
      }
      const auto& ops = kAssignerOperations;
      if (std::find(std::begin(ops), std::end(ops), item.operation()) == std::end(ops)) {
        Add(n.id(), field(".operation"),
            absl::StrCat("unknown operation \"", item.operation(), "\" (expected one of ",
                         absl::StrJoin(ops, ", "), ")"));
      }
      bool needs_operand = item.operation() != "clear" && item.operation() != "remove-first" &&
                           item.operation() != "remove-last";
      if (needs_operand && !item.has_value() && item.value_selector_size() == 0) {
        Add(n.id(), field(".value"), absl::StrCat("operation \"", item.operation(),
                                                   "\" needs a value or value_selector"));
      }
    }
  }

  void CheckBindings(const v1::Node& n, absl::string_view field, const Bindings& bindings) {
    UniqueNames names;
    for (int i = 0; i < bindings.size(); ++i) {
      const v1::VariableBinding& b = bindings[i];
      auto where = [&](absl::string_view part) { return absl::StrCat(field, "[", i, "]", part); };
      if (!IsIdentifier(b.name())) {
        Add(n.id(), where(".name"),
            absl::StrCat("\"", b.name(), "\" is not a valid variable name"));
      } else if (!names.Insert(b.name())) {
        Add(n.id(), where(".name"), absl::StrCat("duplicate name \"", b.name(), "\""));
      }
      if (b.selector_size() < 2) {
        Add(n.id(), where(".selector"),
            "selector must name a node and a variable: [node_id, variable, ...path]");
      }
    }
  }

  void CheckRetryAndStrategy(const v1::Node& n) {
    const v1::RetryPolicy& retry = n.retry();
    bool has_retry = retry.max_retries() != 0 || retry.interval_ms() != 0;
    bool has_strategy = n.error_strategy().kind() != v1::ErrorStrategy::NONE ||
                        n.error_strategy().defaults_size() > 0;
    if ((has_retry || has_strategy) && !CanFail(n)) {
      Add(n.id(), has_retry ? "retry" : "error_strategy",
          "retries and error strategies apply to code, template, iteration and loop nodes only");
      return;
    }
    if (retry.max_retries() < 0 || retry.max_retries() > kMaxRetries) {
      Add(n.id(), "retry.max_retries", absl::StrCat("must be between 0 and ", kMaxRetries));
    }
    if (retry.interval_ms() < 0 || retry.interval_ms() > kMaxRetryIntervalMs) {
      Add(n.id(), "retry.interval_ms", absl::StrCat("must be between 0 and ", kMaxRetryIntervalMs));
    }
    const v1::ErrorStrategy& strategy = n.error_strategy();
    if (strategy.defaults_size() > 0 && strategy.kind() != v1::ErrorStrategy::DEFAULT_VALUE) {
      Add(n.id(), "error_strategy.defaults", "defaults are only used by the DEFAULT_VALUE strategy");
    }
    // Sorted, so that diagnostics come in a stable order.
    std::map<std::string, v1::Value> defaults(strategy.defaults().begin(), strategy.defaults().end());
    for (const auto& [name, value] : defaults) {
      const v1::Type* type = OutputType(n, name);
      if (type == nullptr) {
        Add(n.id(), absl::StrCat("error_strategy.defaults.", name),
            absl::StrCat("\"", name, "\" is not an output of this node"));
        continue;
      }
      absl::Status s = CheckValueType(value, *type, absl::StrCat("default for \"", name, "\""));
      if (!s.ok()) Add(n.id(), absl::StrCat("error_strategy.defaults.", name), std::string(s.message()));
    }
  }

  // ---------------------------------------------------------------- edges --

  // Calls visit(handle) for each handle edges may leave `source` by, in
  // order, until it returns true.
  template <typename Visit>
  static void VisitHandles(const v1::Node& source, Visit visit) {
    if (source.has_if_else()) {
      bool has_true = false;
      for (const auto& c : source.if_else().cases()) {
        if (visit(absl::string_view(c.case_id()))) return;
        has_true |= c.case_id() == kTrueHandle;
      }
      // "true" names the first case when no case is called so.
      if (!has_true && visit(kTrueHandle)) return;
      visit(kFalseHandle);
      return;
    }
    if (visit(kSourceHandle)) return;
    if (source.error_strategy().kind() == v1::ErrorStrategy::FAIL_BRANCH) {
      if (visit(kSuccessBranchHandle)) return;
      visit(kFailBranchHandle);
    }
  }

  // The handles edges may leave `source` by.
  static std::vector<std::string> AllowedHandles(const v1::Node& source) {
    std::vector<std::string> handles;
    VisitHandles(source, [&](absl::string_view handle) {
      handles.emplace_back(handle);
      return false;
    });
    return handles;
  }

  // The position of `handle` among AllowedHandles(source) (the first, if
  // it is there twice), or -1. Equal handles get equal positions, so
  // (source, position, target) tells edges apart as (source, handle,
  // target) does, without hashing strings.
  static int HandlePosition(const v1::Node& source, absl::string_view handle) {
    int position = 0;
    int found = -1;
    VisitHandles(source, [&](absl::string_view allowed) {
      if (allowed == handle) {
        found = position;
        return true;
      }
      ++position;
      return false;
    });
    return found;
  }

  void IndexEdges() {
    for (int s = 0; s < plan_->scope_count(); ++s) {
      // (source, handle position, target) of the edges accepted so far.
      absl::flat_hash_set<std::tuple<int, int, int>> seen;
      const auto& edges = *scope_edges_[s];
      seen.reserve(edges.size());
      plan_->scopes_[s].edges.reserve(edges.size());
      int container = scope(s).container;
      for (int i = 0; i < edges.size(); ++i) {
        const v1::Edge& edge = edges[i];
        // Built only for a diagnostic: most edges have none.
        auto field = [&] { return EdgesField(s, i); };
        int source = plan_->IndexOf(edge.source());
        int target = plan_->IndexOf(edge.target());
        bool entry = container >= 0 && source == container;
        bool source_ok = source >= 0 && (entry || plan_->scope_of_[source] == s);
        bool target_ok = target >= 0 && plan_->scope_of_[target] == s;
        if (!source_ok) {
          Add(edge.source(), field() + ".source",
              source < 0 ? absl::StrCat("edge source \"", edge.source(), "\" is not a node")
                         : absl::StrCat("edge source \"", edge.source(),
                                        "\" is not in the same graph as the edge"));
        }
        if (!target_ok) {
          Add(edge.target(), field() + ".target",
              target < 0 ? absl::StrCat("edge target \"", edge.target(), "\" is not a node")
                         : absl::StrCat("edge target \"", edge.target(),
                                        "\" is not in the same graph as the edge"));
        }
        if (!source_ok || !target_ok) continue;
        absl::string_view handle =
            edge.source_handle().empty() ? kSourceHandle : absl::string_view(edge.source_handle());
        int position = entry ? (handle == kSourceHandle ? 0 : -1)
                             : HandlePosition(node(source), handle);
        if (position < 0) {
          std::vector<std::string> allowed = entry
                                                 ? std::vector<std::string>{std::string(kSourceHandle)}
                                                 : AllowedHandles(node(source));
          Add(edge.source(), field() + ".source_handle",
              absl::StrCat("handle \"", handle, "\" does not exist on ",
                           entry ? "an entry edge" : WithArticle(KindName(node(source)) + " node"),
                           " (expected ", absl::StrJoin(allowed, ", "), ")"));
          continue;
        }
        if (!entry && node(source).has_end()) {
          Add(edge.source(), field(), "an end node cannot have outgoing edges");
          continue;
        }
        if (node(target).has_start()) {
          Add(edge.target(), field(), "a start node cannot have incoming edges");
          continue;
        }
        if (!seen.emplace(source, position, target).second) {
          Add(edge.source(), field(),
              absl::StrCat("duplicate edge ", edge.source(), " -> ", edge.target()));
          continue;
        }
        Scope& sc = plan_->scopes_[s];
        if (entry) sc.entry_edges.push_back(static_cast<int>(sc.edges.size()));
        sc.edges.push_back({source, target, handle});
      }
      if (container >= 0 && plan_->scopes_[s].entry_edges.empty() && !scope(s).members.empty()) {
        Add(node(container).id(), absl::StrCat(KindName(node(container)), ".edges"),
            absl::StrCat("the sub-graph has no entry edge (an edge whose source is \"",
                         node(container).id(), "\" itself)"));
      }
    }
    ListEdges();
  }

  // Fills the nodes' incoming and outgoing edge lists (and successors_)
  // from the scopes' edges, each list in edge order.
  void ListEdges() {
    int n = plan_->size();
    Plan::EdgeLists& in = plan_->incoming_;
    Plan::EdgeLists& out = plan_->outgoing_;
    // Counts first, at offsets[v + 1]; then offsets[v] is where v's list
    // starts, and filling moves it to where the list ends, i.e. to the
    // start of v + 1's: shifting by one restores the starts.
    in.offsets.assign(n + 1, 0);
    out.offsets.assign(n + 1, 0);
    for (const Scope& sc : plan_->scopes_) {
      for (const PlanEdge& e : sc.edges) {
        ++in.offsets[e.target + 1];
        if (e.source != sc.container) ++out.offsets[e.source + 1];
      }
    }
    for (int v = 0; v < n; ++v) {
      in.offsets[v + 1] += in.offsets[v];
      out.offsets[v + 1] += out.offsets[v];
    }
    in.edges.resize(in.offsets[n]);
    out.edges.resize(out.offsets[n]);
    successors_.resize(out.offsets[n]);
    for (const Scope& sc : plan_->scopes_) {
      for (int e = 0; e < static_cast<int>(sc.edges.size()); ++e) {
        const PlanEdge& edge = sc.edges[e];
        in.edges[in.offsets[edge.target]++] = e;
        if (edge.source != sc.container) {
          int at = out.offsets[edge.source]++;
          out.edges[at] = e;
          successors_[at] = edge.target;
        }
      }
    }
    for (Plan::EdgeLists* lists : {&in, &out}) {
      std::copy_backward(lists->offsets.begin(), lists->offsets.end() - 1, lists->offsets.end());
      lists->offsets[0] = 0;
    }
  }

  // Successors of `v` inside its scope.
  absl::Span<const int> Successors(int v) const {
    const std::vector<int>& offsets = plan_->outgoing_.offsets;
    return absl::MakeConstSpan(successors_).subspan(offsets[v], offsets[v + 1] - offsets[v]);
  }

  // Finds strongly connected components of scope `s` (iterative Tarjan)
  // and reports each cycle with its nodes in cycle order.
  void ReportCycles(int s) {
    const std::vector<int>& members = scope(s).members;
    int n = static_cast<int>(members.size());
    auto local = [&](int v) { return plan_->local_index_[v]; };
    std::vector<int> index(n, -1), low(n, 0), component(n, -1);
    std::vector<bool> on_stack(n, false);
    std::vector<int> stack;
    int next_index = 0, components = 0;
    struct Frame {
      int node;
      absl::Span<const int> succ;
      size_t next = 0;
    };
    for (int root = 0; root < n; ++root) {
      if (index[root] >= 0) continue;
      std::vector<Frame> frames{{root, Successors(members[root])}};
      index[root] = low[root] = next_index++;
      stack.push_back(root);
      on_stack[root] = true;
      while (!frames.empty()) {
        Frame& f = frames.back();
        if (f.next < f.succ.size()) {
          int w = local(f.succ[f.next++]);
          if (index[w] < 0) {
            index[w] = low[w] = next_index++;
            stack.push_back(w);
            on_stack[w] = true;
            frames.push_back({w, Successors(members[w])});
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
    std::vector<int> size(components, 0);
    for (int v = 0; v < n; ++v) ++size[component[v]];
    std::vector<bool> reported(components, false);
    for (int v = 0; v < n; ++v) {
      int c = component[v];
      absl::Span<const int> succ = Successors(members[v]);
      bool self_loop = std::find(succ.begin(), succ.end(), members[v]) != succ.end();
      if (reported[c] || (size[c] == 1 && !self_loop)) continue;
      reported[c] = true;
      std::vector<std::string> names;
      for (int u : CyclePath(members[v])) names.push_back(node(u).id());
      names.push_back(node(members[v]).id());
      Add(node(members[v]).id(), "edges", absl::StrCat("cycle: ", absl::StrJoin(names, " -> ")));
    }
  }

  // A shortest path v -> ... -> (back to v), without the final return.
  std::vector<int> CyclePath(int v) const {
    absl::flat_hash_map<int, int> parent{{v, -1}};
    std::queue<int> frontier;
    frontier.push(v);
    while (!frontier.empty()) {
      int u = frontier.front();
      frontier.pop();
      for (int w : Successors(u)) {
        if (w == v) {
          std::vector<int> path;
          for (int x = u; x != -1; x = parent[x]) path.push_back(x);
          std::reverse(path.begin(), path.end());
          return path;
        }
        if (parent.emplace(w, u).second) frontier.push(w);
      }
    }
    return {v};
  }

  void CheckReachability(int s) {
    std::vector<int> roots;
    if (s == 0) {
      if (plan_->start_node_ < 0) return;
      roots.push_back(plan_->start_node_);
    } else {
      for (int e : scope(s).entry_edges) roots.push_back(scope(s).edges[e].target);
    }
    std::vector<bool> reached(scope(s).members.size(), false);
    for (int v : roots) reached[plan_->local_index_[v]] = true;
    std::vector<int> todo = roots;
    while (!todo.empty()) {
      int u = todo.back();
      todo.pop_back();
      for (int w : Successors(u)) {
        if (!reached[plan_->local_index_[w]]) {
          reached[plan_->local_index_[w]] = true;
          todo.push_back(w);
        }
      }
    }
    if (s > 0 && roots.empty()) return;  // already reported: no entry edge
    for (int v : scope(s).members) {
      if (reached[plan_->local_index_[v]]) continue;
      Add(node(v).id(), "",
          s == 0 ? "node is not reachable from the start node"
                 : absl::StrCat("node is not reachable from the entry of ",
                                KindName(node(scope(s).container)), " ",
                                node(scope(s).container).id()));
    }
  }

  // Kahn's algorithm; the smallest declaration index goes first among ready
  // nodes so the order is deterministic. False when some nodes are left
  // out: those on or after a cycle.
  bool ComputeOrder(int s) {
    Scope& sc = plan_->scopes_[s];
    int n = static_cast<int>(sc.members.size());
    sc.order.reserve(n);
    // By local index (declaration order within the scope): incoming edges
    // from nodes not yet ordered (entry edges come from outside the scope).
    std::vector<int> pending(n, 0);
    for (int local = 0; local < n; ++local) {
      pending[local] = static_cast<int>(plan_->incoming(sc.members[local]).size());
    }
    for (int e : sc.entry_edges) --pending[plan_->local_index_[sc.edges[e].target]];
    SmallestFirst ready(n);
    for (int local = 0; local < n; ++local) {
      if (pending[local] == 0) ready.Add(local);
    }
    while (!ready.empty()) {
      int v = sc.members[ready.Take()];
      order_position_[v] = static_cast<int>(sc.order.size());
      sc.order.push_back(v);
      for (int w : Successors(v)) {
        int local = plan_->local_index_[w];
        if (--pending[local] == 0) ready.Add(local);
      }
    }
    return sc.order.size() == sc.members.size();
  }

  // ------------------------------------------------------------ selectors --

  // Whether `source` is upstream of `v`: before it in its own graph, or
  // before one of the containers around it.
  enum class Visibility { kUpstream, kContainer, kHidden };

  Visibility Visible(int source, int v) {
    for (int current = v; current >= 0;) {
      int s = plan_->scope_of_[current];
      if (plan_->scope_of_[source] == s && IsAncestor(source, current)) {
        return Visibility::kUpstream;
      }
      int container = scope(s).container;
      if (container == source) return Visibility::kContainer;
      current = container;
    }
    return Visibility::kHidden;
  }

  // Whether `source` reaches `v` in their scope (both are members of it).
  bool IsAncestor(int source, int v) {
    int s = plan_->scope_of_[v];
    std::unique_ptr<Reachability>& reach = reachability_[s];
    if (reach == nullptr) {
      // Number the scope's nodes by their position in its order.
      const Scope& sc = scope(s);
      std::vector<int> offsets;
      offsets.reserve(sc.order.size() + 1);
      offsets.push_back(0);
      std::vector<int> predecessors;
      predecessors.reserve(sc.edges.size());
      for (int v : sc.order) {
        for (int e : plan_->incoming(v)) {
          int w = sc.edges[e].source;
          if (w != sc.container) predecessors.push_back(order_position_[w]);
        }
        offsets.push_back(static_cast<int>(predecessors.size()));
      }
      reach = std::make_unique<Reachability>(std::move(offsets), std::move(predecessors));
    }
    return reach->Reaches(order_position_[source], order_position_[v]);
  }

  // The declared type of a node's output, or null when it has no such
  // output. ANY where the type is not statically known.
  const v1::Type* OutputType(const v1::Node& n, const std::string& name) const {
    bool error_outputs = n.error_strategy().kind() != v1::ErrorStrategy::NONE;
    if (error_outputs && (name == kErrorMessageOutput || name == kErrorTypeOutput)) {
      return &TypeOf(v1::Type::STRING);
    }
    switch (n.kind_case()) {
      case v1::Node::kStart:
        for (const auto& var : n.start().variables()) {
          if (var.name() == name) return &var.type();
        }
        return nullptr;
      case v1::Node::kCode:
        if (auto it = n.code().outputs().find(name); it != n.code().outputs().end()) {
          return &it->second;
        }
        return nullptr;
      case v1::Node::kTemplate:
        if (name == "output") return &TypeOf(v1::Type::STRING);
        return nullptr;
      case v1::Node::kVariableAggregator:
        if (n.variable_aggregator().groups_size() == 0) {
          if (name != "output") return nullptr;
          return n.variable_aggregator().has_output_type() ? &n.variable_aggregator().output_type()
                                                            : &TypeOf(v1::Type::ANY);
        }
        for (const auto& group : n.variable_aggregator().groups()) {
          if (group.group_name() == name) return &TypeOf(v1::Type::OBJECT);
        }
        return nullptr;
      case v1::Node::kIteration:
        if (name != "output") return nullptr;
        return n.iteration().has_output_type() ? &n.iteration().output_type()
                                               : &TypeOf(v1::Type::ARRAY_ANY);
      case v1::Node::kLoop:
        for (const auto& var : n.loop().loop_variables()) {
          if (var.name() == name) return &var.type();
        }
        return nullptr;
      case v1::Node::kAnswer:
        if (name == "answer") return &TypeOf(v1::Type::STRING);
        return nullptr;
      default:
        return nullptr;
    }
  }

  // What a container offers to the nodes inside it.
  const v1::Type* InnerType(const v1::Node& container, const std::string& name) const {
    if (container.has_iteration()) {
      if (name == "index") return &TypeOf(v1::Type::NUMBER);
      if (name == "item") return &TypeOf(v1::Type::ANY);
      return nullptr;
    }
    return OutputType(container, name);  // loop variables
  }

  // Checks one selector read by node `v`. Returns its static type when the
  // selector is valid (ANY where unknown).
  const v1::Type* CheckSelector(int v, Field field, const Strings& sel) {
    const v1::Node& n = node(v);
    if (sel.size() < 2) return nullptr;  // shape reported with the node
    if (sel[0] == kSystemRoot) {
      const auto& names = kSystemVariables;
      if (std::find(std::begin(names), std::end(names), sel[1]) == std::end(names)) {
        Add(n.id(), field(), absl::StrCat("selector ", Shown(sel), ": \"", sel[1],
                                        "\" is not a system variable (expected one of ",
                                        absl::StrJoin(names, ", "), ")"));
        return nullptr;
      }
      return &TypeOf(sel[1] == "files" ? v1::Type::ARRAY_ANY : v1::Type::ANY);
    }
    if (sel[0] == kEnvironmentRoot) {
      const v1::EnvironmentVariable* env = plan_->environment(sel[1]);
      if (env == nullptr) {
        Add(n.id(), field(), absl::StrCat("selector ", Shown(sel), ": environment variable \"", sel[1],
                                        "\" is not defined"));
        return nullptr;
      }
      return sel.size() == 2 ? TypeOfValue(env->value()) : &TypeOf(v1::Type::ANY);
    }
    int source = plan_->IndexOf(sel[0]);
    if (source < 0) {
      Add(n.id(), field(), absl::StrCat("selector ", Shown(sel), " names node \"", sel[0],
                                      "\", which does not exist"));
      return nullptr;
    }
    Visibility visibility = Visible(source, v);
    if (visibility == Visibility::kHidden) {
      Add(n.id(), field(), absl::StrCat("selector ", Shown(sel), " names node \"", sel[0],
                                      "\", which is not upstream of this node"));
      return nullptr;
    }
    const v1::Node& src = node(source);
    const v1::Type* type = visibility == Visibility::kContainer ? InnerType(src, sel[1])
                                                                : OutputType(src, sel[1]);
    if (type == nullptr) {
      Add(n.id(), field(), absl::StrCat("selector ", Shown(sel), ": node \"", sel[0],
                                      "\" has no output \"", sel[1], "\""));
      return nullptr;
    }
    bool grouped = src.has_variable_aggregator() && src.variable_aggregator().groups_size() > 0 &&
                   visibility == Visibility::kUpstream;
    if (grouped) {
      if (sel.size() < 3 || sel[2] != "output") {
        Add(n.id(), field(), absl::StrCat("selector ", Shown(sel), ": a grouped aggregator's outputs are [",
                                        sel[0], ", ", sel[1], ", output]"));
        return nullptr;
      }
      for (const auto& group : src.variable_aggregator().groups()) {
        if (group.group_name() == sel[1]) {
          type = group.has_output_type() ? &group.output_type() : &TypeOf(v1::Type::ANY);
        }
      }
      return sel.size() == 3 ? type : &TypeOf(v1::Type::ANY);
    }
    return sel.size() == 2 ? type : &TypeOf(v1::Type::ANY);
  }

  void CheckSelectors() {
    for (int v = 0; v < plan_->size(); ++v) {
      const v1::Node& n = node(v);
      auto bindings = [&](absl::string_view field, const Bindings& list) {
        for (int i = 0; i < list.size(); ++i) {
          CheckSelector(v, [&] { return absl::StrCat(field, "[", i, "].selector"); },
                        list[i].selector());
        }
      };
      switch (n.kind_case()) {
        case v1::Node::kCode: bindings("code.inputs", n.code().inputs()); break;
        case v1::Node::kTemplate: bindings("template.variables", n.template_().variables()); break;
        case v1::Node::kEnd: bindings("end.outputs", n.end().outputs()); break;
        case v1::Node::kIfElse:
          for (int c = 0; c < n.if_else().cases_size(); ++c) {
            CheckConditionSelectors(
                v, [&] { return absl::StrCat("if_else.cases[", c, "].conditions"); },
                n.if_else().cases(c).conditions());
          }
          break;
        case v1::Node::kVariableAggregator: CheckAggregatorSelectors(v); break;
        case v1::Node::kIteration: CheckIterationSelectors(v); break;
        case v1::Node::kLoop: CheckLoopSelectors(v); break;
        case v1::Node::kAssigner:
          for (int i = 0; i < n.assigner().items_size(); ++i) {
            const auto& item = n.assigner().items(i);
            if (item.value_selector_size() >= 2) {
              CheckSelector(v, [&] { return absl::StrCat("assigner.items[", i, "].value_selector"); },
                            item.value_selector());
            }
          }
          break;
        case v1::Node::kAnswer:
          for (const TextReference& ref : FindTextReferences(n.answer().answer())) {
            Strings sel(ref.selector.begin(), ref.selector.end());
            CheckSelector(v, Literal("answer.answer"), sel);
          }
          break;
        default:
          break;
      }
    }
  }

  void CheckConditionSelectors(int v, Field field,
                               const google::protobuf::RepeatedPtrField<v1::Condition>& conditions,
                               int inner_scope = -1) {
    for (int k = 0; k < conditions.size(); ++k) {
      const v1::Condition& cond = conditions[k];
      auto where = [&](absl::string_view part) { return absl::StrCat(field(), "[", k, "]", part); };
      auto selector_field = [&] { return where(".selector"); };
      auto value_field = [&] { return where(".value_selector"); };
      const v1::Type* type =
          inner_scope >= 0 ? CheckInnerSelector(v, inner_scope, selector_field, cond.selector())
                           : CheckSelector(v, selector_field, cond.selector());
      if (cond.value_selector_size() >= 2) {
        if (inner_scope >= 0) {
          CheckInnerSelector(v, inner_scope, value_field, cond.value_selector());
        } else {
          CheckSelector(v, value_field, cond.value_selector());
        }
      }
      std::optional<ConditionOperator> op = ParseConditionOperator(cond.comparison_operator());
      if (type == nullptr || !op) continue;
      v1::Type::Kind kind = type->kind();
      bool numeric_kind = kind == v1::Type::NUMBER;
      bool text_or_array = kind == v1::Type::STRING || IsArrayKind(kind);
      if (IsNumeric(*op) && kind != v1::Type::ANY && !numeric_kind && kind != v1::Type::BOOLEAN) {
        Add(node(v).id(), where(".comparison_operator"),
            absl::StrCat("operator \"", cond.comparison_operator(), "\" compares numbers, but ",
                         Shown(cond.selector()), " is ", TypeName(*type)));
      }
      bool textual = *op == ConditionOperator::kContains || *op == ConditionOperator::kNotContains ||
                     *op == ConditionOperator::kStartWith || *op == ConditionOperator::kEndWith;
      if (textual && kind != v1::Type::ANY && !text_or_array) {
        Add(node(v).id(), where(".comparison_operator"),
            absl::StrCat("operator \"", cond.comparison_operator(),
                         "\" needs a string or an array, but ", Shown(cond.selector()), " is ",
                         TypeName(*type)));
      }
    }
  }

  // A selector evaluated by a container after one of its rounds: it may
  // name the container's inner variables, nodes upstream of it, or nodes of
  // its own sub-graph.
  const v1::Type* CheckInnerSelector(int container, int inner_scope, Field field,
                                     const Strings& sel) {
    int source = sel.size() >= 2 ? plan_->IndexOf(sel[0]) : -1;
    if (source >= 0 && plan_->scope_of_[source] == inner_scope) {
      const v1::Type* type = OutputType(node(source), sel[1]);
      if (type == nullptr) {
        Add(node(container).id(), field(), absl::StrCat("selector ", Shown(sel), ": node \"", sel[0],
                                                      "\" has no output \"", sel[1], "\""));
        return nullptr;
      }
      return sel.size() == 2 ? type : &TypeOf(v1::Type::ANY);
    }
    if (source == container) {
      const v1::Type* type = InnerType(node(container), sel[1]);
      if (type == nullptr) {
        Add(node(container).id(), field(),
            absl::StrCat("selector ", Shown(sel), ": ", KindName(node(container)), " \"", sel[0],
                         "\" has no variable \"", sel[1], "\""));
      }
      return type;
    }
    return CheckSelector(container, field, sel);
  }

  void CheckAggregatorSelectors(int v) {
    const v1::VariableAggregatorNode& agg = node(v).variable_aggregator();
    auto check = [&](Field field, const google::protobuf::RepeatedPtrField<v1::Selector>& list,
                     const v1::Type* expected) {
      for (int i = 0; i < list.size(); ++i) {
        auto where = [&] { return absl::StrCat(field(), "[", i, "].selector"); };
        const v1::Type* type = CheckSelector(v, where, list[i].selector());
        if (type == nullptr || expected == nullptr || expected->kind() == v1::Type::KIND_UNSPECIFIED ||
            expected->kind() == v1::Type::ANY || type->kind() == v1::Type::ANY) {
          continue;
        }
        if (type->kind() != expected->kind()) {
          Add(node(v).id(), where(),
              absl::StrCat("selector ", Shown(list[i].selector()), " is ", TypeName(*type),
                           " but the aggregator's output_type is ", TypeName(*expected)));
        }
      }
    };
    check(Literal("variable_aggregator.variables"), agg.variables(),
          agg.has_output_type() ? &agg.output_type() : nullptr);
    for (int g = 0; g < agg.groups_size(); ++g) {
      const auto& group = agg.groups(g);
      check([&] { return absl::StrCat("variable_aggregator.groups[", g, "].variables"); },
            group.variables(),
            group.has_output_type() ? &group.output_type() : nullptr);
    }
  }

  void CheckIterationSelectors(int v) {
    const v1::IterationNode& it = node(v).iteration();
    const v1::Type* type =
        CheckSelector(v, Literal("iteration.iterator_selector"), it.iterator_selector());
    if (type != nullptr && type->kind() != v1::Type::ANY && !IsArrayKind(type->kind())) {
      Add(node(v).id(), "iteration.iterator_selector",
          absl::StrCat("iterator_selector ", Shown(it.iterator_selector()), " is ",
                       TypeName(*type), "; an iteration needs an array"));
    }
    int inner = plan_->child_scope_[v];
    int source = plan_->IndexOf(it.output_selector(0));
    if (source < 0 || plan_->scope_of_[source] != inner) {
      Add(node(v).id(), "iteration.output_selector",
          absl::StrCat("output_selector ", Shown(it.output_selector()),
                       " must name a node inside the iteration"));
      return;
    }
    CheckInnerSelector(v, inner, Literal("iteration.output_selector"), it.output_selector());
  }

  void CheckLoopSelectors(int v) {
    const v1::LoopNode& loop = node(v).loop();
    for (int i = 0; i < loop.loop_variables_size(); ++i) {
      const auto& var = loop.loop_variables(i);
      if (var.value_selector_size() >= 2) {
        CheckSelector(v, [&] { return absl::StrCat("loop.loop_variables[", i, "].value_selector"); },
                      var.value_selector());
      }
    }
    CheckConditionSelectors(v, Literal("loop.break_conditions"), loop.break_conditions(),
                            plan_->child_scope_[v]);
  }

  std::shared_ptr<Plan> plan_;
  std::vector<const google::protobuf::RepeatedPtrField<v1::Edge>*> scope_edges_;
  // Per node: its position in its scope's order.
  std::vector<int> order_position_;
  // The targets of the nodes' outgoing edges, listed as plan_->outgoing_.
  std::vector<int> successors_;
  // Per scope, built on the first selector check inside it.
  std::vector<std::unique_ptr<Reachability>> reachability_;
  std::vector<Diagnostic> diagnostics_;
};

CompileResult Plan::Compile(v1::Workflow workflow) {
  return PlanBuilder(std::move(workflow)).Build();
}

int Plan::IndexOf(absl::string_view node_id) const {
  auto it = index_.find(node_id);
  return it == index_.end() ? -1 : it->second;
}

const v1::EnvironmentVariable* Plan::environment(absl::string_view name) const {
  for (const v1::EnvironmentVariable& env : workflow_.environment()) {
    if (env.name() == name) return &env;
  }
  return nullptr;
}

}  // namespace flowgrid::graph
