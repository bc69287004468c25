#include "client/dify/dify_import.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/dify/dify_types.h"
#include "client/dify/node_mapping.h"
#include "client/dify/yaml_value.h"
#include "common/value_types.h"

namespace flowgrid::dify {
namespace {

using Nodes = google::protobuf::RepeatedPtrField<v1::Node>;
using Edges = google::protobuf::RepeatedPtrField<v1::Edge>;

// The containers' start markers: Dify draws one inside each iteration and
// loop, and their outgoing edges lead to the sub-graph's first nodes.
constexpr char kIterationStart[] = "iteration-start";
constexpr char kLoopStart[] = "loop-start";
constexpr char kNote[] = "custom-note";

bool IsContainerType(const std::string& type) { return type == "iteration" || type == "loop"; }

// Where the graph and its surroundings are in the document.
struct Document {
  YAML::Node graph;
  YAML::Node workflow;  // environment_variables live here (may be undefined)
  std::string name;
};

absl::StatusOr<Document> FindGraph(const YAML::Node& root, const std::string& fallback_name) {
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        "not a Dify DSL document: expected a YAML mapping (kind: app, app, workflow)");
  }
  const std::string kind = TextField(root, "kind");
  if (!kind.empty() && kind != "app") {
    return absl::InvalidArgumentError(
        absl::StrCat("kind is \"", kind, "\"; flowgrid imports Dify app exports (kind: app)"));
  }
  YAML::Node app = Field(root, "app");
  Document document;
  document.name = TextField(app, "name", fallback_name);
  YAML::Node workflow = Field(root, "workflow");
  if (Present(workflow)) {
    document.workflow = workflow;
    document.graph = Field(workflow, "graph");
    if (!Present(document.graph)) {
      return absl::InvalidArgumentError("workflow has no graph (workflow.graph.nodes and edges)");
    }
  } else if (Present(Field(root, "graph"))) {
    document.workflow = root;
    document.graph = Field(root, "graph");
  } else if (Present(Field(root, "nodes"))) {
    document.graph = root;
  } else {
    const std::string mode = TextField(app, "mode");
    if (!mode.empty() && mode != "workflow" && mode != "advanced-chat") {
      return absl::InvalidArgumentError(absl::StrCat(
          "app \"", document.name, "\" is a ", mode,
          " app, which has no workflow graph; flowgrid imports workflow and advanced-chat "
          "(chatflow) apps"));
    }
    return absl::InvalidArgumentError(
        "no workflow graph: expected workflow.graph (a Dify app export), graph, or nodes and "
        "edges at the top level");
  }
  YAML::Node nodes = Field(document.graph, "nodes");
  if (!Present(nodes) || !nodes.IsSequence()) {
    return absl::InvalidArgumentError("the graph has no node list (graph.nodes)");
  }
  YAML::Node edges = Field(document.graph, "edges");
  if (Present(edges) && !edges.IsSequence()) {
    return absl::InvalidArgumentError("graph.edges is not a list");
  }
  return document;
}

// Assembles the workflow from the graph's nodes and edges, collecting
// every problem.
class GraphImporter {
 public:
  GraphImporter(const Document& document, ImportReport& report)
      : document_(document), report_(report) {}

  v1::Workflow Import() {
    v1::Workflow workflow;
    workflow.set_name(document_.name);
    ReadEnvironment(workflow);
    ReadNodes();
    MapNodes();
    ReadEdges();
    AddMissingEntryEdges();
    Fill("", *workflow.mutable_nodes(), *workflow.mutable_edges());
    return workflow;
  }

 private:
  struct Member {
    DifyNode node;
    std::string parent;  // container id; "" at the top level
  };

  void Problem(std::string message) { report_.problems.push_back(std::move(message)); }

  void ReadEnvironment(v1::Workflow& workflow) {
    YAML::Node variables = Field(document_.workflow, "environment_variables");
    if (!Present(variables) || !variables.IsSequence()) return;
    for (size_t i = 0; i < variables.size(); ++i) {
      const YAML::Node& yaml = variables[i];
      v1::EnvironmentVariable& variable = *workflow.add_environment();
      variable.set_name(TextField(yaml, "name"));
      const std::string type = TextField(yaml, "value_type", "string");
      variable.set_secret(type == "secret");
      const std::string where =
          absl::StrCat("environment_variables[", i, "] (", variable.name(), ")");
      absl::StatusOr<v1::Value> value = ToValue(Field(yaml, "value"));
      if (value.ok() && type == "number") value = ConstantOfType(*value, MakeType(v1::Type::NUMBER));
      if (!value.ok()) {
        Problem(absl::StrCat(where, ": ", value.status().message()));
        continue;
      }
      if (variable.secret() && value->string_value().empty()) {
        report_.warnings.push_back(absl::StrCat(
            where, ": a secret exported without its value; set it in the workflow JSON "
                   "(flowgridctl import dify FILE --out FILE.json)"));
      }
      *variable.mutable_value() = *std::move(value);
    }
  }

  void ReadNodes() {
    YAML::Node nodes = Field(document_.graph, "nodes");
    for (size_t i = 0; i < nodes.size(); ++i) {
      const YAML::Node& yaml = nodes[i];
      std::optional<std::string> id = Text(Field(yaml, "id"));
      YAML::Node data = Field(yaml, "data");
      std::string type = TextField(data, "type");
      if (TextField(yaml, "type") == kNote || type == kNote) continue;
      if (!id.has_value() || id->empty()) {
        Problem(absl::StrCat("graph.nodes[", i, "] (\"", TextField(data, "title"),
                             "\"): node has no id"));
        continue;
      }
      Member member{DifyNode{*id, TextField(data, "title", *id), type, data}, Parent(yaml, data)};
      if (!index_.emplace(*id, members_.size()).second) {
        Problem(absl::StrCat(member.node.Describe(), ": duplicate node id"));
        continue;
      }
      members_.push_back(std::move(member));
    }
  }

  // The container a node is drawn in: parentId, else the iteration or loop
  // id Dify also keeps in the node's data.
  static std::string Parent(const YAML::Node& yaml, const YAML::Node& data) {
    std::string parent = TextField(yaml, "parentId");
    if (parent.empty() && Bool(Field(data, "isInIteration")).value_or(true)) {
      parent = TextField(data, "iteration_id");
    }
    if (parent.empty() && Bool(Field(data, "isInLoop")).value_or(true)) {
      parent = TextField(data, "loop_id");
    }
    return parent;
  }

  const Member* Find(const std::string& id) const {
    auto it = index_.find(id);
    return it == index_.end() ? nullptr : &members_[it->second];
  }

  static bool IsMarker(const Member& member) {
    return member.node.type == kIterationStart || member.node.type == kLoopStart;
  }

  // Maps every node and checks that each one's container exists and
  // leads up to the top level.
  void MapNodes() {
    for (const Member& member : members_) {
      const DifyNode& node = member.node;
      if (node.type.empty()) {
        Problem(absl::StrCat(node.Describe(), ": node has no data.type"));
      } else if (IsMarker(member)) {
        if (member.parent.empty()) {
          Problem(absl::StrCat(node.Describe(), ": a container's start marker must be inside "
                               "an iteration or loop"));
        }
      } else if (IsRunnableType(node.type)) {
        mapped_.emplace(node.id, MapNode(node, report_));
      } else {
        Problem(absl::StrCat(node.Describe(), ": flowgrid does not run ", node.type, " nodes"));
      }
      if (member.parent.empty()) continue;
      const Member* parent = Find(member.parent);
      if (parent == nullptr || !IsContainerType(parent->node.type)) {
        Problem(absl::StrCat(node.Describe(), ": its container \"", member.parent,
                             "\" is not an iteration or loop node of the graph"));
        continue;
      }
      // Containers nest only as deep as there are nodes; a longer chain of
      // parents is a cycle.
      const Member* up = parent;
      size_t steps = 0;
      while (up != nullptr && !up->parent.empty() && steps <= members_.size()) {
        up = Find(up->parent);
        ++steps;
      }
      if (steps > members_.size()) {
        Problem(absl::StrCat(node.Describe(), ": its containers enclose each other in a cycle"));
      }
    }
  }

  void ReadEdges() {
    YAML::Node edges = Field(document_.graph, "edges");
    if (!Present(edges)) return;
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    for (size_t j = 0; j < edges.size(); ++j) {
      const YAML::Node& yaml = edges[j];
      const std::string source_id = TextField(yaml, "source");
      const std::string target_id = TextField(yaml, "target");
      const std::string where = absl::StrCat("graph.edges[", j, "] (", source_id, " -> ",
                                             target_id, ")");
      const Member* source = Find(source_id);
      const Member* target = Find(target_id);
      if (source == nullptr || target == nullptr) {
        const std::string& missing = source == nullptr ? source_id : target_id;
        Problem(absl::StrCat(where, ": ", source == nullptr ? "source" : "target", " \"", missing,
                             "\" is not a node of the graph"));
        continue;
      }
      if (IsMarker(*target)) {
        Problem(absl::StrCat(where, ": leads into a ", target->node.type, " node"));
        continue;
      }
      v1::Edge edge;
      edge.set_target(target_id);
      std::string scope = source->parent;
      if (IsMarker(*source)) {
        // The marker's edges start the container's sub-graph.
        edge.set_source(source->parent);
        edge.set_source_handle("source");
      } else {
        edge.set_source(source_id);
        edge.set_source_handle(TextField(yaml, "sourceHandle", "source"));
      }
      if (scope != target->parent) {
        Problem(absl::StrCat(where, ": connects nodes of different containers (\"",
                             scope.empty() ? "top level" : scope, "\" and \"",
                             target->parent.empty() ? "top level" : target->parent, "\")"));
        continue;
      }
      if (!seen.emplace(edge.source(), edge.source_handle(), edge.target()).second) continue;
      edges_by_scope_[scope].push_back(std::move(edge));
    }
  }

  // Exports made before the start markers existed name a container's
  // first node in its start_node_id only.
  void AddMissingEntryEdges() {
    for (const Member& member : members_) {
      if (!IsContainerType(member.node.type)) continue;
      const std::string& id = member.node.id;
      std::vector<v1::Edge>& edges = edges_by_scope_[id];
      bool has_entry = std::any_of(edges.begin(), edges.end(),
                                   [&](const v1::Edge& edge) { return edge.source() == id; });
      const std::string first = TextField(member.node.data, "start_node_id");
      const Member* start = Find(first);
      if (has_entry || start == nullptr || IsMarker(*start) || start->parent != id) continue;
      v1::Edge edge;
      edge.set_source(id);
      edge.set_source_handle("source");
      edge.set_target(first);
      edges.insert(edges.begin(), std::move(edge));
    }
  }

  void Fill(const std::string& scope, Nodes& nodes, Edges& edges) {
    for (const Member& member : members_) {
      if (member.parent != scope) continue;
      auto it = mapped_.find(member.node.id);
      if (it == mapped_.end()) continue;
      v1::Node node = std::move(it->second);
      mapped_.erase(it);
      if (node.has_iteration()) {
        Fill(node.id(), *node.mutable_iteration()->mutable_nodes(),
             *node.mutable_iteration()->mutable_edges());
      } else if (node.has_loop()) {
        Fill(node.id(), *node.mutable_loop()->mutable_nodes(),
             *node.mutable_loop()->mutable_edges());
      }
      *nodes.Add() = std::move(node);
    }
    for (v1::Edge& edge : edges_by_scope_[scope]) *edges.Add() = std::move(edge);
  }

  const Document& document_;
  ImportReport& report_;
  std::vector<Member> members_;
  absl::flat_hash_map<std::string, size_t> index_;
  std::map<std::string, v1::Node> mapped_;
  std::map<std::string, std::vector<v1::Edge>> edges_by_scope_;
};

}  // namespace

absl::StatusOr<ImportedWorkflow> ImportDifyYaml(absl::string_view yaml,
                                                const std::string& fallback_name) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(absl::StrCat("not valid YAML: line ", error.mark.line + 1,
                                                   ", column ", error.mark.column + 1, ": ",
                                                   error.msg));
  }
  absl::StatusOr<Document> document = FindGraph(root, fallback_name);
  if (!document.ok()) return document.status();
  ImportReport report;
  ImportedWorkflow imported;
  imported.workflow = GraphImporter(*document, report).Import();
  const std::string version = TextField(root, "version");
  if (!version.empty() && !absl::StartsWith(version, "0.")) {
    report.warnings.push_back(absl::StrCat("DSL version ", version,
                                           " is newer than the 0.x versions flowgrid knows; "
                                           "imported as those are read"));
  }
  if (!report.problems.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        report.problems.size(), report.problems.size() == 1 ? " problem" : " problems",
        " importing the Dify app \"", document->name, "\":\n  ",
        absl::StrJoin(report.problems, "\n  ")));
  }
  imported.warnings = std::move(report.warnings);
  return imported;
}

}  // namespace flowgrid::dify
