// The JavaScript runtime end to end, on the image's real /usr/bin/node.
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/value_json.h"
#include "common/value_types.h"
#include "gtest/gtest.h"
#include "tests/unit/worker/job_testing.h"
#include "worker/job/job_runner.h"
#include "worker/runtimes/node/node_runtime.h"

namespace flowgrid::job {
namespace {

v1::Job NodeJob(const std::string& code) { return MakeJob(v1::CodeNode::JAVASCRIPT, code); }

TEST(NodeJobTest, MainTakesTheInputsObjectInEveryForm) {
  struct Case {
    std::string name;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"function declaration",
       "function main({a, b}) {\n  return {sum: a + b, text: `${a}+${b}`};\n}\n"},
      {"async function",
       "async function main({a, b}) {\n"
       "  await new Promise((resolve) => setTimeout(resolve, 5));\n"
       "  return {sum: a + b, text: `${a}+${b}`};\n"
       "}\n"},
      {"const arrow", "const main = ({a, b}) => ({sum: a + b, text: `${a}+${b}`});\n"},
      {"async arrow, no trailing newline",
       "const main = async (inputs) =>\n"
       "  ({sum: inputs.a + inputs.b, text: `${inputs.a}+${inputs.b}`})"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::Job job = NodeJob(c.code);
    (*job.mutable_inputs())["a"] = IntValue(40);
    (*job.mutable_inputs())["b"] = IntValue(2);
    (*job.mutable_outputs())["sum"] = MakeType(v1::Type::NUMBER);
    (*job.mutable_outputs())["text"] = MakeType(v1::Type::STRING);
    v1::NodeResult result = RunJob(job);
    ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
    EXPECT_EQ(result.outputs().at("sum").int_value(), 42);
    EXPECT_EQ(result.outputs().at("text").string_value(), "40+2");
  }
}

TEST(NodeJobTest, ConsoleIsCapturedAndUndeclaredOutputsWarn) {
  v1::Job job = NodeJob(
      "function main() {\n"
      "  console.log('hello', {n: 1});\n"
      "  console.error('to stderr');\n"
      "  return {answer: 'real', extra: 1, when: new Date(0)};\n"
      "}\n");
  (*job.mutable_outputs())["answer"] = MakeType(v1::Type::STRING);
  (*job.mutable_outputs())["when"] = MakeType(v1::Type::STRING);
  v1::NodeResult result = RunJob(job);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.outputs().at("answer").string_value(), "real");
  EXPECT_EQ(result.outputs().at("when").string_value(), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(result.stdout(), "hello { n: 1 }\n");
  EXPECT_EQ(result.stderr(), "to stderr\n");
  ASSERT_EQ(result.warnings_size(), 1);
  EXPECT_EQ(result.warnings(0), "Output \"extra\" is not declared and was dropped.");
}

TEST(NodeJobTest, UserErrorHasUserRelativeStackWithoutHarnessFrames) {
  v1::Job job = NodeJob(
      "// a comment line\n"
      "function helper(x) {\n"
      "  return x.y.z;\n"
      "}\n"
      "function main() {\n"
      "  return {r: helper({})};\n"
      "}\n");
  v1::NodeResult result = RunJob(job);
  ASSERT_EQ(result.status(), v1::NODE_FAILED);
  EXPECT_EQ(result.error().code(), v1::RUNTIME_ERROR);
  EXPECT_EQ(result.error().message(),
            "TypeError: Cannot read properties of undefined (reading 'z')");
  EXPECT_EQ(result.error().traceback(),
            "TypeError: Cannot read properties of undefined (reading 'z')\n"
            "    at helper (<code>:3:14)\n"
            "    at main (<code>:6:14)");
}

TEST(NodeJobTest, ThrownNonErrorAndLateErrorsAreRuntimeErrors) {
  ExpectFailure(NodeJob("function main() {\n  throw 'boom';\n}\n"), v1::RUNTIME_ERROR,
                "Uncaught 'boom'");
  ExpectFailure(NodeJob("function main() {\n"
                        "  setTimeout(() => { throw new RangeError('late'); }, 1);\n"
                        "  return new Promise(() => {});\n"
                        "}\n"),
                v1::RUNTIME_ERROR, "RangeError: late");
  ExpectFailure(NodeJob("async function main() {\n  await new Promise(() => {});\n}\n"),
                v1::RUNTIME_ERROR, "main() returned a promise that never settled");
}

TEST(NodeJobTest, SyntaxErrorIsACompileErrorAtTheUserLine) {
  v1::NodeResult result = RunJob(NodeJob("const x = 1;\nfunction main() {\n  return x +;\n}\n"));
  EXPECT_EQ(result.error().code(), v1::COMPILE_ERROR);
  EXPECT_EQ(result.error().message(), "SyntaxError: Unexpected token ';' (line 3)");
  EXPECT_EQ(result.error().traceback(),
            "<code>:3\n"
            "  return x +;\n"
            "            ^\n"
            "\n"
            "SyntaxError: Unexpected token ';'");
  // Incomplete code: the error is still in the user's last line, not in
  // what the harness appends.
  ExpectFailure(NodeJob("function main() {\n  return {};"), v1::COMPILE_ERROR,
                "SyntaxError: Unexpected end of input (line 2)");
}

TEST(NodeJobTest, MissingMainAndNonObjectResults) {
  ExpectFailure(NodeJob("function mian() {\n  return {};\n}\n"), v1::RUNTIME_ERROR,
                "main() is not defined");

  struct Case {
    std::string returned;
    std::string got;
  };
  const std::vector<Case> cases = {
      {"[1, 2]", "array"}, {"null", "null"}, {"undefined", "undefined"},
      {"'text'", "string"}, {"new Map()", "Map"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.returned);
    ExpectFailure(NodeJob("function main() {\n  return " + c.returned + ";\n}\n"),
                  v1::INVALID_RESULT, "main() must return an object, got " + c.got);
  }
}

TEST(NodeJobTest, NonJsonValuesAreInvalidNamingTheOutputAndWhatTheyAre) {
  struct Case {
    std::string returned;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"{n: NaN}", "Output \"n\" is not JSON-serializable: n is NaN."},
      {"{n: [1, {x: -Infinity}]}", "Output \"n\" is not JSON-serializable: n[1].x is -Infinity."},
      {"{big: 2n ** 64n}", "Output \"big\" is not JSON-serializable: big is a BigInt."},
      {"{u: undefined}", "Output \"u\" is not JSON-serializable: u is undefined."},
      {"{f: () => 1}", "Output \"f\" is not JSON-serializable: f is a function."},
      {"{m: new Map([[1, 2]])}", "Output \"m\" is not JSON-serializable: m is a Map."},
      {"{s: new Set()}", "Output \"s\" is not JSON-serializable: s is a Set."},
      {"{p: {later: Promise.resolve(1)}}",
       "Output \"p\" is not JSON-serializable: p.later is a Promise."},
      {"(() => { const c = {}; c.self = c; return {c}; })()",
       "Output \"c\" is not JSON-serializable: c.self is a circular reference."},
      {"{t: '\\ud800'}", "Output \"t\" is not JSON-serializable: t is a string with a lone "
                         "surrogate."},
      {"{o: {'\\udc80': 1}}",
       "Output \"o\" is not JSON-serializable: o has a key with a lone surrogate."},
      {"{'\\udc80': 1}", "main() returned a key with a lone surrogate: \"\\udc80\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.returned);
    ExpectFailure(NodeJob("function main() {\n  return " + c.returned + ";\n}\n"),
                  v1::INVALID_RESULT, c.message);
  }
}

TEST(NodeJobTest, MissingDeclaredOutput) {
  v1::Job job = NodeJob("function main() {\n  return {a: 1};\n}\n");
  (*job.mutable_outputs())["a"] = MakeType(v1::Type::NUMBER);
  (*job.mutable_outputs())["X"] = MakeType(v1::Type::STRING);
  ExpectFailure(job, v1::INVALID_RESULT, "Output X is missing.");
}

TEST(NodeJobTest, OnlyAllowListedModulesCanBeRequired) {
  v1::Job job = NodeJob(
      "function main() {\n"
      "  const crypto = require('node:crypto');\n"
      "  const { Buffer } = require('buffer');\n"
      "  const mac = crypto.createHmac('sha256', 'k').update('m').digest('hex').slice(0, 8);\n"
      "  return {mac, q: require('querystring').escape('a b'),\n"
      "          host: new (require('url').URL)('http://example.com/x').host,\n"
      "          b64: Buffer.from('hi').toString('base64')};\n"
      "}\n");
  for (const char* output : {"mac", "q", "host", "b64"}) {
    (*job.mutable_outputs())[output] = MakeType(v1::Type::STRING);
  }
  v1::NodeResult result = RunJob(job);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.outputs().at("mac").string_value(), "b60090e3");
  EXPECT_EQ(result.outputs().at("q").string_value(), "a%20b");
  EXPECT_EQ(result.outputs().at("host").string_value(), "example.com");
  EXPECT_EQ(result.outputs().at("b64").string_value(), "aGk=");

  for (const std::string module :
       {"fs", "child_process", "net", "http", "https", "dgram", "dns", "tls", "cluster", "vm",
        "worker_threads", "os", "node:fs", "module"}) {
    SCOPED_TRACE(module);
    result = RunJob(NodeJob("function main() {\n  require('" + module + "');\n}\n"));
    EXPECT_EQ(result.error().code(), v1::RUNTIME_ERROR);
    EXPECT_EQ(result.error().message(),
              "Error: Module \"" + module + "\" is not allowed in code nodes");
    EXPECT_EQ(result.error().traceback(),
              "Error: Module \"" + module + "\" is not allowed in code nodes\n"
              "    at main (<code>:2:3)");
  }
  // crypto is a subset of the module: no engine (shared library) loading.
  job = NodeJob("function main() {\n  return {t: typeof require('crypto').setEngine};\n}\n");
  (*job.mutable_outputs())["t"] = MakeType(v1::Type::STRING);
  result = RunJob(job);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.outputs().at("t").string_value(), "undefined");
}

// Node's own objects that hold process or require are gone from the
// globals before user code runs, so neither direct use nor code built from
// strings finds them.
TEST(NodeJobTest, HostObjectsAreOutOfReach) {
  struct Case {
    std::string expression;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"process.binding('spawn_sync')", "ReferenceError: process is not defined"},
      {"this.constructor.constructor('return process')()",
       "ReferenceError: process is not defined"},
      {"Function('return require')()('child_process')", "ReferenceError: require is not defined"},
      {"eval('module')", "ReferenceError: module is not defined"},
      // import() has no module loader in user code, even from a string.
      {"await Function('return import(\"child_process\")')()",
       "TypeError: A dynamic import callback was not specified."},
      {"await import('child_process')", "TypeError: A dynamic import callback was not specified."},
      {"fetch('http://127.0.0.1/')", "ReferenceError: fetch is not defined"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.expression);
    ExpectFailure(NodeJob("async function main() {\n  return {x: " + c.expression + "};\n}\n"),
                  v1::RUNTIME_ERROR, c.message);
  }
  v1::Job job = NodeJob(
      "function main() {\n"
      "  return {globals: ['process', 'module', 'exports', 'globalThis.require',\n"
      "                    'globalThis.process']\n"
      "    .filter((name) => eval(`typeof ${name}`) !== 'undefined').join(',')};\n"
      "}\n");
  (*job.mutable_outputs())["globals"] = MakeType(v1::Type::STRING);
  v1::NodeResult result = RunJob(job);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.outputs().at("globals").string_value(), "");
}

TEST(NodeJobTest, InfiniteLoopIsKilledAtTheDeadline) {
  v1::Job job = NodeJob("function main() {\n  while (true) {}\n}\n");
  job.mutable_limits()->set_timeout_ms(400);
  const absl::Time start = absl::Now();
  v1::NodeResult result = RunJob(job);
  EXPECT_EQ(result.error().code(), v1::TIMEOUT);
  EXPECT_EQ(result.error().message(), "Execution timed out after 400 ms");
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

TEST(NodeJobTest, LargeIntegersLosePrecisionInJavaScript) {
  // JavaScript numbers are doubles: 2^53 + 1 arrives as 2^53. Documented in
  // worker/README.md; Python keeps int64 exactly.
  v1::Job job = NodeJob("function main({n}) {\n  return {n};\n}\n");
  (*job.mutable_inputs())["n"] = IntValue(9007199254740993);
  (*job.mutable_outputs())["n"] = MakeType(v1::Type::NUMBER);
  v1::NodeResult result = RunJob(job);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.outputs().at("n").int_value(), 9007199254740992);
}

TEST(NodeRuntimeTest, MemoryLimitBoundsTheV8Heap) {
  v1::Job job = NodeJob("function main() { return {}; }");
  absl::StatusOr<sandbox::SandboxRequest> request =
      runtimes::node::NodeSandboxRequest(job, "/usr/bin/node");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->argv[1], "--v8-pool-size=0");
  EXPECT_TRUE(request->env.empty());

  job.mutable_limits()->set_memory_bytes(int64_t{256} << 20);
  request = runtimes::node::NodeSandboxRequest(job, "/usr/bin/node");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->argv[1], "--max-old-space-size=256");
}

TEST(NodeJobTest, WithoutNodeJavaScriptIsInvalidInputAndNotAdvertised) {
  JobRunnerOptions options;
  options.node_path.clear();
  const JobRunner runner(options);
  v1::NodeResult result = runner.Run(NodeJob("function main() { return {}; }"), -1);
  EXPECT_EQ(result.error().code(), v1::INVALID_INPUT);
  EXPECT_EQ(result.error().message(), "Language JAVASCRIPT is not supported by this worker.");
  EXPECT_EQ(runner.Runtimes(), std::vector<v1::CodeNode::Language>{v1::CodeNode::PYTHON3});
  EXPECT_EQ(JobRunner(JobRunnerOptions{}).Runtimes(),
            (std::vector<v1::CodeNode::Language>{v1::CodeNode::PYTHON3,
                                                 v1::CodeNode::JAVASCRIPT}));
}

}  // namespace
}  // namespace flowgrid::job
