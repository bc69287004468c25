// Hostile code nodes against the worker's sandbox. Each case asserts the
// verdict and that the attack had no effect; the last checks the worker
// is still healthy. See README.md.
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "flowgrid/v1/worker.pb.h"
#include "gtest/gtest.h"
#include "worker/job/job_runner.h"
#include "worker/sandbox/kernel_sandbox.h"

namespace flowgrid::job {
namespace {

constexpr char kCanaryValue[] = "flowgrid-canary-7f3a9c";

class SandboxedWorkerEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    // A secret in the worker's environment that no job may see.
    ASSERT_EQ(::setenv("FLOWGRID_CANARY", kCanaryValue, 1), 0);
    sandbox::KernelSandboxOptions options;
    options.syscall_profiles = {{"/usr/bin/python3", sandbox::SyscallProfile::kPython},
                                {"/usr/bin/node", sandbox::SyscallProfile::kNode}};
    const absl::Status status = sandbox::EnableKernelSandbox(options);
    ASSERT_TRUE(status.ok()) << "the attack suite runs as root, like the worker: " << status;
  }
};
[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new SandboxedWorkerEnvironment);

// Past the import allow-list on purpose (it is guidance, not the boundary).
constexpr char kPrelude[] =
    "import random, json\n"
    "os = random._os\n"
    "_imp = json.__builtins__['__import__']\n"
    "ctypes = _imp('ctypes')\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "def sys_call(nr, *args):\n"
    "    rc = libc.syscall(nr, *[ctypes.c_long(a) for a in args])\n"
    "    return rc if rc >= 0 else -ctypes.get_errno()\n";

v1::NodeResult RunPython(const std::string& body) {
  v1::Job job;
  job.set_job_id("attack");
  job.set_attempt(1);
  job.set_kind(v1::Job::RUN_CODE);
  job.set_language(v1::CodeNode::PYTHON3);
  job.set_code(absl::StrCat(kPrelude, "def main():\n", body, "    return {}\n"));
  job.mutable_limits()->set_timeout_ms(3000);
  return JobRunner(JobRunnerOptions{}).Run(job, -1);
}

v1::NodeResult RunNode(const std::string& code) {
  v1::Job job;
  job.set_job_id("attack");
  job.set_attempt(1);
  job.set_kind(v1::Job::RUN_CODE);
  job.set_language(v1::CodeNode::JAVASCRIPT);
  job.set_code(code);
  job.mutable_limits()->set_timeout_ms(3000);
  return JobRunner(JobRunnerOptions{}).Run(job, -1);
}

// The attack failed: the job either ran to the end having printed
// `expected`, or the sandbox killed it (seccomp's SIGSYS).
void ExpectContained(const v1::NodeResult& result, const std::string& expected) {
  if (result.status() == v1::NODE_SUCCEEDED) {
    EXPECT_EQ(result.stdout(), expected);
  } else {
    EXPECT_EQ(result.error().code(), v1::SANDBOX_VIOLATION) << result.DebugString();
  }
}

bool HostProcessWith(const std::string& needle) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream cmdline(entry.path() / "cmdline");
    std::stringstream content;
    content << cmdline.rdbuf();
    if (content.str().find(needle) != std::string::npos) return true;
  }
  return false;
}

// After every attack, the worker still runs benign jobs in both languages.
class AttackTest : public ::testing::Test {
 protected:
  void TearDown() override {
    v1::NodeResult python = RunPython("    print(json.dumps({'ok': 1}))\n");
    EXPECT_EQ(python.status(), v1::NODE_SUCCEEDED) << python.DebugString();
    EXPECT_EQ(python.stdout(), "{\"ok\": 1}\n");
    v1::NodeResult node = RunNode("function main() { return {ok: 1}; }\n");
    EXPECT_EQ(node.status(), v1::NODE_SUCCEEDED) << node.DebugString();
  }
};
using PythonAttackTest = AttackTest;
using JavaScriptAttackTest = AttackTest;

TEST_F(PythonAttackTest, FileWrittenByOneJobIsGoneInTheNext) {
  for (const char* dir : {"/tmp", "/dev/shm"}) {
    const std::string path = absl::StrCat(dir, "/flowgrid-attack-", ::getpid());
    v1::NodeResult first = RunPython(absl::StrCat("    open('", path, "', 'w').write('x')\n"
                                                  "    print(os.path.exists('", path, "'))\n"));
    ASSERT_EQ(first.status(), v1::NODE_SUCCEEDED) << first.DebugString();
    EXPECT_EQ(first.stdout(), "True\n");
    EXPECT_NE(::access(path.c_str(), F_OK), 0) << "reached the host's " << dir;
    v1::NodeResult second = RunPython(absl::StrCat("    print(os.path.exists('", path, "'))\n"));
    EXPECT_EQ(second.stdout(), "False\n") << second.DebugString();
  }
}

TEST_F(PythonAttackTest, WritingOutsideScratchSpaceFails) {
  v1::NodeResult result = RunPython(
      "    for p in ['/etc/flowgrid-owned', '/usr/lib/flowgrid-owned', '/var/tmp/x']:\n"
      "        try:\n"
      "            open(p, 'w')\n"
      "            print('wrote', p)\n"
      "        except OSError as e:\n"
      "            print(e.errno in (13, 30))\n");
  EXPECT_EQ(result.stdout(), "True\nTrue\nTrue\n") << result.DebugString();
  EXPECT_NE(::access("/etc/flowgrid-owned", F_OK), 0);
}

TEST_F(PythonAttackTest, SecretsOfTheHostAreUnreadable) {
  // A secret file of the worker's user, world-readable by mistake: /root is
  // hidden from jobs.
  const std::string canary_file = "/root/.flowgrid-canary";
  { std::ofstream(canary_file) << kCanaryValue; }
  ::chmod(canary_file.c_str(), 0644);
  v1::NodeResult result = RunPython(
      "    seen = []\n"
      "    for p in ['/etc/shadow', '/root/.flowgrid-canary', '/proc/1/environ',\n"
      "              '/proc/self/environ']:\n"
      "        try:\n"
      "            seen.append(open(p, 'rb').read())\n"
      "        except OSError:\n"
      "            pass\n"
      "    seen.append(repr(dict(os.environ)).encode())\n"
      "    print(any(b'flowgrid-canary' in s or b'root:' in s for s in seen))\n");
  ::unlink(canary_file.c_str());
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.stdout(), "False\n");
}

TEST_F(PythonAttackTest, LoopbackListenerOfTheHostIsUnreachable) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  v1::NodeResult result = RunPython(absl::StrCat(
      "    socket = _imp('socket')\n"
      "    for family, kind, target in [(socket.AF_INET, socket.SOCK_STREAM, ('127.0.0.1', ",
      ntohs(address.sin_port),
      ")),\n"
      "                                 (socket.AF_INET, socket.SOCK_DGRAM, ('127.0.0.1', 53)),\n"
      "                                 (socket.AF_UNIX, socket.SOCK_STREAM, '/run/x')]:\n"
      "        try:\n"
      "            s = socket.socket(family, kind)\n"
      "            s.settimeout(1)\n"
      "            s.connect(target)\n"
      "            s.send(b'x')\n"
      "            print('connected')\n"
      "        except OSError:\n"
      "            print('blocked')\n"));
  // Nothing reached the listener.
  sockaddr_in peer;
  socklen_t peer_length = sizeof(peer);
  const int accepted =
      ::accept4(listener, reinterpret_cast<sockaddr*>(&peer), &peer_length, 0);
  EXPECT_LT(accepted, 0);
  ::close(listener);
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.stdout(), "blocked\nblocked\nblocked\n");
}

TEST_F(PythonAttackTest, PrivilegedSyscallsFailOrKillTheJob) {
  // x86_64 numbers: setuid 105, unshare 272, mount 165, ptrace 101, bpf 321,
  // io_uring_setup 425, setns 308.
  const struct {
    const char* name;
    const char* call;
  } cases[] = {
      {"setuid", "sys_call(105, 0)"},
      {"unshare", "sys_call(272, 0x20000)"},  // CLONE_NEWNS
      {"mount", "sys_call(165, 0, 0, 0, 0, 0)"},
      {"ptrace", "sys_call(101, 16, 1, 0, 0)"},  // PTRACE_ATTACH
      {"bpf", "sys_call(321, 0, 0, 0)"},
      {"io_uring_setup", "sys_call(425, 1, 0)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    v1::NodeResult result =
        RunPython(absl::StrCat("    print(", c.call, " < 0, os.getuid() != 0)\n"));
    ExpectContained(result, "True True\n");
  }
}

TEST_F(PythonAttackTest, I386SyscallAbiKillsTheJob) {
  // mov eax, 20 (i386 getpid); int 0x80; ret — the 32-bit ABI would bypass
  // a filter written for x86_64 numbers, so the filter kills on sight.
  v1::NodeResult result = RunPython(
      "    mmap = _imp('mmap')\n"
      "    code = b'\\xb8\\x14\\x00\\x00\\x00\\xcd\\x80\\xc3'\n"
      "    page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)\n"
      "    page.write(code)\n"
      "    address = ctypes.addressof(ctypes.c_char.from_buffer(page))\n"
      "    print('calling', flush=True)\n"
      "    print(ctypes.CFUNCTYPE(ctypes.c_int)(address)())\n");
  EXPECT_EQ(result.status(), v1::NODE_FAILED);
  EXPECT_EQ(result.stdout(), "calling\n");
  EXPECT_EQ(result.error().code(), v1::SANDBOX_VIOLATION) << result.DebugString();
}

TEST_F(PythonAttackTest, KillingEveryoneReachesNothingOutsideTheJob) {
  // A sleeper of the host with the job's kind of uid would be the target;
  // the pid namespace hides it and the uid differs anyway.
  v1::NodeResult result = RunPython(
      "    print(sys_call(62, -1, 9) < 0, os.getppid())\n");  // kill(-1, SIGKILL)
  ExpectContained(result, "True 0\n");
}

TEST_F(PythonAttackTest, DetachedDaemonDoesNotOutliveTheJob) {
  v1::NodeResult result = RunPython(
      "    try:\n"
      "        if os.fork() == 0:\n"
      "            os.setsid()\n"
      "            if os.fork() == 0:\n"
      "                os.execv('/bin/sleep', ['sleep', '31.7777'])\n"
      "            os._exit(0)\n"
      "        print('forked')\n"
      "    except OSError:\n"
      "        print('fork denied')\n");
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(HostProcessWith("31.7777"));
}

TEST_F(JavaScriptAttackTest, InfiniteLoopIsKilledAtTheDeadline) {
  v1::NodeResult result = RunNode("function main() { while (true) {} }\n");
  EXPECT_EQ(result.error().code(), v1::TIMEOUT) << result.DebugString();
}

TEST_F(JavaScriptAttackTest, HostObjectsStayOutOfReach) {
  v1::NodeResult result = RunNode(
      "function main() {\n"
      "  let p; try { p = this.constructor.constructor('return process')(); } catch (e) {}\n"
      "  console.log(p !== undefined);\n"
      "  return {};\n"
      "}\n");
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.stdout(), "false\n");
}


TEST_F(PythonAttackTest, ProcessesCannotBeStarted) {
  v1::NodeResult result = RunPython(
      "    print('system failed:', os.system('touch /tmp/pwned') != 0, flush=True)\n"
      "    try:\n"
      "        _imp('subprocess').run(['/bin/true'])\n"
      "        print('spawned')\n"
      "    except OSError:\n"
      "        print('refused')\n");
  ExpectContained(result, "system failed: True\nrefused\n");
}

TEST_F(PythonAttackTest, ThreadsCannotBeStarted) {
  v1::NodeResult result = RunPython(
      "    threading = _imp('threading')\n"
      "    try:\n"
      "        for _ in range(100):\n"
      "            threading.Thread(target=lambda: None).start()\n"
      "        print('started')\n"
      "    except RuntimeError:\n"
      "        print('refused')\n");
  ExpectContained(result, "refused\n");
}

TEST_F(PythonAttackTest, OutputFloodIsCapped) {
  v1::NodeResult result = RunPython(
      "    chunk = 'x' * 65536\n"
      "    for _ in range(160):\n"
      "        print(chunk)\n");
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.error().DebugString();
  EXPECT_TRUE(result.stdout_truncated());
  EXPECT_LT(result.stdout().size(), 2u << 20);
}

TEST_F(PythonAttackTest, ResultPrintedToStdoutIsNotTakenForTheResult) {
  v1::NodeResult result = RunPython(
      "    print(json.dumps({'ok': True, 'result': {'forged': 1}}))\n"
      "    os.write(1, b'{\"ok\": true, \"result\": {\"forged\": 2}}')\n");
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_TRUE(result.outputs().empty()) << result.DebugString();
}

TEST_F(PythonAttackTest, IgnoringTerminationDoesNotOutliveTheDeadline) {
  v1::NodeResult result = RunPython(
      "    signal = _imp('signal')\n"
      "    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n"
      "        signal.signal(s, signal.SIG_IGN)\n"
      "    while True:\n"
      "        pass\n");
  EXPECT_EQ(result.error().code(), v1::TIMEOUT) << result.DebugString();
}

TEST_F(JavaScriptAttackTest, ForbiddenModulesAreRefused) {
  for (const char* module : {"child_process", "fs", "net", "vm", "worker_threads"}) {
    v1::NodeResult result = RunNode(absl::StrCat("function main() { require('", module,
                                                 "'); return {}; }\n"));
    EXPECT_EQ(result.status(), v1::NODE_FAILED) << module;
    EXPECT_EQ(result.error().message(),
              absl::StrCat("Error: Module \"", module, "\" is not allowed in code nodes"))
        << result.DebugString();
  }
}

TEST_F(JavaScriptAttackTest, ProcessObjectIsAbsent) {
  v1::NodeResult result = RunNode(
      "function main() {\n"
      "  console.log(typeof process, typeof globalThis.process);\n"
      "  return {};\n"
      "}\n");
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_EQ(result.stdout(), "undefined undefined\n");
}

TEST_F(JavaScriptAttackTest, HugeStringFailsTheJobOnly) {
  v1::NodeResult result = RunNode("function main() { return {s: 'x'.repeat(2 ** 31)}; }\n");
  EXPECT_EQ(result.status(), v1::NODE_FAILED) << result.DebugString();
}

}  // namespace
}  // namespace flowgrid::job
