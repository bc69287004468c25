#include "scheduler/limits/input_limits.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flowgrid::limits {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr InputLimits kLimits{.max_workflow_bytes = 4000, .max_code_bytes = 100,
                              .max_input_bytes = 200};

v1::Node* AddCode(google::protobuf::RepeatedPtrField<v1::Node>* nodes, const std::string& id,
                  size_t code_bytes) {
  v1::Node* node = nodes->Add();
  node->set_id(id);
  node->mutable_code()->set_language(v1::CodeNode::PYTHON3);
  node->mutable_code()->set_code(std::string(code_bytes, 'x'));
  return node;
}

v1::Value String(size_t bytes) {
  v1::Value value;
  value.set_string_value(std::string(bytes, 'v'));
  return value;
}

// The bytes `name` = String(string_bytes) counts for: its name and the
// serialized value (a tag and a one-byte length below 128).
int64_t EntryBytes(const std::string& name, size_t string_bytes) {
  return static_cast<int64_t>(name.size() + String(string_bytes).ByteSizeLong());
}

TEST(WorkflowSizeExcesses, CodeAtTheLimitPassesOneByteMoreIsNamedWithBothSizesAndTheFlag) {
  v1::Workflow workflow;
  AddCode(workflow.mutable_nodes(), "at_limit", 100);
  AddCode(workflow.mutable_nodes(), "over", 101);
  std::vector<graph::Diagnostic> excesses = WorkflowSizeExcesses(workflow, kLimits);
  ASSERT_EQ(excesses.size(), 1u);
  EXPECT_EQ(excesses[0].node_id, "over");
  EXPECT_EQ(excesses[0].field, "code.code");
  EXPECT_EQ(excesses[0].message,
            "101 bytes, over the limit of 100 bytes per code or template (--max_code_bytes)");
}

TEST(WorkflowSizeExcesses, TemplatesAndCodeInsideIterationsAndLoopsCount) {
  v1::Workflow workflow;
  v1::Node* iteration = workflow.add_nodes();
  iteration->set_id("each");
  AddCode(iteration->mutable_iteration()->mutable_nodes(), "inner_code", 150);
  v1::Node* loop = workflow.add_nodes();
  loop->set_id("again");
  v1::Node* inner_template = loop->mutable_loop()->add_nodes();
  inner_template->set_id("inner_template");
  inner_template->mutable_template_()->set_template_(std::string(120, 't'));
  // An answer's text is filled in by the scheduler, not run as code.
  v1::Node* answer = workflow.add_nodes();
  answer->set_id("answer");
  answer->mutable_answer()->set_answer(std::string(500, 'a'));
  std::vector<graph::Diagnostic> excesses = WorkflowSizeExcesses(workflow, kLimits);
  ASSERT_EQ(excesses.size(), 2u);
  EXPECT_EQ(excesses[0].node_id, "inner_code");
  EXPECT_EQ(excesses[1].node_id, "inner_template");
  EXPECT_EQ(excesses[1].field, "template.template");
  EXPECT_THAT(excesses[1].message, HasSubstr("120 bytes, over the limit of 100 bytes"));
}

TEST(WorkflowSizeExcesses, TheWholeWorkflowIsMeasuredSerialized) {
  v1::Workflow workflow;
  for (int i = 0; workflow.ByteSizeLong() <= 4000; ++i) {
    AddCode(workflow.mutable_nodes(), "n" + std::to_string(i), 90);
  }
  const size_t bytes = workflow.ByteSizeLong();
  std::vector<graph::Diagnostic> excesses = WorkflowSizeExcesses(workflow, kLimits);
  ASSERT_EQ(excesses.size(), 1u);
  EXPECT_EQ(excesses[0].node_id, "");
  EXPECT_EQ(excesses[0].field, "workflow");
  EXPECT_EQ(excesses[0].message, std::to_string(bytes) +
                                     " bytes serialized, over the limit of 4000 bytes "
                                     "(--max_workflow_bytes)");

  InputLimits exactly = kLimits;
  exactly.max_workflow_bytes = static_cast<int64_t>(bytes);
  EXPECT_THAT(WorkflowSizeExcesses(workflow, exactly), ElementsAre());
}

TEST(CheckSubmitRunSize, InputsAndSystemValuesTogetherUpToTheLimitPass) {
  v1::SubmitRunRequest request;
  (*request.mutable_inputs())["a"] = String(50);
  (*request.mutable_system())["q"] = String(143);
  ASSERT_EQ(EntryBytes("a", 50) + EntryBytes("q", 143), 200);
  EXPECT_TRUE(CheckSubmitRunSize(request, kLimits).ok());

  (*request.mutable_inputs())["b"] = String(0);
  absl::Status status = CheckSubmitRunSize(request, kLimits);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "request is over the scheduler's size limits (1 problem):\n"
            "inputs: the inputs and system values together are " +
                std::to_string(200 + EntryBytes("b", 0)) +
                " bytes serialized, over the limit of 200 bytes (--max_input_bytes); the "
                "largest is system.q (" +
                std::to_string(EntryBytes("q", 143)) + " bytes)");
}

TEST(CheckSubmitRunSize, ASingleValueOverTheLimitIsNamed) {
  v1::SubmitRunRequest request;
  (*request.mutable_inputs())["doc"] = String(300);
  (*request.mutable_inputs())["small"] = String(1);
  absl::Status status = CheckSubmitRunSize(request, kLimits);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("inputs.doc: " + std::to_string(EntryBytes("doc", 300)) +
                        " bytes serialized, over the limit of 200 bytes for the inputs and "
                        "system values together (--max_input_bytes)"));
}

TEST(CheckSubmitRunSize, ListsEveryExcessOnePerLine) {
  v1::SubmitRunRequest request;
  AddCode(request.mutable_workflow()->mutable_nodes(), "big_code", 101);
  (*request.mutable_system())["query"] = String(300);
  absl::Status status = CheckSubmitRunSize(request, kLimits);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("(2 problems):\nnode big_code: code.code: 101 bytes"));
  EXPECT_THAT(status.message(), HasSubstr("\nsystem.query: "));
}

TEST(CheckRunNodeSize, MeasuresTheWorkflowAndTheNodesInputs) {
  v1::RunNodeRequest request;
  AddCode(request.mutable_workflow()->mutable_nodes(), "code", 100);
  request.set_node_id("code");
  (*request.mutable_inputs())["x"] = String(100);
  EXPECT_TRUE(CheckRunNodeSize(request, kLimits).ok());

  (*request.mutable_inputs())["y"] = String(100);
  absl::Status status = CheckRunNodeSize(request, kLimits);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("inputs: the inputs together are "));

  request.mutable_inputs()->erase("y");
  request.mutable_workflow()->mutable_nodes(0)->mutable_code()->mutable_code()->append("x");
  EXPECT_THAT(CheckRunNodeSize(request, kLimits).message(),
              HasSubstr("node code: code.code: 101 bytes"));
}

}  // namespace
}  // namespace flowgrid::limits
