#include "common/workflow_file.h"

#include "gtest/gtest.h"

namespace flowgrid {
namespace {

TEST(WorkflowFile, ParsesTheProtoJsonForm) {
  absl::StatusOr<v1::Workflow> wf = ParseWorkflowJson(R"({
    "name": "hello",
    "nodes": [
      {"id": "start", "start": {"variables": [{"name": "q", "type": {"kind": "STRING"}}]}},
      {"id": "c", "code": {"language": "PYTHON3", "code": "def main(q):\n  return {}",
                           "inputs": [{"name": "q", "selector": ["start", "q"]}],
                           "outputs": {"r": {"kind": "ARRAY_OBJECT"}}}},
      {"id": "end", "end": {}}
    ],
    "edges": [{"source": "start", "target": "c"}, {"source": "c", "target": "end"}]
  })");
  ASSERT_TRUE(wf.ok()) << wf.status();
  EXPECT_EQ(wf->nodes_size(), 3);
  EXPECT_EQ(wf->nodes(1).code().outputs().at("r").kind(), v1::Type::ARRAY_OBJECT);
}

TEST(WorkflowFile, UnknownFieldsAreErrors) {
  absl::StatusOr<v1::Workflow> wf = ParseWorkflowJson(R"({"nodes": [], "edgez": []})");
  ASSERT_FALSE(wf.ok());
  EXPECT_NE(wf.status().message().find("edgez"), absl::string_view::npos) << wf.status();
}

TEST(WorkflowFile, MalformedJsonIsAnError) {
  absl::StatusOr<v1::Workflow> wf = ParseWorkflowJson(R"({"nodes": [)");
  ASSERT_FALSE(wf.ok());
  EXPECT_EQ(wf.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(WorkflowFile, MissingFileNamesThePath) {
  absl::StatusOr<v1::Workflow> wf = LoadWorkflowFile("/nonexistent/wf.json");
  ASSERT_FALSE(wf.ok());
  EXPECT_EQ(wf.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(wf.status().message().find("/nonexistent/wf.json"), absl::string_view::npos);
}

}  // namespace
}  // namespace flowgrid
