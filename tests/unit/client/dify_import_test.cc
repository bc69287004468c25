// The Dify DSL import over realistic exports written for these tests
// (tests/unit/data/dify) and small inline documents for each error. Every
// imported workflow must also pass the scheduler's own workflow check
// (graph::Plan::Compile), as it will when submitted.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/dify/dify_import.h"
#include "client/dify/dify_types.h"
#include "client/dify/workflow_loader.h"
#include "client/dify/yaml_value.h"
#include "common/value_json.h"
#include "common/workflow_file.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "scheduler/graph/plan.h"

namespace flowgrid::dify {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

const std::string kData = std::string(FLOWGRID_SOURCE_DIR) + "/tests/unit/data/dify/";
const std::string kExamples = std::string(FLOWGRID_SOURCE_DIR) + "/examples/workflows/";

ImportedWorkflow ImportOrDie(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  absl::StatusOr<ImportedWorkflow> imported = ImportDifyYaml(text.value_or(""), "fallback");
  EXPECT_TRUE(imported.ok()) << imported.status();
  return imported.value_or(ImportedWorkflow{});
}

// The scheduler's diagnostics of the workflow, one string each.
std::vector<std::string> Diagnose(const v1::Workflow& workflow) {
  graph::CompileResult result = graph::Plan::Compile(workflow);
  std::vector<std::string> lines;
  for (const graph::Diagnostic& d : result.diagnostics) lines.push_back(FormatDiagnostic(d));
  return lines;
}

std::string ImportError(const std::string& yaml) {
  absl::StatusOr<ImportedWorkflow> imported = ImportDifyYaml(yaml, "inline");
  EXPECT_FALSE(imported.ok()) << "imported:\n" << yaml;
  EXPECT_EQ(imported.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(imported.status().message());
}

const v1::Node& NodeById(const google::protobuf::RepeatedPtrField<v1::Node>& nodes,
                         const std::string& id) {
  for (const v1::Node& node : nodes) {
    if (node.id() == id) return node;
  }
  ADD_FAILURE() << "no node " << id;
  return v1::Node::default_instance();
}

std::string Json(const v1::Value& value) { return ValueToJson(value).value_or("<no JSON>"); }

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& items) {
  return {items.begin(), items.end()};
}

// "source -handle-> target" for each edge.
std::vector<std::string> EdgeList(const google::protobuf::RepeatedPtrField<v1::Edge>& edges) {
  std::vector<std::string> out;
  for (const v1::Edge& e : edges) {
    out.push_back(absl::StrCat(e.source(), " -", e.source_handle(), "-> ", e.target()));
  }
  return out;
}

// ------------------------------------------------------- realistic files --

TEST(DifyImportTest, ChatflowWithEveryTopLevelKindImportsAndValidates) {
  ImportedWorkflow imported = ImportOrDie(kData + "chatflow_all_kinds.yml");
  const v1::Workflow& w = imported.workflow;
  EXPECT_EQ(w.name(), "Order assistant");
  EXPECT_THAT(Diagnose(w), IsEmpty());
  ASSERT_THAT(w.nodes(), SizeIs(9));
  // Ids written as bare numbers are strings like the quoted ones.
  EXPECT_EQ(w.nodes(1).id(), "1720000000002");
  EXPECT_THAT(EdgeList(w.edges()),
              ElementsAre("1720000000001 -source-> 1720000000002",
                          "1720000000002 -source-> 1720000000003",
                          "1720000000003 -source-> 1720000000004",
                          "1720000000003 -fail-branch-> 1720000000005",
                          "1720000000004 -big-> 1720000000006",
                          "1720000000004 -9f2c51d0-4b1a-4f3e-8a7d-2c6b5e4f3a21-> 1720000000007",
                          "1720000000004 -false-> 1720000000007",
                          "1720000000006 -source-> 1720000000008",
                          "1720000000007 -source-> 1720000000008",
                          "1720000000005 -source-> 1720000000008",
                          "1720000000008 -source-> answer"));
}

TEST(DifyImportTest, EnvironmentVariablesKeepTheirTypesAndSecrecy) {
  ImportedWorkflow imported = ImportOrDie(kData + "chatflow_all_kinds.yml");
  const auto& env = imported.workflow.environment();
  ASSERT_THAT(env, SizeIs(3));
  EXPECT_EQ(env[0].name(), "SHOP_NAME");
  EXPECT_EQ(env[0].value().string_value(), "Corner Shop");
  EXPECT_EQ(env[1].value().int_value(), 20);
  EXPECT_TRUE(env[2].secret());
  EXPECT_FALSE(env[0].secret());
  EXPECT_THAT(absl::StrJoin(imported.warnings, "\n"),
              HasSubstr("environment_variables[2] (API_TOKEN): a secret exported without its "
                        "value"));
}

TEST(DifyImportTest, StartVariablesMapEveryDifyInputType) {
  ImportedWorkflow imported = ImportOrDie(kData + "chatflow_all_kinds.yml");
  const auto& vars = imported.workflow.nodes(0).start().variables();
  ASSERT_THAT(vars, SizeIs(8));
  EXPECT_EQ(vars[0].name(), "order");
  EXPECT_EQ(vars[0].label(), "Order lines");
  EXPECT_EQ(vars[0].form(), v1::InputVariable::PARAGRAPH);
  EXPECT_EQ(vars[0].max_length(), 4000);
  EXPECT_TRUE(vars[0].required());
  EXPECT_EQ(vars[1].form(), v1::InputVariable::TEXT_INPUT);
  EXPECT_FALSE(vars[1].has_default_value()) << "default: '' means no default";
  EXPECT_EQ(vars[2].type().kind(), v1::Type::NUMBER);
  EXPECT_EQ(Json(vars[2].default_value()), "3") << "a quoted number default is a number";
  EXPECT_EQ(vars[3].type().kind(), v1::Type::BOOLEAN);
  EXPECT_EQ(Json(vars[3].default_value()), "true");
  EXPECT_EQ(vars[4].form(), v1::InputVariable::SELECT);
  EXPECT_THAT(Strings(vars[4].options()), ElementsAre("standard", "express"));
  EXPECT_EQ(vars[5].form(), v1::InputVariable::JSON_INPUT);
  EXPECT_EQ(Json(vars[5].default_value()), R"({"note":"none"})");
  EXPECT_EQ(vars[6].type().kind(), v1::Type::OBJECT);
  EXPECT_EQ(vars[7].type().kind(), v1::Type::ARRAY_OBJECT);
  const std::string warnings = absl::StrJoin(imported.warnings, "\n");
  EXPECT_THAT(warnings, HasSubstr("variables[6] (receipt): a file input"));
  EXPECT_THAT(warnings, HasSubstr("variables[7] (attachments): a file input"));
}

TEST(DifyImportTest, CodeNodesKeepLanguageInputsTypedOutputsRetriesAndStrategies) {
  ImportedWorkflow imported = ImportOrDie(kData + "chatflow_all_kinds.yml");
  const v1::Node& parse = NodeById(imported.workflow.nodes(), "1720000000002");
  EXPECT_EQ(parse.title(), "Parse order");
  EXPECT_EQ(parse.code().language(), v1::CodeNode::PYTHON3);
  EXPECT_THAT(parse.code().code(), HasSubstr("def main(order: str, discount: float"));
  ASSERT_THAT(parse.code().inputs(), SizeIs(3));
  EXPECT_EQ(parse.code().inputs(1).name(), "discount");
  EXPECT_THAT(Strings(parse.code().inputs(1).selector()), ElementsAre("1720000000001", "discount"));
  const auto& outputs = parse.code().outputs();
  EXPECT_EQ(outputs.at("count").kind(), v1::Type::NUMBER);
  EXPECT_EQ(outputs.at("items").kind(), v1::Type::ARRAY_OBJECT);
  EXPECT_EQ(outputs.at("quantities").kind(), v1::Type::ARRAY_NUMBER);
  EXPECT_EQ(outputs.at("flags").kind(), v1::Type::ARRAY_BOOLEAN);
  EXPECT_EQ(outputs.at("gift").kind(), v1::Type::BOOLEAN);
  EXPECT_EQ(outputs.at("meta").kind(), v1::Type::OBJECT);
  EXPECT_EQ(outputs.at("meta").children().at("source").children().at("lines").kind(),
            v1::Type::NUMBER);
  EXPECT_EQ(parse.retry().max_retries(), 3);
  EXPECT_EQ(parse.retry().interval_ms(), 500);
  EXPECT_EQ(parse.error_strategy().kind(), v1::ErrorStrategy::DEFAULT_VALUE);
  EXPECT_EQ(Json(parse.error_strategy().defaults().at("count")), "0");
  EXPECT_EQ(Json(parse.error_strategy().defaults().at("items")), "[]");
  EXPECT_EQ(Json(parse.error_strategy().defaults().at("meta")), R"({"discount":0})");
  EXPECT_THAT(absl::StrJoin(imported.warnings, "\n"),
              HasSubstr("node \"1720000000002\" (\"Parse order\", type code): dependencies"));

  const v1::Node& total = NodeById(imported.workflow.nodes(), "1720000000003");
  EXPECT_EQ(total.code().language(), v1::CodeNode::JAVASCRIPT);
  EXPECT_EQ(total.error_strategy().kind(), v1::ErrorStrategy::FAIL_BRANCH);
  EXPECT_FALSE(total.has_retry()) << "retry_enabled: false";
  EXPECT_THAT(Strings(total.code().inputs(1).selector()), ElementsAre("env", "MAX_ITEMS"));
}

TEST(DifyImportTest, IfElseCasesWithConstantsAndVariableReferences) {
  ImportedWorkflow imported = ImportOrDie(kData + "chatflow_all_kinds.yml");
  const v1::IfElseNode& size = NodeById(imported.workflow.nodes(), "1720000000004").if_else();
  ASSERT_THAT(size.cases(), SizeIs(2));
  EXPECT_EQ(size.cases(0).case_id(), "big");
  EXPECT_EQ(size.cases(0).conditions(0).comparison_operator(), "≥");
  EXPECT_EQ(size.cases(0).conditions(0).value().string_value(), "10");
  EXPECT_EQ(size.cases(1).logical_operator(), "or");
  const v1::Condition& same = size.cases(1).conditions(0);
  EXPECT_THAT(Strings(same.value_selector()), ElementsAre("1720000000002", "count"));
  EXPECT_FALSE(same.has_value());
  const v1::Condition& asked = size.cases(1).conditions(1);
  EXPECT_THAT(Strings(asked.selector()), ElementsAre("sys", "query"));
  EXPECT_FALSE(asked.has_value()) << "a unary operator has no value";
}

TEST(DifyImportTest, TemplateAggregatorGroupsAndAnswer) {
  ImportedWorkflow imported = ImportOrDie(kData + "chatflow_all_kinds.yml");
  const auto& nodes = imported.workflow.nodes();
  const v1::TemplateNode& big = NodeById(nodes, "1720000000006").template_();
  EXPECT_THAT(big.template_(), HasSubstr("{% if wrap %}, gift wrapped{% endif %}"));
  ASSERT_THAT(big.variables(), SizeIs(3));
  EXPECT_EQ(big.variables(0).name(), "shop");
  const v1::VariableAggregatorNode& join = NodeById(nodes, "1720000000008").variable_aggregator();
  ASSERT_THAT(join.groups(), SizeIs(2));
  EXPECT_EQ(join.groups(0).group_name(), "message");
  EXPECT_EQ(join.groups(0).output_type().kind(), v1::Type::STRING);
  EXPECT_THAT(join.groups(0).variables(), SizeIs(3));
  EXPECT_EQ(join.groups(1).output_type().kind(), v1::Type::NUMBER);
  EXPECT_EQ(NodeById(nodes, "answer").answer().answer(),
            "{{#1720000000008.message.output#}} (asked: {{#sys.query#}})");
}

TEST(DifyImportTest, IterationAndLoopBecomeNestedSubGraphs) {
  ImportedWorkflow imported = ImportOrDie(kData + "containers.yml");
  const v1::Workflow& w = imported.workflow;
  EXPECT_THAT(Diagnose(w), IsEmpty());
  EXPECT_THAT(imported.warnings, IsEmpty());
  ASSERT_THAT(w.nodes(), SizeIs(5)) << "markers and children are not top-level nodes";
  EXPECT_THAT(EdgeList(w.edges()), ElementsAre("start -source-> split", "split -source-> each",
                                               "each -source-> grow", "grow -source-> end"));

  const v1::IterationNode& each = NodeById(w.nodes(), "each").iteration();
  EXPECT_THAT(Strings(each.iterator_selector()), ElementsAre("split", "words"));
  EXPECT_THAT(Strings(each.output_selector()), ElementsAre("score", "value"));
  EXPECT_EQ(each.output_type().kind(), v1::Type::ARRAY_NUMBER);
  EXPECT_TRUE(each.parallel());
  EXPECT_EQ(each.parallel_nums(), 4);
  EXPECT_EQ(each.error_handle_mode(), v1::IterationNode::CONTINUE_ON_ERROR);
  EXPECT_FALSE(each.flatten_output());
  ASSERT_THAT(each.nodes(), SizeIs(1));
  EXPECT_EQ(each.nodes(0).id(), "score");
  EXPECT_THAT(EdgeList(each.edges()), ElementsAre("each -source-> score"))
      << "the marker's edge starts at the iteration itself";

  const v1::LoopNode& grow = NodeById(w.nodes(), "grow").loop();
  EXPECT_EQ(grow.loop_count(), 10);
  EXPECT_EQ(grow.logical_operator(), "and");
  ASSERT_THAT(grow.break_conditions(), SizeIs(1));
  EXPECT_THAT(Strings(grow.break_conditions(0).value_selector()), ElementsAre("start", "bound"));
  ASSERT_THAT(grow.loop_variables(), SizeIs(4));
  EXPECT_EQ(grow.loop_variables(0).name(), "counter");
  EXPECT_EQ(Json(grow.loop_variables(0).value()), "1");
  EXPECT_EQ(Json(grow.loop_variables(1).value()), "[]") << "an empty array constant";
  EXPECT_THAT(Strings(grow.loop_variables(2).value_selector()), ElementsAre("each", "output"));
  EXPECT_EQ(Json(grow.loop_variables(3).value()), R"({"step":2})");
  EXPECT_THAT(EdgeList(grow.edges()),
              ElementsAre("grow -source-> double", "double -source-> note"));

  const v1::VariableAssignerNode& twice = NodeById(grow.nodes(), "double").assigner();
  ASSERT_THAT(twice.items(), SizeIs(2));
  EXPECT_EQ(twice.items(0).operation(), "*=");
  EXPECT_EQ(Json(twice.items(0).value()), "2");
  EXPECT_THAT(Strings(twice.items(1).value_selector()), ElementsAre("grow", "counter"));
  // The version 1 assigner: one variable and its write mode.
  const v1::VariableAssignerNode& reset = NodeById(grow.nodes(), "note").assigner();
  ASSERT_THAT(reset.items(), SizeIs(1));
  EXPECT_THAT(Strings(reset.items(0).variable_selector()), ElementsAre("grow", "scores"));
  EXPECT_EQ(reset.items(0).operation(), "clear");
  EXPECT_THAT(reset.items(0).value_selector(), IsEmpty());
}

TEST(DifyImportTest, LegacyIfElseAggregatorNameAndMarkerlessIteration) {
  ImportedWorkflow imported = ImportOrDie(kData + "legacy_forms.yml");
  const v1::Workflow& w = imported.workflow;
  EXPECT_THAT(Diagnose(w), IsEmpty());
  const v1::IfElseNode& shout = NodeById(w.nodes(), "1711000000002").if_else();
  ASSERT_THAT(shout.cases(), SizeIs(1));
  EXPECT_EQ(shout.cases(0).case_id(), "true");
  EXPECT_EQ(shout.cases(0).logical_operator(), "and");
  ASSERT_THAT(shout.cases(0).conditions(), SizeIs(2));
  EXPECT_EQ(shout.cases(0).conditions(0).value().string_value(), "yes")
      << "a quoted 'yes' is text, not YAML 1.1's true";
  const v1::Node& either = NodeById(w.nodes(), "1711000000005");
  ASSERT_TRUE(either.has_variable_aggregator()) << "variable-assigner is the old aggregator";
  EXPECT_EQ(either.variable_aggregator().output_type().kind(), v1::Type::STRING);
  EXPECT_THAT(either.variable_aggregator().variables(), SizeIs(2));
  const v1::IterationNode& each = NodeById(w.nodes(), "1711000000006").iteration();
  ASSERT_THAT(each.nodes(), SizeIs(2));
  EXPECT_THAT(EdgeList(each.edges()),
              ElementsAre("1711000000006 -source-> 1711000000007",
                          "1711000000007 -source-> 1711000000008"))
      << "start_node_id gives the entry edge";
  EXPECT_TRUE(each.flatten_output()) << "Dify's default";
}

TEST(DifyImportTest, ExampleImportsAndValidates) {
  absl::StatusOr<LoadedWorkflow> loaded =
      LoadWorkflowOrDifyFile(kExamples + "dify_ticket_triage.yml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->workflow.name(), "Ticket triage");
  EXPECT_THAT(Diagnose(loaded->workflow), IsEmpty());
  EXPECT_THAT(loaded->workflow.nodes(), SizeIs(8)) << "the canvas note is not a node";
}

// ------------------------------------------------------ unsupported nodes --

TEST(DifyImportTest, EveryNodeFlowgridDoesNotRunIsReportedAtOnce) {
  absl::StatusOr<std::string> text = ReadFile(kData + "unsupported_nodes.yml");
  ASSERT_TRUE(text.ok()) << text.status();
  const std::string error = ImportError(*text);
  EXPECT_THAT(error, HasSubstr("11 problems importing the Dify app \"Research helper\":\n"));
  for (const char* expected : {
           R"(node "1730000000002" ("Rewrite question", type llm): flowgrid does not run llm nodes)",
           R"(node "1730000000003" ("Search docs", type knowledge-retrieval): flowgrid does not run knowledge-retrieval nodes)",
           R"(node "1730000000004" ("Topic", type question-classifier): flowgrid does not run question-classifier nodes)",
           R"(node "1730000000005" ("Billing API", type http-request): flowgrid does not run http-request nodes)",
           R"(node "1730000000006" ("Web search", type tool): flowgrid does not run tool nodes)",
           R"(node "1730000000007" ("Extract invoice", type parameter-extractor): flowgrid does not run parameter-extractor nodes)",
           R"(node "1730000000008" ("Read attachment", type document-extractor): flowgrid does not run document-extractor nodes)",
           R"(node "1730000000009" ("First results", type list-operator): flowgrid does not run list-operator nodes)",
           R"(node "1730000000010" ("Researcher", type agent): flowgrid does not run agent nodes)",
           R"(node "1730000000011" ("Approve", type human-input): flowgrid does not run human-input nodes)",
           R"(node "1730000000014" ("Stop", type loop-end): flowgrid does not run loop-end nodes)",
       }) {
    EXPECT_THAT(error, HasSubstr(absl::StrCat("\n  ", expected))) << error;
  }
  // Nodes flowgrid runs and the canvas note are not mentioned.
  EXPECT_THAT(error, AllOf(Not(HasSubstr("1730000000012")), Not(HasSubstr("1730000000099")),
                           Not(HasSubstr("1730000000013\""))));
}

// -------------------------------------------------------- malformed input --

constexpr char kHeader[] = "kind: app\nversion: 0.1.5\napp: {name: T, mode: workflow}\n";

std::string App(const std::string& graph) {
  return absl::StrCat(kHeader, "workflow:\n  graph:\n", graph);
}

constexpr char kStart[] =
    "    - {id: s, data: {type: start, title: Start, variables: []}}\n";
constexpr char kEnd[] = "    - {id: e, data: {type: end, title: End, outputs: []}}\n";

TEST(DifyImportTest, DocumentsWithoutAGraphSayWhatIsMissing) {
  EXPECT_THAT(ImportError("kind: app\napp: {name: T, mode: workflow}\n"),
              HasSubstr("no workflow graph: expected workflow.graph"));
  EXPECT_THAT(ImportError(absl::StrCat(kHeader, "workflow:\n  features: {}\n")),
              HasSubstr("workflow has no graph"));
  EXPECT_THAT(ImportError("kind: app\napp: {name: Bot, mode: chat}\nmodel_config: {}\n"),
              HasSubstr("app \"Bot\" is a chat app, which has no workflow graph"));
  EXPECT_THAT(ImportError("kind: dataset\n"), HasSubstr("kind is \"dataset\""));
  EXPECT_THAT(ImportError("- just\n- a list\n"), HasSubstr("expected a YAML mapping"));
  EXPECT_THAT(ImportError("workflow: {graph: {nodes: {}}}\n"), HasSubstr("graph.nodes"));
  EXPECT_THAT(ImportError("app: {name: [unclosed\n"), HasSubstr("not valid YAML: line "));
}

TEST(DifyImportTest, BareWorkflowAndBareGraphDocumentsAreAccepted) {
  const std::string graph = absl::StrCat(
      "nodes:\n", kStart, kEnd, "edges:\n    - {source: s, target: e, sourceHandle: source}\n");
  absl::StatusOr<ImportedWorkflow> bare_graph = ImportDifyYaml(graph, "bare");
  ASSERT_TRUE(bare_graph.ok()) << bare_graph.status();
  EXPECT_EQ(bare_graph->workflow.name(), "bare");
  EXPECT_THAT(Diagnose(bare_graph->workflow), IsEmpty());
  absl::StatusOr<ImportedWorkflow> bare_workflow = ImportDifyYaml(
      absl::StrCat("environment_variables: []\ngraph:\n  nodes:\n", kStart, kEnd), "w");
  ASSERT_TRUE(bare_workflow.ok()) << bare_workflow.status();
  EXPECT_THAT(bare_workflow->workflow.nodes(), SizeIs(2));
}

TEST(DifyImportTest, EdgesToUnknownNodesAndAcrossContainersAreNamed) {
  std::string error = ImportError(App(absl::StrCat(
      "    nodes:\n", kStart, kEnd,
      "    - {id: it, data: {type: iteration, title: It, iterator_selector: [s, x], "
      "output_selector: [c, y]}}\n"
      "    - {id: c, parentId: it, data: {type: template-transform, title: C, template: x}}\n"
      "    edges:\n"
      "    - {source: s, target: ghost}\n"
      "    - {source: s, target: c}\n")));
  EXPECT_THAT(error, HasSubstr("graph.edges[0] (s -> ghost): target \"ghost\" is not a node of "
                               "the graph"));
  EXPECT_THAT(error, HasSubstr("graph.edges[1] (s -> c): connects nodes of different containers "
                               "(\"top level\" and \"it\")"));
}

TEST(DifyImportTest, BadTypesAndFieldsNameTheNodeAndField) {
  std::string error = ImportError(App(absl::StrCat(
      "    nodes:\n", kStart, kEnd,
      "    - id: 42\n"
      "      data:\n"
      "        type: code\n"
      "        title: Bad\n"
      "        code_language: ruby\n"
      "        code: x\n"
      "        outputs: {a: {type: 'array[file]'}, b: {type: tuple}, c: {type: object, "
      "children: {d: {type: nope}}}}\n"
      "        error_strategy: ignore\n"
      "    - {id: n, data: {type: start, title: Form, variables: [{variable: v, type: "
      "external_data_tool}]}}\n"
      "    - {data: {type: end, title: Nameless}}\n"
      "    - {id: s, data: {type: end, title: Again}}\n"
      "    - {id: t, data: {title: Typeless}}\n")));
  const std::string node = "node \"42\" (\"Bad\", type code): ";
  EXPECT_THAT(error, HasSubstr(node + "code_language: \"ruby\": flowgrid runs python3 and "
                                      "javascript code"));
  EXPECT_THAT(error, HasSubstr(node + "outputs.a: type \"array[file]\": flowgrid has no file "
                                      "values"));
  EXPECT_THAT(error, HasSubstr(node + "outputs.b: unknown type \"tuple\""));
  EXPECT_THAT(error, HasSubstr(node + "outputs.c: child d: unknown type \"nope\""));
  EXPECT_THAT(error, HasSubstr(node + "error_strategy: \"ignore\" is not one of"));
  EXPECT_THAT(error, HasSubstr("node \"n\" (\"Form\", type start): variables[0] (v).type: input "
                               "type \"external_data_tool\" is not one flowgrid knows"));
  EXPECT_THAT(error, HasSubstr("graph.nodes[4] (\"Nameless\"): node has no id"));
  EXPECT_THAT(error, HasSubstr("node \"s\" (\"Again\", type end): duplicate node id"));
  EXPECT_THAT(error, HasSubstr("node \"t\" (\"Typeless\", type none): node has no data.type"));
}

TEST(DifyImportTest, ConversationVariablesAndFileConditionsAreNotSupported) {
  std::string error = ImportError(App(absl::StrCat(
      "    nodes:\n", kStart, kEnd,
      "    - id: c\n"
      "      data:\n"
      "        type: if-else\n"
      "        title: Check\n"
      "        cases:\n"
      "        - case_id: a\n"
      "          conditions:\n"
      "          - {variable_selector: [conversation, topic], comparison_operator: is, value: x}\n"
      "          - {variable_selector: [s, files], comparison_operator: contains, value: x,\n"
      "             sub_variable_condition: {logical_operator: and, conditions: [{key: type, "
      "comparison_operator: in, value: [image]}]}}\n"
      "          - {variable_selector: [s, q], comparison_operator: is, value: 'Re: {{#s.q#}}'}\n"
      "    - {id: a, data: {type: answer, title: Say, answer: 'topic {{#conversation.topic#}}'}}\n"
      "    - id: w\n"
      "      data: {type: assigner, title: Remember, version: '2', items: [{variable_selector: "
      "[conversation, topic], input_type: constant, operation: over-write, value: x}]}\n")));
  EXPECT_THAT(error, HasSubstr("node \"c\" (\"Check\", type if-else): "
                               "cases[0].conditions[0].variable_selector: reads conversation "
                               "variable [conversation, topic]; flowgrid has no conversation "
                               "variables"));
  EXPECT_THAT(error, HasSubstr("cases[0].conditions[1].sub_variable_condition: conditions on a "
                               "file's attributes are not supported by flowgrid"));
  EXPECT_THAT(error, HasSubstr("cases[0].conditions[2].value: \"Re: {{#s.q#}}\" mixes text and "
                               "variable references"));
  EXPECT_THAT(error, HasSubstr("node \"a\" (\"Say\", type answer): answer: refers to a "
                               "conversation variable"));
  EXPECT_THAT(error, HasSubstr("node \"w\" (\"Remember\", type assigner): "
                               "items[0].variable_selector: reads conversation variable"));
}

TEST(DifyImportTest, NodesOutsideAnyContainerOrInAParentCycleAreReported) {
  std::string error = ImportError(App(absl::StrCat(
      "    nodes:\n", kStart, kEnd,
      "    - {id: m, data: {type: iteration-start, title: ''}}\n"
      "    - {id: x, parentId: s, data: {type: template-transform, title: X, template: x}}\n"
      "    - {id: l1, parentId: l2, data: {type: loop, title: L1, loop_count: 1}}\n"
      "    - {id: l2, parentId: l1, data: {type: loop, title: L2, loop_count: 1}}\n")));
  EXPECT_THAT(error, HasSubstr("node \"m\" (\"\", type iteration-start): a container's start "
                               "marker must be inside an iteration or loop"));
  EXPECT_THAT(error, HasSubstr("node \"x\" (\"X\", type template-transform): its container \"s\" "
                               "is not an iteration or loop node of the graph"));
  EXPECT_THAT(error, HasSubstr("node \"l1\" (\"L1\", type loop): its containers enclose each "
                               "other in a cycle"));
}

// ---------------------------------------------------------- YAML values --

TEST(DifyYamlValueTest, PlainScalarsAreTypedAsPyYamlDoesQuotedOnesAreText) {
  YAML::Node doc = YAML::Load(
      "[3, '3', -7, 2.5, '2.5', true, 'true', yes, 'no', Off, ~, '', text, 1_000, "
      "\"9223372036854775807\", 99999999999999999999, {a: [1, b]}]");
  std::vector<std::string> json;
  for (const YAML::Node& item : doc) {
    absl::StatusOr<v1::Value> value = ToValue(item);
    ASSERT_TRUE(value.ok()) << value.status();
    json.push_back(Json(*value));
  }
  EXPECT_THAT(json, ElementsAre("3", "\"3\"", "-7", "2.5", "\"2.5\"", "true", "\"true\"", "true",
                                "\"no\"", "false", "null", "\"\"", "\"text\"", "1000",
                                "\"9223372036854775807\"", "1e+20", R"({"a":[1,"b"]})"));
}

TEST(DifyYamlValueTest, DeepNestingAndAliasBombsAreErrorsNotCrashes) {
  std::string deep = std::string(100, '[') + std::string(100, ']');
  EXPECT_THAT(ToValue(YAML::Load(deep)).status().message(), HasSubstr("nests deeper than 64"));
  // Each level names the previous one ten times: 10^7 values in 8 lines.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char level = 'b'; level <= 'h'; ++level) {
    const char previous = static_cast<char>(level - 1);
    absl::StrAppend(&bomb, std::string(1, level), ": &", std::string(1, level), " [");
    for (int i = 0; i < 10; ++i) absl::StrAppend(&bomb, i ? ", " : "", "*", std::string(1, previous));
    absl::StrAppend(&bomb, "]\n");
  }
  EXPECT_THAT(ToValue(YAML::Load(bomb)).status().message(),
              HasSubstr("more than 1000000 elements"));
}

TEST(DifyTypesTest, TypeNamesAndConstants) {
  EXPECT_EQ(ParseType("array[object]")->kind(), v1::Type::ARRAY_OBJECT);
  EXPECT_EQ(ParseType("array_string")->kind(), v1::Type::ARRAY_STRING);
  EXPECT_EQ(ParseType("integer")->kind(), v1::Type::NUMBER);
  EXPECT_THAT(ParseType("file").status().message(), HasSubstr("no file values"));
  EXPECT_EQ(Json(*ConstantOfType(StringValue("2.5"), ParseType("number").value())), "2.5");
  EXPECT_EQ(Json(*ConstantOfType(StringValue("[1,2]"), ParseType("array[number]").value())),
            "[1,2]");
  EXPECT_THAT(ConstantOfType(StringValue("many"), ParseType("number").value()).status().message(),
              HasSubstr("\"many\" is not a number"));
  EXPECT_THAT(ConstantOfType(StringValue("{"), ParseType("object").value()).status().message(),
              HasSubstr("is not object JSON"));
  EXPECT_EQ(Json(*ConstantOfType(IntValue(4), ParseType("string").value())), "4");
}

// --------------------------------------------------------------- loader --

TEST(WorkflowLoaderTest, ChoosesTheFormByExtensionThenContent) {
  EXPECT_TRUE(IsDifyFile("a.yml", "{"));
  EXPECT_TRUE(IsDifyFile("a.YAML", ""));
  EXPECT_FALSE(IsDifyFile("a.json", "kind: app"));
  EXPECT_FALSE(IsDifyFile("workflow", "  {\"nodes\": []}"));
  EXPECT_TRUE(IsDifyFile("workflow", "kind: app\n"));
  absl::StatusOr<LoadedWorkflow> json = LoadWorkflowOrDifyFile(kExamples + "hello.json");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(json->warnings, IsEmpty());
  absl::StatusOr<LoadedWorkflow> broken = LoadWorkflowOrDifyFile(kData + "unsupported_nodes.yml");
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(broken.status().message(), HasSubstr("unsupported_nodes.yml: 11 problems"));
  EXPECT_EQ(LoadWorkflowOrDifyFile(kData + "missing.yml").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace flowgrid::dify
