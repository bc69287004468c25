// RENDER_TEMPLATE jobs: Jinja2's sandboxed environment on the Python
// runtime (Debian's python3-jinja2).
#include <string>

#include "common/value_json.h"
#include "common/value_types.h"
#include "gtest/gtest.h"
#include "tests/unit/worker/job_testing.h"

namespace flowgrid::job {
namespace {

// The language is ignored for templates: JAVASCRIPT proves it.
v1::Job TemplateJob(const std::string& code) {
  return MakeJob(v1::CodeNode::JAVASCRIPT, code, v1::Job::RENDER_TEMPLATE);
}

TEST(TemplateJobTest, RendersLoopsFiltersAndMissingVariablesAsEmpty) {
  v1::Job job = TemplateJob(
      "{% for item in items %}{{ loop.index }}. {{ item.name | upper }}\n{% endfor %}"
      "total: {{ items | length }}, missing: [{{ nothing }}]");
  v1::Value items;
  for (const char* name : {"ada", "grace"}) {
    v1::Value item;
    (*item.mutable_object_value()->mutable_fields())["name"] = StringValue(name);
    *items.mutable_list_value()->add_items() = item;
  }
  (*job.mutable_inputs())["items"] = items;
  // Declared outputs do not matter: a template's output is "output".
  (*job.mutable_outputs())["other"] = MakeType(v1::Type::NUMBER);

  v1::NodeResult result = RunJob(job);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  ASSERT_EQ(result.outputs_size(), 1);
  EXPECT_EQ(result.outputs().at("output").string_value(),
            "1. ADA\n2. GRACE\ntotal: 2, missing: []");
}

TEST(TemplateJobTest, SyntaxErrorIsACompileErrorWithTheLine) {
  ExpectFailure(TemplateJob("line one\n{% for x in items %}\n{{ x }"), v1::COMPILE_ERROR,
                "TemplateSyntaxError: unexpected '}' (line 3)");
}

TEST(TemplateJobTest, UnsafeAttributeIsASecurityError) {
  v1::NodeResult result = RunJob(TemplateJob("line one\n{{ ''.__class__.__mro__ }}"));
  EXPECT_EQ(result.error().code(), v1::RUNTIME_ERROR);
  EXPECT_EQ(result.error().message(),
            "SecurityError: access to attribute '__class__' of 'str' object is unsafe.");
  EXPECT_EQ(result.error().traceback(),
            "Traceback (most recent call last):\n"
            "  File \"<template>\", line 2, in top-level template code\n"
            "jinja2.exceptions.SecurityError: access to attribute '__class__' of 'str' object "
            "is unsafe.\n");
}

TEST(TemplateJobTest, RenderingErrorIsARuntimeError) {
  ExpectFailure(TemplateJob("{{ 1 / 0 }}"), v1::RUNTIME_ERROR,
                "ZeroDivisionError: division by zero");
}

TEST(TemplateJobTest, OutputIsLimitedByMaxStringLength) {
  v1::Job job = TemplateJob("{{ 'x' * 11 }}");
  job.mutable_output_limits()->set_max_string_length(10);
  ExpectFailure(job, v1::INVALID_RESULT,
                "Output \"output\": string of 11 characters exceeds max_string_length 10.");
}

}  // namespace
}  // namespace flowgrid::job
