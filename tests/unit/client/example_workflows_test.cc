// Every shipped workflow and inputs file must parse with the strict loader
// users get (a typo in a field name is an error there), so examples cannot
// silently rot. The bad files of the e2e tests are checked to be bad for
// the intended reason only.
#include <filesystem>
#include <string>

#include "common/value_json.h"
#include "common/workflow_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flowgrid {
namespace {

using ::testing::HasSubstr;

const std::string kExamples = std::string(FLOWGRID_SOURCE_DIR) + "/examples/workflows";
const std::string kE2eData = std::string(FLOWGRID_SOURCE_DIR) + "/tests/e2e/data";

TEST(ExampleWorkflowsTest, EveryExampleLoads) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kExamples)) {
    if (entry.path().extension() != ".json") continue;
    absl::StatusOr<v1::Workflow> workflow = LoadWorkflowFile(entry.path().string());
    ASSERT_TRUE(workflow.ok()) << workflow.status();
    EXPECT_FALSE(workflow->nodes().empty()) << entry.path();
    ++count;
  }
  EXPECT_EQ(count, 13) << "hello, diamond, parse_llm_output, hmac_auth_header, dedupe_items, "
                          "if_else, template, aggregator_grouped, iteration, loop, javascript, "
                          "fail_branch, default_value";
}

TEST(ExampleWorkflowsTest, EveryInputsFileIsAJsonObject) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kExamples + "/inputs")) {
    absl::StatusOr<std::string> text = ReadFile(entry.path().string());
    ASSERT_TRUE(text.ok()) << text.status();
    absl::StatusOr<ValueMap> inputs = ParseValueMapJson(*text);
    EXPECT_TRUE(inputs.ok()) << entry.path() << ": " << inputs.status();
    ++count;
  }
  EXPECT_EQ(count, 5);
}

TEST(ExampleWorkflowsTest, GraphErrorsOfTestDataAreNotSyntaxErrors) {
  for (const char* name : {"cycle.json", "dangling_edge.json", "raises.json", "spin.json"}) {
    absl::StatusOr<v1::Workflow> workflow = LoadWorkflowFile(kE2eData + "/" + name);
    EXPECT_TRUE(workflow.ok()) << workflow.status();
  }
}

TEST(ExampleWorkflowsTest, MalformedTestDataFailsToParse) {
  absl::StatusOr<v1::Workflow> workflow = LoadWorkflowFile(kE2eData + "/malformed.json");
  ASSERT_FALSE(workflow.ok());
  EXPECT_THAT(workflow.status().message(), HasSubstr("malformed.json"));
}

}  // namespace
}  // namespace flowgrid
