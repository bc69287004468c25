// The Python runtime and the supervisor end to end, on Debian's real
// /usr/bin/python3.
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/value_json.h"
#include "common/value_types.h"
#include "gtest/gtest.h"
#include "tests/unit/worker/job_testing.h"
#include "worker/job/job_runner.h"
#include "worker/sandbox/unique_fd.h"

namespace flowgrid::job {
namespace {

v1::Job PythonJob(const std::string& code) { return MakeJob(v1::CodeNode::PYTHON3, code); }

// The import allow-list is guidance, not a boundary: an allowed module hands
// out `os`. The supervision tests play code that does so.
constexpr char kOsPastTheAllowList[] = "import random\nos = random._os\n";

// Whether no host process has `needle` in its command line (waiting up to
// a second for the kernel to finish killing).
bool NoHostProcessWith(const std::string& needle) {
  for (int i = 0; i < 100; ++i) {
    bool found = false;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      std::ifstream cmdline(entry.path() / "cmdline");
      std::stringstream content;
      content << cmdline.rdbuf();
      if (content.str().find(needle) != std::string::npos) found = true;
    }
    if (!found) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

TEST(PythonJobTest, HelloJobReturnsDeclaredOutputs) {
  v1::Job job = PythonJob(
      "def main(name: str, n: int) -> dict:\n"
      "    return {'greeting': 'hello ' + name, 'double': n * 2, 'extra': 1}\n");
  (*job.mutable_inputs())["name"] = StringValue("flowgrid");
  (*job.mutable_inputs())["n"] = IntValue(21);
  (*job.mutable_outputs())["greeting"] = MakeType(v1::Type::STRING);
  (*job.mutable_outputs())["double"] = MakeType(v1::Type::NUMBER);

  v1::NodeResult result = RunJob(job);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.outputs().at("greeting").string_value(), "hello flowgrid");
  EXPECT_EQ(result.outputs().at("double").int_value(), 42);
  EXPECT_FALSE(result.outputs().contains("extra"));
  ASSERT_EQ(result.warnings_size(), 1);
  EXPECT_EQ(result.warnings(0), "Output \"extra\" is not declared and was dropped.");
  EXPECT_GT(result.usage().wall_us(), 0);
  EXPECT_GT(result.usage().cpu_us(), 0);
  EXPECT_GT(result.usage().peak_memory_bytes(), 1 << 20);
}

TEST(PythonJobTest, UserExceptionHasUserRelativeTracebackWithoutHarnessFrames) {
  v1::Job job = PythonJob(
      "def helper(x):\n"
      "    return 1 / x\n"
      "def main() -> dict:\n"
      "    return {'r': helper(0)}\n");
  (*job.mutable_outputs())["r"] = MakeType(v1::Type::NUMBER);

  v1::NodeResult result = RunJob(job);
  ASSERT_EQ(result.status(), v1::NODE_FAILED);
  EXPECT_EQ(result.error().code(), v1::RUNTIME_ERROR);
  EXPECT_EQ(result.error().message(), "ZeroDivisionError: division by zero");
  const std::string& traceback = result.error().traceback();
  EXPECT_NE(traceback.find("File \"<code>\", line 4, in main"), std::string::npos) << traceback;
  EXPECT_NE(traceback.find("File \"<code>\", line 2, in helper"), std::string::npos) << traceback;
  EXPECT_NE(traceback.find("return 1 / x"), std::string::npos) << traceback;
  EXPECT_EQ(traceback.find("harness"), std::string::npos) << traceback;
  EXPECT_EQ(traceback.find("File \"<string>\""), std::string::npos) << traceback;
  EXPECT_EQ(traceback.find("in run"), std::string::npos) << traceback;
}

TEST(PythonJobTest, SyntaxErrorIsACompileErrorAtTheUserLine) {
  v1::NodeResult result = RunJob(PythonJob("x = 1\ndef main(:\n    pass\n"));
  ASSERT_EQ(result.error().code(), v1::COMPILE_ERROR);
  EXPECT_EQ(result.error().message(), "SyntaxError: invalid syntax (line 2)");
  EXPECT_EQ(result.error().traceback(),
            "  File \"<code>\", line 2\n"
            "    def main(:\n"
            "             ^\n"
            "SyntaxError: invalid syntax\n");
}

TEST(PythonJobTest, MissingMainIsAClearError) {
  ExpectFailure(PythonJob("def mian():\n    return {}\n"), v1::RUNTIME_ERROR,
                "main() is not defined");
}

TEST(PythonJobTest, NonDictResultIsInvalid) {
  v1::NodeResult result = RunJob(PythonJob("def main():\n    return [1, 2]\n"));
  EXPECT_EQ(result.error().code(), v1::INVALID_RESULT);
  EXPECT_EQ(result.error().message(), "main() must return a dict, got list");
}

TEST(PythonJobTest, NonJsonValuesAreInvalidNamingTheOutputAndWhatTheyAre) {
  struct Case {
    std::string returned;  // main's body
    std::string message;
  };
  const std::vector<Case> cases = {
      {"return {'f': float('nan')}", "Output \"f\" is not JSON-serializable: f is NaN."},
      {"return {'f': [1, {'x': -float('inf')}]}",
       "Output \"f\" is not JSON-serializable: f[1].x is -Infinity."},
      {"return {'s': {1, 2}}", "Output \"s\" is not JSON-serializable: s is a set object."},
      {"return {'b': b'raw'}", "Output \"b\" is not JSON-serializable: b is a bytes object."},
      {"d = {}\n    d['me'] = d\n    return {'c': d}",
       "Output \"c\" is not JSON-serializable: c.me is a circular reference."},
      {"class Point: pass\n    return {'p': Point()}",
       "Output \"p\" is not JSON-serializable: p is a Point object."},
      {"return {'k': {1: 'one'}}",
       "Output \"k\" is not JSON-serializable: k has a key that is not a string: 1."},
      {"return {'t': '\\ud800'}",
       "Output \"t\" is not JSON-serializable: t is a string with a lone surrogate."},
      {"x = []\n    for _ in range(30): x = [x]\n    return {'deep': x}",
       "Output \"deep\" is not JSON-serializable: deep[0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
       "[0][0][0][0][0][0] is nested more than 20 levels deep."},
      {"return {'o': {'\\udc80': 1}}",
       "Output \"o\" is not JSON-serializable: o has a key with a lone surrogate."},
      {"return {1: 'x'}", "main() must return a dict with string keys, got key 1"},
      {"return {'\\udc80': 1}", "main() returned a key with a lone surrogate: '\\udc80'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.returned);
    ExpectFailure(PythonJob("def main():\n    " + c.returned + "\n"), v1::INVALID_RESULT,
                  c.message);
  }
}

TEST(PythonJobTest, TuplesAndSharedValuesAreJson) {
  v1::Job job = PythonJob(
      "def main():\n"
      "    shared = [1]\n"
      "    return {'pair': (shared, shared)}\n");
  (*job.mutable_outputs())["pair"] = MakeType(v1::Type::ARRAY_ANY);
  v1::NodeResult result = RunJob(job);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.outputs().at("pair").list_value().items_size(), 2);
}

TEST(PythonJobTest, OnlyAllowListedModulesCanBeImported) {
  v1::Job job = PythonJob(
      "from __future__ import annotations\n"
      "import base64, bisect, collections.abc, copy, csv, datetime, decimal, fractions\n"
      "import functools, hashlib, heapq, hmac, html, itertools, json, math, operator\n"
      "import random, re, statistics, string, textwrap, time, typing, unicodedata\n"
      "import urllib.parse, uuid\n"
      "from urllib import parse\n"
      "from typing import List\n"
      "def main() -> dict:\n"
      "    mac = hmac.new(b'k', b'm', hashlib.sha256).hexdigest()[:8]\n"
      "    return {'mac': mac, 'q': parse.quote('a b'), 'id': len(str(uuid.uuid4()))}\n");
  (*job.mutable_outputs())["mac"] = MakeType(v1::Type::STRING);
  (*job.mutable_outputs())["q"] = MakeType(v1::Type::STRING);
  (*job.mutable_outputs())["id"] = MakeType(v1::Type::NUMBER);
  v1::NodeResult result = RunJob(job);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.outputs().at("mac").string_value(), "b60090e3");
  EXPECT_EQ(result.outputs().at("q").string_value(), "a%20b");
  EXPECT_EQ(result.outputs().at("id").int_value(), 36);

  struct Case {
    std::string statement;
    std::string module;
  };
  const std::vector<Case> rejected = {
      {"import os", "os"},
      {"import subprocess", "subprocess"},
      {"import socket", "socket"},
      {"import ctypes", "ctypes"},
      {"import sys", "sys"},
      {"import importlib", "importlib"},
      {"import os.path", "os.path"},
      {"from os import system", "os"},
      {"import urllib.request", "urllib.request"},
      {"from urllib import request", "urllib.request"},
      {"__import__('os')", "os"},
      {"exec('import os')", "os"},
      // The real builtins (and their __import__) stay out of reach.
      {"import builtins", "builtins"},
  };
  for (const Case& c : rejected) {
    SCOPED_TRACE(c.statement);
    result = RunJob(PythonJob("def main():\n    " + c.statement + "\n    return {}\n"));
    EXPECT_EQ(result.error().code(), v1::RUNTIME_ERROR);
    EXPECT_EQ(result.error().message(),
              "ImportError: Module \"" + c.module + "\" is not allowed in code nodes");
    EXPECT_NE(result.error().traceback().find("File \"<code>\", line 2, in main"),
              std::string::npos)
        << result.error().traceback();
  }
}

TEST(PythonJobTest, PrintsAreCapturedAndCannotForgeTheResult) {
  v1::Job job = PythonJob(
      std::string(kOsPastTheAllowList) +
      "def main() -> dict:\n"
      "    print('{\"ok\": true, \"result\": {\"answer\": \"forged\"}}')\n"
      "    os.write(2, b'to stderr\\n')\n"
      "    return {'answer': 'real'}\n");
  (*job.mutable_outputs())["answer"] = MakeType(v1::Type::STRING);

  v1::NodeResult result = RunJob(job);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.outputs().at("answer").string_value(), "real");
  EXPECT_EQ(result.stdout(), "{\"ok\": true, \"result\": {\"answer\": \"forged\"}}\n");
  EXPECT_EQ(result.stderr(), "to stderr\n");
  EXPECT_FALSE(result.stdout_truncated());
}

TEST(PythonJobTest, Int64ExtremesSurviveTheRoundTrip) {
  v1::Job job = PythonJob(
      "def main(big: int, small: int) -> dict:\n"
      "    assert big == 9223372036854775807, big\n"
      "    return {'big': big, 'small': small, 'sum': big + small}\n");
  (*job.mutable_inputs())["big"] = IntValue(9223372036854775807);
  (*job.mutable_inputs())["small"] = IntValue(-9223372036854775807 - 1);
  (*job.mutable_outputs())["big"] = MakeType(v1::Type::NUMBER);
  (*job.mutable_outputs())["small"] = MakeType(v1::Type::NUMBER);
  (*job.mutable_outputs())["sum"] = MakeType(v1::Type::NUMBER);

  v1::NodeResult result = RunJob(job);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.outputs().at("big").int_value(), 9223372036854775807);
  EXPECT_EQ(result.outputs().at("small").int_value(), -9223372036854775807 - 1);
  EXPECT_EQ(result.outputs().at("sum").int_value(), -1);
}

TEST(PythonJobTest, IntegerBeyondInt64NamesTheOutput) {
  v1::Job job = PythonJob("def main():\n    return {'huge': 2 ** 70}\n");
  (*job.mutable_outputs())["huge"] = MakeType(v1::Type::NUMBER);
  v1::NodeResult result = RunJob(job);
  EXPECT_EQ(result.error().code(), v1::INVALID_RESULT);
  EXPECT_EQ(result.error().message().rfind("Output \"huge\": integer 1180591620717411303424 "
                                           "is outside the int64 range",
                                           0),
            0u)
      << result.error().message();
}

TEST(PythonJobTest, InfiniteLoopIsKilledAtTheDeadline) {
  v1::Job job = PythonJob(
      std::string(kOsPastTheAllowList) +
      "def main():\n"
      "    print(os.getpid(), flush=True)\n"
      "    while True:\n"
      "        pass\n");
  job.mutable_limits()->set_timeout_ms(300);

  const absl::Time start = absl::Now();
  v1::NodeResult result = RunJob(job);
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(result.error().code(), v1::TIMEOUT);
  EXPECT_EQ(result.error().message(), "Execution timed out after 300 ms");
  EXPECT_GE(elapsed, absl::Milliseconds(300));
  EXPECT_LT(elapsed, absl::Seconds(2));
  // The job is pid 1 of its own pid namespace (the kernel sandbox);
  // KernelSandboxTest checks that nothing of it outlives it.
  EXPECT_EQ(result.stdout(), "1\n");
}

TEST(PythonJobTest, BackgroundProcessOfTheJobIsKilled) {
  // The shell prints the pid of the background sleep, then exits at once:
  // the job finishes normally while `sleep` would live on.
  v1::Job job = PythonJob(
      std::string(kOsPastTheAllowList) +
      "def main():\n"
      "    os.system('sleep 30.4242 > /dev/null &')\n"
      "    return {}\n");
  v1::NodeResult result = RunJob(job);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_TRUE(NoHostProcessWith("30.4242"));
}

TEST(PythonJobTest, StdoutFloodIsTruncatedWithFlag) {
  v1::Job job = PythonJob(
      "def main():\n"
      "    for _ in range(20000):\n"
      "        print('x' * 99)\n"
      "    return {'done': True}\n");
  job.mutable_limits()->set_max_output_bytes(1000);
  (*job.mutable_outputs())["done"] = MakeType(v1::Type::BOOLEAN);

  v1::NodeResult result = RunJob(job);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.error().message();
  EXPECT_TRUE(result.stdout_truncated());
  EXPECT_FALSE(result.stderr_truncated());
  EXPECT_EQ(result.stdout().substr(0, 100), std::string(99, 'x') + "\n");
  EXPECT_NE(result.stdout().find("[flowgrid: output truncated, 1999000 more bytes dropped]"),
            std::string::npos)
      << result.stdout().substr(1000);
}

TEST(PythonJobTest, CancelKillsTheJobAndReportsCancelled) {
  sandbox::UniqueFd cancel(::eventfd(0, EFD_CLOEXEC));
  ASSERT_TRUE(cancel.valid());
  v1::Job job = PythonJob("import time\ndef main():\n    time.sleep(30)\n    return {}\n");
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(100));
    const uint64_t one = 1;
    ASSERT_EQ(::write(cancel.get(), &one, sizeof(one)), 8);
  });
  const absl::Time start = absl::Now();
  v1::NodeResult result = RunJob(job, cancel.get());
  canceller.join();
  EXPECT_EQ(result.error().code(), v1::CANCELLED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

TEST(PythonJobTest, ExitWithoutResultIsRuntimeError) {
  v1::NodeResult result =
      RunJob(PythonJob(std::string(kOsPastTheAllowList) + "def main():\n    os._exit(3)\n"));
  EXPECT_EQ(result.error().code(), v1::RUNTIME_ERROR);
  EXPECT_EQ(result.error().message(), "The process exited with code 3 without a result.");
}

}  // namespace
}  // namespace flowgrid::job
