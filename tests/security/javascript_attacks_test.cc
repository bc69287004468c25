// Hostile JavaScript code nodes. Each case asserts the verdict and that the
// attack had no effect; AttackTest's TearDown then proves the worker
// unharmed. See README.md.
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/security/attack_suite.h"

namespace flowgrid::security {
namespace {

using JavaScriptAttackTest = AttackTest;

// main() returns `value` as the output "x"; the harness refuses it, naming
// what has no JSON form.
void ExpectResultRefused(const std::string& value, const std::string& problem) {
  SCOPED_TRACE(value);
  v1::NodeResult result = RunNode(absl::StrCat("function main() { return {x: ", value, "}; }\n"));
  ExpectFailure(result, v1::INVALID_RESULT,
                absl::StrCat("Output \"x\" is not JSON-serializable: ", problem, "."));
  EXPECT_TRUE(result.outputs().empty());
}

// A memory bomb under a 128 MiB limit (Node itself takes ~40 MiB): either
// the slot cgroup's OOM killer or V8's own heap limit ends it.
void ExpectMemoryBombStopped(const std::string& code) {
  constexpr int64_t kLimit = 128 * kMiB;
  v1::NodeResult result = RunNode(code, JobLimits(kMemoryBombDeadline, kLimit));
  EXPECT_EQ(result.status(), v1::NODE_FAILED) << result.DebugString();
  if (result.error().code() == v1::RUNTIME_ERROR) {
    EXPECT_EQ(result.error().message(),
              "The process was killed by signal 6 (SIGABRT) before returning a result.");
    EXPECT_NE(result.stderr().find("JavaScript heap out of memory"), std::string::npos)
        << result.stderr();
  } else {
    ExpectFailure(result, v1::MEMORY_LIMIT, "Memory limit of 128 MiB exceeded");
  }
  EXPECT_LE(result.usage().peak_memory_bytes(), kLimit);
}

void ExpectTimeout(const std::string& code) {
  v1::NodeResult result = RunNode(code, JobLimits(absl::Seconds(1)));
  ExpectFailure(result, v1::TIMEOUT, "Execution timed out after 1000 ms");
}

TEST_F(JavaScriptAttackTest, InfiniteLoopIsKilledAtTheDeadline) {
  ExpectTimeout("function main() { while (true) {} }\n");
}

TEST_F(JavaScriptAttackTest, EndlessMicrotasksAreKilledAtTheDeadline) {
  // Microtasks starve the event loop (timers never run), so only the
  // worker's deadline can end it.
  ExpectTimeout(
      "function main() {\n"
      "  const spin = () => queueMicrotask(spin);\n"
      "  spin();\n"
      "  return new Promise(() => {});\n"
      "}\n");
}

TEST_F(JavaScriptAttackTest, EndlessAwaitIsKilledAtTheDeadline) {
  ExpectTimeout("async function main() { for (;;) await null; }\n");
}

TEST_F(JavaScriptAttackTest, AtomicsWaitIsKilledAtTheDeadline) {
  ExpectTimeout(
      "function main() {\n"
      "  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);\n"
      "  return {};\n"
      "}\n");
}

TEST_F(JavaScriptAttackTest, WebAssemblyLoopIsKilledAtTheDeadline) {
  // (module (func (export "f") (loop (br 0))))
  ExpectTimeout(
      "function main() {\n"
      "  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1,\n"
      "                                0, 7, 5, 1, 1, 102, 0, 0, 10, 9, 1, 7, 0, 3, 64, 12, 0,\n"
      "                                11, 11]);\n"
      "  new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f();\n"
      "}\n");
}

TEST_F(JavaScriptAttackTest, BusyThreadPoolGetsNoMoreThanTheDeadline) {
  // Key derivation runs on libuv's thread pool: four threads burning CPU at
  // once. They end with the job (TearDown finds the slot empty).
  v1::NodeResult result = RunNode(R"js(
async function main() {
  const { subtle } = require('crypto');
  const key = await subtle.importKey('raw', new Uint8Array(16), 'PBKDF2', false, ['deriveBits']);
  const burn = () => subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-512', salt: new Uint8Array(16), iterations: 1e9 }, key, 256);
  await Promise.all([burn(), burn(), burn(), burn()]);
  return {};
}
)js",
                                  JobLimits(absl::Seconds(1)));
  EXPECT_EQ(result.status(), v1::NODE_FAILED) << result.DebugString();
  EXPECT_TRUE(result.error().code() == v1::TIMEOUT || result.error().code() == v1::CPU_LIMIT)
      << result.DebugString();
  EXPECT_LT(result.usage().wall_us(), 3'000'000);
}

TEST_F(JavaScriptAttackTest, HostObjectsStayOutOfReach) {
  v1::NodeResult result = RunNode(
      "function main() {\n"
      "  let p; try { p = this.constructor.constructor('return process')(); } catch (e) {}\n"
      "  console.log(p !== undefined);\n"
      "  return {};\n"
      "}\n");
  ExpectPrinted(result, "false\n");
}

TEST_F(JavaScriptAttackTest, ProcessBindingIsUnreachable) {
  // Every path known to lead back to `process` (and its binding, dlopen,
  // mainModule.require): globals, code from strings in every function
  // flavour, the require given to user code, and the frames of the
  // harness seen through structured stack traces.
  v1::NodeResult result = RunNode(R"js(
async function main() {
  const frames = () => {
    const saved = Error.prepareStackTrace;
    Error.prepareStackTrace = (_, sites) => sites;
    const sites = new Error().stack;
    Error.prepareStackTrace = saved;
    return sites.flatMap((site) => [site.getThis(), site.getFunction()]);
  };
  const probes = {
    global: () => globalThis.process,
    Function: () => Function('return process')(),
    indirectEval: () => (0, eval)('process'),
    constructorChain: () => this.constructor.constructor('return process')(),
    asyncFunction: () => (async () => {}).constructor('return process')(),
    generator: () => (function* () {}).constructor('return process')().next().value,
    Buffer: () => Buffer.constructor('return process')(),
    allowedModule: () => require('buffer').constructor.constructor('return process')(),
    requireMain: () => require.main,
    requireProcess: () => require('process'),
    requireNodeProcess: () => require('node:process'),
    moduleGlobal: () => module,
    caller: () => main.caller,
    frames: () => frames().find((v) => v && (v.binding || v.dlopen || v.mainModule)),
  };
  const reached = [];
  for (const [name, probe] of Object.entries(probes)) {
    try {
      const found = await probe();
      if (found && (found.binding || found.dlopen || found.mainModule || found.require)) {
        reached.push(name);
      }
    } catch {}
  }
  console.log(JSON.stringify(reached));
  return {};
}
)js");
  ExpectPrinted(result, "[]\n");
}

TEST_F(JavaScriptAttackTest, ProcessObjectIsAbsent) {
  v1::NodeResult result = RunNode(
      "function main() {\n"
      "  console.log(typeof process, typeof globalThis.process);\n"
      "  return {};\n"
      "}\n");
  ExpectPrinted(result, "undefined undefined\n");
}

TEST_F(JavaScriptAttackTest, GlobalObjectFromStringsHoldsNoHostObjects) {
  v1::NodeResult result = RunNode(
      "function main() {\n"
      "  const g = Function('return this')();\n"
      "  console.log(g === globalThis, typeof g.process, typeof g.require, typeof g.module);\n"
      "  return {};\n"
      "}\n");
  ExpectPrinted(result, "true undefined undefined undefined\n");
}

TEST_F(JavaScriptAttackTest, ForbiddenModulesAreRefused) {
  for (const char* module : {"child_process", "fs", "net", "vm", "worker_threads"}) {
    v1::NodeResult result = RunNode(absl::StrCat("function main() { require('", module,
                                                 "'); return {}; }\n"));
    ExpectFailure(result, v1::RUNTIME_ERROR,
                  absl::StrCat("Error: Module \"", module, "\" is not allowed in code nodes"));
  }
}

TEST_F(JavaScriptAttackTest, FileSystemIsUnreachableThroughRequireVariants) {
  v1::NodeResult result = RunNode(R"js(
function main() {
  const attempts = [
    () => require('node:fs'),
    () => require('fs/promises'),
    () => require('node:fs/promises'),
    () => require('FS'),
    () => require('./fs'),
    () => require('/usr/lib/nodejs/fs'),
    () => require({ toString: () => 'fs' }),
    () => module.constructor._load('fs'),
    () => require.main.require('fs'),
    () => require.cache,
  ];
  let loaded = 0;
  for (const attempt of attempts) {
    try {
      const m = attempt();
      if (m && (typeof m.readFileSync === 'function' || typeof m.readFile === 'function')) {
        loaded += 1;
      }
    } catch {}
  }
  console.log(loaded);
  return {};
}
)js");
  ExpectPrinted(result, "0\n");
}

TEST_F(JavaScriptAttackTest, DynamicImportLoadsNothing) {
  v1::NodeResult result = RunNode(R"js(
async function main() {
  const outcomes = [];
  const specifiers = ['fs', 'node:fs', 'child_process', 'data:text/javascript,export default 1'];
  for (const specifier of specifiers) {
    try {
      await import(specifier);
      outcomes.push('loaded');
    } catch {
      outcomes.push('refused');
    }
  }
  try {
    await eval("import('fs')");
    outcomes.push('loaded');
  } catch {
    outcomes.push('refused');
  }
  console.log(outcomes.join(' '));
  return {};
}
)js");
  ExpectPrinted(result, "refused refused refused refused refused\n");
}

TEST_F(JavaScriptAttackTest, PollutedPrototypesDoNotLeakToTheNextJob) {
  v1::NodeResult planted = RunNode(R"js(
function main() {
  Object.prototype.polluted = 'yes';
  Array.prototype.extra = 1;
  globalThis.leak = 1;
  JSON.parse = () => ({ forged: 1 });
  Math.random = () => 0.5;
  return {};
}
)js");
  ASSERT_EQ(planted.status(), v1::NODE_SUCCEEDED) << planted.DebugString();
  v1::NodeResult probed = RunNode(
      "function main() {\n"
      "  console.log(({}).polluted, [].extra, typeof leak, JSON.parse('{\"a\": 1}').a,\n"
      "              Math.random() === 0.5);\n"
      "  return {};\n"
      "}\n");
  ExpectPrinted(probed, "undefined undefined undefined 1 false\n");
}

TEST_F(JavaScriptAttackTest, VerdictOfTheWorkerCannotBeForged) {
  // The harness serializes its reply with JSON.stringify, which user code
  // can replace: it forges its own reply, never a verdict of the worker.
  v1::NodeResult result = RunNode(
      "function main() {\n"
      "  JSON.stringify = () =>\n"
      "    '{\"ok\": false, \"error\": {\"code\": \"MEMORY_LIMIT\", \"message\": \"forged\"}}';\n"
      "  return {};\n"
      "}\n");
  ExpectFailure(result, v1::INVALID_RESULT, "unknown error code \"MEMORY_LIMIT\"");
}

TEST_F(JavaScriptAttackTest, TimersDoNotOutliveMain) {
  v1::NodeResult result = RunNode(
      "function main() {\n"
      "  setTimeout(() => console.log('after the job'), 20);\n"
      "  setInterval(() => console.log('tick'), 1);\n"
      "  setImmediate(() => { throw new Error('late'); });\n"
      "  return {};\n"
      "}\n");
  ExpectPrinted(result, "");
  EXPECT_EQ(result.stderr(), "");
}

TEST_F(JavaScriptAttackTest, StringMemoryBombIsStopped) {
  // Flat one-MiB strings (toUpperCase copies), kept alive in an array.
  ExpectMemoryBombStopped(
      "function main() {\n"
      "  const hoard = [];\n"
      "  for (let i = 0; ; i++) hoard.push((i + 'x'.repeat(1 << 20)).toUpperCase());\n"
      "}\n");
}

TEST_F(JavaScriptAttackTest, TypedArrayMemoryBombIsStopped) {
  // Array buffers live outside V8's heap: only the cgroup bounds them.
  v1::NodeResult result = RunNode(
      "function main() {\n"
      "  const hoard = [];\n"
      "  for (;;) hoard.push(new Uint8Array(1 << 20).fill(1));\n"
      "}\n",
      JobLimits(kMemoryBombDeadline, 128 * kMiB));
  ExpectFailure(result, v1::MEMORY_LIMIT, "Memory limit of 128 MiB exceeded");
  EXPECT_LE(result.usage().peak_memory_bytes(), 128 * kMiB);
}

TEST_F(JavaScriptAttackTest, HugeStringFailsTheJobOnly) {
  v1::NodeResult result = RunNode("function main() { return {s: 'x'.repeat(2 ** 31)}; }\n");
  EXPECT_EQ(result.status(), v1::NODE_FAILED) << result.DebugString();
}

TEST_F(JavaScriptAttackTest, StackOverflowFailsClearly) {
  v1::NodeResult result = RunNode(
      "function main() {\n"
      "  const down = (n) => down(n + 1) + 1;\n"
      "  return {depth: down(0)};\n"
      "}\n");
  ExpectFailure(result, v1::RUNTIME_ERROR, "RangeError: Maximum call stack size exceeded");
}

TEST_F(JavaScriptAttackTest, OutputFloodIsCapped) {
  v1::NodeResult result = RunNode(
      "function main() {\n"
      "  const line = 'y'.repeat(1000);\n"
      "  for (let i = 0; i < 5000; i++) console.log(line);\n"
      "  for (let i = 0; i < 5000; i++) console.error(line);\n"
      "  return {};\n"
      "}\n");
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_TRUE(result.stdout_truncated());
  EXPECT_TRUE(result.stderr_truncated());
  EXPECT_LT(result.stdout().size(), 2u << 20);
  EXPECT_LT(result.stderr().size(), 2u << 20);
}

TEST_F(JavaScriptAttackTest, HugeResultIsRefused) {
  v1::NodeResult result = RunNode("function main() { return {blob: 'x'.repeat(5 << 20)}; }\n");
  ExpectFailure(result, v1::RESULT_TOO_LARGE, "The result is larger than 4194304 bytes.");
}

TEST_F(JavaScriptAttackTest, DeeplyNestedResultIsRefused) {
  std::string path = "x";
  for (int i = 0; i < 20; ++i) path += "[0]";
  ExpectResultRefused(
      "(() => { let v = []; for (let i = 0; i < 100000; i++) v = [v]; return v; })()",
      absl::StrCat(path, " is nested more than 20 levels deep"));
}

TEST_F(JavaScriptAttackTest, ValuesWithoutAJsonFormAreRefused) {
  ExpectResultRefused("NaN", "x is NaN");
  ExpectResultRefused("[1, -Infinity]", "x[1] is -Infinity");
  ExpectResultRefused("(() => { const o = {}; o.self = o; return o; })()",
                      "x.self is a circular reference");
  ExpectResultRefused("10n", "x is a BigInt");
  ExpectResultRefused("new Map()", "x is a Map");
  ExpectResultRefused("{f() {}}.f", "x is a function");
  ExpectResultRefused("undefined", "x is undefined");
}

TEST_F(JavaScriptAttackTest, BenignCodePathsRunUnderTheFilter) {
  // Not an attack: code nodes doing ordinary things (Intl, crypto, big
  // JSON, RegExp, BigInt, typed arrays, garbage, WebAssembly, timers) must
  // not trip the syscall filter.
  v1::NodeResult result = RunNode(R"js(
async function main() {
  const crypto = require('crypto');
  const out = {};
  out.date = new Intl.DateTimeFormat('de-DE', {dateStyle: 'full', timeZone: 'Asia/Tokyo'})
                 .format(new Date(0));
  out.number = new Intl.NumberFormat('en-IN', {style: 'currency', currency: 'INR'})
                   .format(1234567.891);
  out.collated = ['z', 'ä', 'a'].sort(new Intl.Collator('de').compare).join('');
  out.plural = new Intl.PluralRules('fr').select(1);
  out.locale = new Date(0).toLocaleString('en-US', {timeZone: 'UTC'});
  out.sha256 = crypto.createHash('sha256').update('flowgrid').digest('hex');
  out.hmac = crypto.createHmac('sha1', 'k').update('v').digest('base64');
  out.random = crypto.randomBytes(16).length + crypto.randomUUID().length;
  out.subtle = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('x')))
                   .toString('hex').slice(0, 8);
  const rows = Array.from({length: 50000}, (_, i) => ({i, s: 'v' + i}));
  out.json = JSON.parse(JSON.stringify(rows))[49999].s;
  out.regexp = /(?<y>\d{4})-(?<m>\d{2})/u.exec('on 2024-05').groups.m + /^\p{L}+$/u.test('héllo');
  out.bigint = (2n ** 4000n).toString().length;
  const floats = new Float64Array(2e5).map((_, i) => Math.sin(i)).sort();
  out.typed = floats[0] <= floats[1] && floats[0] >= -1;
  let churn = 0;
  for (let i = 0; i < 5e5; i++) churn += {n: i, s: String(i)}.s.length;
  out.churn = churn;
  const add = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 7, 1, 96, 2, 127, 127, 1, 127, 3, 2,
                              1, 0, 7, 7, 1, 3, 97, 100, 100, 0, 0, 10, 9, 1, 7, 0, 32, 0, 32, 1,
                              106, 11]);
  out.wasm = (await WebAssembly.instantiate(add)).instance.exports.add(2, 3);
  out.timer = await new Promise((resolve) => setTimeout(() => resolve('fired'), 5));
  out.cloned = structuredClone({a: [1, new Date(0)]}).a[1].getTime();
  out.url = new URL('https://example.com/a?b=1').searchParams.get('b');
  out.nfc = 'e\u0301'.normalize('NFC').length;
  console.log(JSON.stringify(out));
  return {};
}
)js",
                                  JobLimits(absl::Seconds(5)));
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  // As plain `node` prints it outside the sandbox.
  EXPECT_EQ(result.stdout(),
            "{\"date\":\"Donnerstag, 1. Januar 1970\",\"number\":\"₹12,34,567.89\","
            "\"collated\":\"aäz\",\"plural\":\"one\",\"locale\":\"1/1/1970, 12:00:00 AM\","
            "\"sha256\":\"6930c2c66bf8aba252b56f3ce546a30dc7b76be0ddfaaa70c16887de35fbbf0f\","
            "\"hmac\":\"lPxqL36JuBls904QeajBHrZ5pVI=\",\"random\":52,\"subtle\":\"2d711642\","
            "\"json\":\"v49999\",\"regexp\":\"05true\",\"bigint\":1205,\"typed\":true,"
            "\"churn\":2888890,\"wasm\":5,\"timer\":\"fired\",\"cloned\":0,\"url\":\"1\","
            "\"nfc\":1}\n");
}

}  // namespace
}  // namespace flowgrid::security
