// CHECK_CODE jobs: compile only, find main and match its parameters with
// the node's input names, never running the user's code.
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/unit/worker/job_testing.h"

namespace flowgrid::job {
namespace {

struct CheckCase {
  std::string name;
  v1::CodeNode::Language language;
  std::string code;
  std::vector<std::string> inputs;
  // Empty: the check passes.
  std::string message;
};

v1::NodeResult Check(const CheckCase& c) {
  v1::Job job = MakeJob(c.language, c.code, v1::Job::CHECK_CODE);
  // Only the names matter; the values are left unset.
  for (const std::string& input : c.inputs) (*job.mutable_inputs())[input];
  // A check has no outputs, whatever is declared.
  (*job.mutable_outputs())["never_returned"].set_kind(v1::Type::STRING);
  return RunJob(job);
}

TEST(CheckCodeTest, Table) {
  constexpr v1::CodeNode::Language kPython = v1::CodeNode::PYTHON3;
  constexpr v1::CodeNode::Language kJs = v1::CodeNode::JAVASCRIPT;
  const std::vector<CheckCase> cases = {
      {"python ok", kPython, "def main(a: str, b: int = 1) -> dict:\n    return {}\n", {"a", "b"},
       ""},
      {"python syntax error", kPython, "x = 1\n\ndef main(:\n    pass\n", {},
       "SyntaxError: invalid syntax (line 3)"},
      {"python error found only by the compiler", kPython, "def main():\n    pass\nreturn 1\n",
       {}, "SyntaxError: 'return' outside function (line 3)"},
      {"python missing main", kPython, "def mian():\n    return {}\n", {},
       "main() is not defined"},
      {"python main inside a function is not top level", kPython,
       "def outer():\n    def main():\n        pass\n", {}, "main() is not defined"},
      {"python main defined in a top-level if", kPython,
       "if True:\n    def main(a):\n        return {}\n", {"a"}, ""},
      {"python required parameter without input", kPython, "def main(a, x):\n    return {}\n",
       {"a"}, "main() requires parameter \"x\", which is not an input of this node"},
      {"python keyword-only required parameter", kPython, "def main(*, x):\n    return {}\n", {},
       "main() requires parameter \"x\", which is not an input of this node"},
      {"python input that is no parameter", kPython, "def main(a):\n    return {}\n", {"a", "y"},
       "input \"y\" is not a parameter of main()"},
      {"python **kwargs accepts every input", kPython,
       "def main(a, **rest):\n    return {}\n", {"a", "y", "z"}, ""},
      {"python positional-only parameter", kPython, "def main(a, /):\n    return {}\n", {"a"},
       "parameter \"a\" of main() is positional-only, but inputs are passed by name"},
      {"python lambda main", kPython, "main = lambda a: {}\n", {"b"},
       "main() requires parameter \"a\", which is not an input of this node"},
      {"python decorated main is not checked", kPython,
       "import functools\n@functools.lru_cache\ndef main(a):\n    return {}\n", {"b"}, ""},
      {"js ok", kJs, "async function main({a, b = 1}) {\n  return {};\n}\n", {"a"}, ""},
      {"js syntax error", kJs, "const x = 1;\nfunction main() {\n  return x +;\n}\n", {},
       "SyntaxError: Unexpected token ';' (line 3)"},
      {"js missing main", kJs, "function mian() {\n  return {};\n}\n", {},
       "main() is not defined"},
      {"js required parameter without input", kJs, "function main({a, x}) {\n  return {};\n}\n",
       {"a"}, "main() requires parameter \"x\", which is not an input of this node"},
      {"js input that is no parameter", kJs, "const main = async ({a}) => ({});\n", {"a", "y"},
       "input \"y\" is not a parameter of main()"},
      {"js no parameter accepts no input", kJs, "function main() {\n  return {};\n}\n", {"y"},
       "input \"y\" is not a parameter of main()"},
      {"js rest element accepts every input", kJs,
       "const main = function ({a, ...rest}) {\n  return {};\n};\n", {"a", "y"}, ""},
      {"js renamed and defaulted elements", kJs,
       "function main({ a: first, 'b': second = 2, c = { d: 1 } }) {\n  return {};\n}\n",
       {"a"}, ""},
      {"js a plain parameter is not checked", kJs, "function main(inputs) {\n  return {};\n}\n",
       {"anything"}, ""},
      {"js comments, strings and regexes do not fool the search", kJs,
       "// main = ({wrong}) => 1\n"
       "const s = 'main = ({wrong})';\n"
       "const r = /main = ({wrong})/;\n"
       "let main;\n"
       "main = ({ q = `${ {a: 1}.a }`, w }) => ({});\n",
       {"w"}, ""},
      {"js global assignment", kJs, "main = ({x}) => ({});\n", {},
       "main() requires parameter \"x\", which is not an input of this node"},
  };
  for (const CheckCase& c : cases) {
    SCOPED_TRACE(c.name);
    v1::NodeResult result = Check(c);
    EXPECT_EQ(result.outputs_size(), 0);
    if (c.message.empty()) {
      EXPECT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
    } else {
      EXPECT_EQ(result.status(), v1::NODE_FAILED);
      EXPECT_EQ(result.error().code(), v1::COMPILE_ERROR);
      EXPECT_EQ(result.error().message(), c.message);
    }
  }
}

// Top-level statements would print, or hang; a check must do neither.
TEST(CheckCodeTest, UserCodeIsNotRun) {
  for (const auto& [language, code] : std::vector<std::pair<v1::CodeNode::Language, std::string>>{
           {v1::CodeNode::PYTHON3,
            "print('ran')\nwhile True:\n    pass\ndef main():\n    return {}\n"},
           {v1::CodeNode::JAVASCRIPT,
            "console.log('ran');\nwhile (true) {}\nfunction main() {\n  return {};\n}\n"},
       }) {
    SCOPED_TRACE(code);
    const absl::Time start = absl::Now();
    v1::NodeResult result = Check({"", language, code, {}, ""});
    EXPECT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
    EXPECT_EQ(result.stdout(), "");
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  }
}

TEST(CheckCodeTest, ChecksHaveAShortDeadline) {
  v1::Job job = MakeJob(v1::CodeNode::PYTHON3, "", v1::Job::CHECK_CODE);
  job.mutable_limits()->set_timeout_ms(60000);
  EXPECT_EQ(JobTimeout(job), kCheckCodeTimeout);
  job.mutable_limits()->set_timeout_ms(500);
  EXPECT_EQ(JobTimeout(job), absl::Milliseconds(500));
  job.set_kind(v1::Job::RUN_CODE);
  job.mutable_limits()->set_timeout_ms(60000);
  EXPECT_EQ(JobTimeout(job), absl::Seconds(60));
}

}  // namespace
}  // namespace flowgrid::job
