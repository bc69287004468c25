// Hostile Python code nodes. Each case asserts the verdict and that the
// attack had no effect; AttackTest's TearDown then proves the worker
// unharmed. See README.md.
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/security/attack_suite.h"

namespace flowgrid::security {
namespace {

using PythonAttackTest = AttackTest;

// A memory bomb under a 64 MiB limit: the slot cgroup's OOM killer ends it
// and the verdict names the limit.
void ExpectMemoryBombStopped(const std::string& body) {
  constexpr int64_t kLimit = 64 * kMiB;
  v1::NodeResult result = RunPython(body, JobLimits(kMemoryBombDeadline, kLimit));
  ExpectFailure(result, v1::MEMORY_LIMIT, "Memory limit of 64 MiB exceeded");
  EXPECT_LE(result.usage().peak_memory_bytes(), kLimit);
}

// main() returns `value` as the output "x"; the harness refuses it, naming
// what has no JSON form.
void ExpectResultRefused(const std::string& value, const std::string& problem) {
  SCOPED_TRACE(value);
  v1::NodeResult result = RunPython(absl::StrCat("    return {'x': ", value, "}\n"));
  ExpectFailure(result, v1::INVALID_RESULT,
                absl::StrCat("Output \"x\" is not JSON-serializable: ", problem, "."));
  EXPECT_TRUE(result.outputs().empty());
}

// `plant` changes interpreter state in one job; `probe`, run by the next
// job, must print `clean`: nothing carries over from job to job.
void ExpectNoLeak(const std::string& plant, const std::string& probe, const std::string& clean) {
  v1::NodeResult planted = RunPython(plant);
  ASSERT_EQ(planted.status(), v1::NODE_SUCCEEDED) << planted.DebugString();
  v1::NodeResult probed = RunPython(probe);
  ExpectPrinted(probed, clean);
}

TEST_F(PythonAttackTest, FileWrittenByOneJobIsGoneInTheNext) {
  for (const char* dir : {"/tmp", "/dev/shm"}) {
    const std::string path = absl::StrCat(dir, "/flowgrid-attack-", ::getpid());
    v1::NodeResult first = RunPython(absl::StrCat("    open('", path, "', 'w').write('x')\n"
                                                  "    print(os.path.exists('", path, "'))\n"));
    ExpectPrinted(first, "True\n");
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
      "            print(e.errno in (2, 13, 30))\n");
  EXPECT_EQ(result.stdout(), "True\nTrue\nTrue\n") << result.DebugString();
  EXPECT_NE(::access("/etc/flowgrid-owned", F_OK), 0);
}

TEST_F(PythonAttackTest, WritingPastTheFileSizeLimitFailsClearly) {
  // 20 MiB into the job's own /tmp, beyond RLIMIT_FSIZE (16 MiB): the
  // interpreter ignores SIGXFSZ, so the write fails with EFBIG.
  const std::string path = absl::StrCat("/tmp/flowgrid-fsize-", ::getpid());
  v1::NodeResult result = RunPython(absl::StrCat("    with open('", path, "', 'wb') as f:\n"
                                                 "        f.write(b'x' * (20 << 20))\n"));
  ExpectFailure(result, v1::RUNTIME_ERROR, "File too large");
  EXPECT_NE(::access(path.c_str(), F_OK), 0) << "reached the host's /tmp";
}

TEST_F(PythonAttackTest, SecretsOfTheHostAreUnreadable) {
  v1::NodeResult result = RunPython(absl::StrCat(
      "    seen = []\n"
      "    for p in ['/etc/shadow', '", RootCanaryFile(), "', '/proc/1/environ',\n"
      "              '/proc/self/environ']:\n"
      "        try:\n"
      "            seen.append(open(p, 'rb').read())\n"
      "        except OSError:\n"
      "            pass\n"
      "    seen.append(repr(dict(os.environ)).encode())\n"
      "    print(any(b'flowgrid-canary' in s or b'root:' in s for s in seen))\n"));
  ExpectPrinted(result, "False\n");
}

TEST_F(PythonAttackTest, FilesOfTheWorkerAreUnreadable) {
  const std::string binary = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string binary_dir = std::filesystem::path(binary).parent_path().string();
  v1::NodeResult result = RunPython(absl::StrCat(
      "    for read in [lambda: open('", binary, "', 'rb').read(4),\n"
      "                 lambda: os.listdir('", binary_dir, "'),\n"
      "                 lambda: open('", CanaryFile(), "').read(),\n"
      "                 lambda: os.listdir('", CanaryDir(), "')]:\n"
      "        try:\n"
      "            print('read', read())\n"
      "        except OSError:\n"
      "            print('denied')\n"));
  ExpectPrinted(result, "denied\ndenied\ndenied\ndenied\n");
}

TEST_F(PythonAttackTest, WorkerProcessIsInvisible) {
  const std::string proc = absl::StrCat("/proc/", ::getpid());
  v1::NodeResult result = RunPython(absl::StrCat(
      "    print(os.path.exists('", proc, "'), sorted(int(p) for p in os.listdir('/proc')\n"
      "                                                 if p.isdigit()))\n"
      "    for leaf in ['environ', 'cmdline', 'root/etc/hostname', 'mem']:\n"
      "        try:\n"
      "            print('read', open('", proc, "/' + leaf, 'rb').read(16))\n"
      "        except OSError:\n"
      "            print('absent')\n"));
  ExpectPrinted(result, "False [1]\nabsent\nabsent\nabsent\nabsent\n");
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
  ExpectPrinted(result, "blocked\nblocked\nblocked\n");
}

TEST_F(PythonAttackTest, NetlinkSocketIsRefused) {
  // NETLINK_ROUTE would list and reconfigure interfaces and routes.
  v1::NodeResult result = RunPython(
      "    socket = _imp('socket')\n"
      "    try:\n"
      "        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)\n"
      "        s.bind((0, 0))\n"
      "        print('netlink open')\n"
      "    except OSError:\n"
      "        print('refused')\n");
  ExpectContained(result, "refused\n");
}

TEST_F(PythonAttackTest, NamesDoNotResolve) {
  v1::NodeResult result = RunPython(
      "    socket = _imp('socket')\n"
      "    try:\n"
      "        print(socket.getaddrinfo('example.com', 443))\n"
      "    except OSError:\n"
      "        print('unresolved')\n");
  ExpectContained(result, "unresolved\n");
}

TEST_F(PythonAttackTest, ForbiddenSyscallsFailOrKillTheJob) {
  // x86_64 numbers. Arguments are real (addresses of buffers, flags an
  // unprivileged process may use), so a call that the filter let through
  // would often succeed. The hostile kind kills the job (SANDBOX_VIOLATION);
  // the others fail and the job goes on, printing that the call failed and
  // that it is still not root.
  const struct {
    const char* name;
    const char* call;
    bool killed;
  } cases[] = {
      {"ptrace(TRACEME)", "sys_call(101, 0, 0, 0, 0)", true},
      {"ptrace(ATTACH)", "sys_call(101, 16, 1, 0, 0)", true},
      {"mount", "sys_call(165, buf(b'none'), buf(b'/tmp'), buf(b'tmpfs'), 0, 0)", true},
      {"umount2", "sys_call(166, buf(b'/proc'), 2)", true},  // MNT_DETACH
      {"pivot_root", "sys_call(155, buf(b'/tmp'), buf(b'/tmp'))", true},
      {"unshare(NEWUSER)", "sys_call(272, 0x10000000)", true},
      {"unshare(NEWNS)", "sys_call(272, 0x20000)", true},
      {"setns", "sys_call(308, os.open('/proc/self/ns/uts', os.O_RDONLY), 0)", true},
      {"io_uring_setup", "sys_call(425, 1, buf(bytes(120)))", false},
      {"bpf(MAP_CREATE)",
       "sys_call(321, 0, buf(struct.pack('<IIII', 2, 4, 4, 1) + bytes(56)), 72)", true},
      {"keyctl", "sys_call(250, 0, -3, 1)", true},  // KEYCTL_GET_KEYRING_ID, session
      {"add_key", "sys_call(248, buf(b'user'), buf(b'k'), buf(b'v'), 1, -2)", true},
      {"userfaultfd", "sys_call(323, 1)", true},  // UFFD_USER_MODE_ONLY
      // A software clock event on itself, user space only: allowed to any
      // process by perf_event_paranoid 2.
      {"perf_event_open",
       "sys_call(298, buf(struct.pack('<IIQQQQQ', 1, 128, 0, 0, 0, 0, 97) + bytes(80)), 0, -1,"
       " -1, 0)", true},
      {"kexec_load", "sys_call(246, 0, 0, 0, 0)", true},
      {"init_module", "sys_call(175, buf(bytes(64)), 64, buf(b''))", true},
      {"process_vm_readv",
       "sys_call(310, 1, iovec(buf(bytes(8)), 8), 1, iovec(buf(bytes(8)), 8), 1, 0)", true},
      {"open_by_handle_at", "sys_call(304, -100, buf(bytes(16)), 0)", true},
      {"execveat", "sys_call(322, -100, buf(b'/bin/true'), 0, 0, 0)", true},
      {"kill(-1)", "sys_call(62, -1, 9)", false},
      {"setuid(0)", "sys_call(105, 0)", false},
      {"setgid(0)", "sys_call(106, 0)", false},
      {"setgroups", "sys_call(116, 0, 0)", false},
      {"chroot", "sys_call(161, buf(b'/tmp'))", false},
      {"socket(INET)", "sys_call(41, 2, 1, 0)", false},
      {"socket(PACKET)", "sys_call(41, 17, 3, 0)", false},
      {"fork", "sys_call(57)", false},
      {"vfork", "sys_call(58)", false},
      {"clone(SIGCHLD)", "sys_call(56, 17, 0, 0, 0, 0)", false},
      {"clone3", "sys_call(435, buf(struct.pack('<11Q', 0, 0, 0, 0, 17, *[0] * 6)), 88)", false},
      // Raising the hard limit of open files.
      {"prlimit64(NOFILE)",
       "sys_call(302, 0, 7, buf(struct.pack('<QQ', 1 << 20, 1 << 20)), 0)", false},
      {"ioctl(TIOCSTI)", "sys_call(16, 0, 0x5412, buf(b'x'))", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    v1::NodeResult result =
        RunPython(absl::StrCat("    struct = _imp('struct')\n"
                               "    print(", c.call, " < 0, os.getuid() != 0)\n"));
    if (c.killed) {
      ExpectFailure(result, v1::SANDBOX_VIOLATION, "forbidden system call");
    } else {
      ExpectPrinted(result, "True True\n");
    }
  }
}

TEST_F(PythonAttackTest, SignallingItsOwnPidOneIsHarmless) {
  // kill(1) is the job itself (pid 1 of its namespace), which the kernel
  // shields from its own default-action signals.
  v1::NodeResult result = RunPython("    print(sys_call(62, 1, 15), 'alive')\n");
  ExpectPrinted(result, "0 alive\n");
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

TEST_F(PythonAttackTest, WorkerCannotBeKilledByItsRealPid) {
  // The worker's pid (this test) is known to an attacker who read it from
  // logs: kill, kill of its process group, tgkill, pidfd_open.
  const std::string pid = absl::StrCat(::getpid());
  v1::NodeResult result = RunPython(absl::StrCat(
      "    print(sys_call(62, ", pid, ", 9) < 0, sys_call(62, -", pid, ", 9) < 0,\n"
      "          sys_call(234, ", pid, ", ", pid, ", 9) < 0, sys_call(434, ", pid, ", 0) < 0)\n"));
  ExpectContained(result, "True True True True\n");
}

TEST_F(PythonAttackTest, DetachedDaemonDoesNotOutliveTheJob) {
  // The sleep's argument names this test process: ctest runs the warm and
  // fresh copies of the suite side by side, and one must not see the
  // other's daemon while that job is still being torn down.
  const std::string marker = absl::StrCat("31.", getpid());
  v1::NodeResult result = RunPython(absl::StrCat(
      "    try:\n"
      "        if os.fork() == 0:\n"
      "            os.setsid()\n"
      "            if os.fork() == 0:\n"
      "                os.execv('/bin/sleep', ['sleep', '",
      marker,
      "'])\n"
      "            os._exit(0)\n"
      "        print('forked')\n"
      "    except OSError:\n"
      "        print('fork denied')\n"));
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(HostProcessWith(marker));
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

TEST_F(PythonAttackTest, ExecOfAShellStaysInTheSandbox) {
  // A child forked from the zygote may not exec at all. A fresh
  // interpreter's filter must allow execve (it is loaded before the
  // interpreter's own): there exec replaces it with a shell, which keeps the
  // job's uid, filter and private /tmp: it can print, not read secrets or
  // reach the host; and without the harness there is no result.
  const std::string marker = absl::StrCat("/tmp/flowgrid-exec-", ::getpid());
  v1::NodeResult result = RunPython(absl::StrCat(
      "    os.execv('/bin/sh', ['sh', '-c', 'echo in-shell; echo x > ", marker,
      "; exec cat /etc/shadow'])\n"));
  if (SuiteRunsWarmRuntimes()) {
    ExpectFailure(result, v1::RUNTIME_ERROR, "PermissionError");
    EXPECT_EQ(result.stdout(), "");
    return;
  }
  ExpectFailure(result, v1::RUNTIME_ERROR, "without a result");
  EXPECT_EQ(result.stdout(), "in-shell\n");
  // The job root has no /etc/shadow.
  EXPECT_TRUE(absl::StrContains(result.stderr(), "No such file")) << result.stderr();
  EXPECT_NE(::access(marker.c_str(), F_OK), 0) << "reached the host's /tmp";
}

TEST_F(PythonAttackTest, ForkBombIsRefused) {
  v1::NodeResult result = RunPython(
      "    forks = 0\n"
      "    try:\n"
      "        while forks < 10000:\n"
      "            os.fork()\n"
      "            forks += 1\n"
      "    except OSError as e:\n"
      "        print('refused after', forks)\n");
  ExpectContained(result, "refused after 0\n");
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

TEST_F(PythonAttackTest, ThreadBombIsRefused) {
  v1::NodeResult result = RunPython(
      "    _thread = _imp('_thread')\n"
      "    started = 0\n"
      "    try:\n"
      "        while started < 10000:\n"
      "            _thread.start_new_thread(_imp('time').sleep, (30,))\n"
      "            started += 1\n"
      "    except RuntimeError:\n"
      "        print('refused after', started)\n");
  ExpectContained(result, "refused after 0\n");
}

TEST_F(PythonAttackTest, BusyThreadsGetNoMoreThanTheDeadline) {
  // Threads would multiply the CPU taken per wall second; they are refused,
  // so the job burns one CPU until its deadline.
  v1::NodeResult result = RunPython(
      "    threading = _imp('threading')\n"
      "    def spin():\n"
      "        while True:\n"
      "            pass\n"
      "    try:\n"
      "        for _ in range(8):\n"
      "            threading.Thread(target=spin, daemon=True).start()\n"
      "    except RuntimeError:\n"
      "        print('threads refused', flush=True)\n"
      "    spin()\n",
      JobLimits(absl::Seconds(1)));
  ExpectFailure(result, v1::TIMEOUT, "Execution timed out after 1000 ms");
  EXPECT_EQ(result.stdout(), "threads refused\n");
  EXPECT_LE(result.usage().cpu_us(), result.usage().wall_us() + 100'000);
}

TEST_F(PythonAttackTest, SleepingPastTheDeadlineIsKilled) {
  v1::NodeResult result = RunPython("    _imp('time').sleep(60)\n", JobLimits(absl::Seconds(1)));
  ExpectFailure(result, v1::TIMEOUT, "Execution timed out after 1000 ms");
  EXPECT_LT(result.usage().wall_us(), 3'000'000);
}

TEST_F(PythonAttackTest, IgnoringTerminationDoesNotOutliveTheDeadline) {
  v1::NodeResult result = RunPython(
      "    signal = _imp('signal')\n"
      "    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n"
      "        signal.signal(s, signal.SIG_IGN)\n"
      "    while True:\n"
      "        pass\n",
      JobLimits(absl::Seconds(1)));
  EXPECT_EQ(result.error().code(), v1::TIMEOUT) << result.DebugString();
}

TEST_F(PythonAttackTest, ListGrowthHitsTheMemoryLimit) {
  ExpectMemoryBombStopped(
      "    hoard = []\n"
      "    while True:\n"
      "        hoard.append(list(range(len(hoard), len(hoard) + 100000)))\n");
}

TEST_F(PythonAttackTest, BytearrayGrowthHitsTheMemoryLimit) {
  ExpectMemoryBombStopped(
      "    hoard = bytearray()\n"
      "    while True:\n"
      "        hoard.extend(b'x' * (1 << 20))\n");
}

TEST_F(PythonAttackTest, TouchedAnonymousMappingHitsTheMemoryLimit) {
  // A 1 GiB mapping costs nothing until its pages are touched.
  ExpectMemoryBombStopped(
      "    region = _imp('mmap').mmap(-1, 1 << 30)\n"
      "    for offset in range(0, len(region), 4096):\n"
      "        region[offset] = 1\n");
}

TEST_F(PythonAttackTest, InterpreterCrashIsARuntimeError) {
  v1::NodeResult result = RunPython("    ctypes.string_at(0)\n");
  ExpectFailure(result, v1::RUNTIME_ERROR, "killed by signal 11 (SIGSEGV)");
}

TEST_F(PythonAttackTest, UnboundedRecursionFailsClearly) {
  v1::NodeResult result = RunPython(
      "    _imp('sys').setrecursionlimit(1 << 30)\n"
      "    def down(n):\n"
      "        return down(n + 1) + 1\n"
      "    down(0)\n",
      JobLimits(kMemoryBombDeadline, 64 * kMiB));
  EXPECT_EQ(result.status(), v1::NODE_FAILED) << result.DebugString();
  EXPECT_TRUE(result.error().code() == v1::MEMORY_LIMIT ||
              result.error().code() == v1::RUNTIME_ERROR)
      << result.DebugString();
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

TEST_F(PythonAttackTest, ErrorStreamFloodIsCapped) {
  v1::NodeResult result = RunPython(
      "    chunk = 'e' * 65536\n"
      "    for _ in range(160):\n"
      "        _imp('sys').stderr.write(chunk)\n");
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.error().DebugString();
  EXPECT_TRUE(result.stderr_truncated());
  EXPECT_LT(result.stderr().size(), 2u << 20);
}

TEST_F(PythonAttackTest, HugeResultIsRefused) {
  v1::NodeResult result = RunPython("    return {'blob': 'x' * (5 << 20)}\n");
  ExpectFailure(result, v1::RESULT_TOO_LARGE, "The result is larger than 4194304 bytes.");
}

TEST_F(PythonAttackTest, DeeplyNestedResultIsRefused) {
  std::string path = "x";
  for (int i = 0; i < 20; ++i) path += "[0]";
  ExpectResultRefused("_imp('functools').reduce(lambda v, _: [v], range(100000), [])",
                      absl::StrCat(path, " is nested more than 20 levels deep"));
}

TEST_F(PythonAttackTest, NonFiniteNumbersAreRefused) {
  ExpectResultRefused("float('nan')", "x is NaN");
  ExpectResultRefused("[1.0, float('inf')]", "x[1] is Infinity");
  ExpectResultRefused("{'y': -float('inf')}", "x.y is -Infinity");
}

TEST_F(PythonAttackTest, CircularResultsAreRefused) {
  ExpectResultRefused("(lambda l: l.append(l) or l)([])", "x[0] is a circular reference");
  ExpectResultRefused("(lambda d: d.update(me=d) or d)({})", "x.me is a circular reference");
}

TEST_F(PythonAttackTest, ObjectsWithoutAJsonFormAreRefused) {
  ExpectResultRefused("{1, 2}", "x is a set object");
  ExpectResultRefused("b'raw'", "x is a bytes object");
  ExpectResultRefused("object()", "x is an object object");
  ExpectResultRefused("{1: 'a'}", "x has a key that is not a string: 1");
}

TEST_F(PythonAttackTest, ResultPrintedToStdoutIsNotTakenForTheResult) {
  v1::NodeResult result = RunPython(
      "    print(json.dumps({'ok': True, 'result': {'forged': 1}}))\n"
      "    os.write(1, b'{\"ok\": true, \"result\": {\"forged\": 2}}')\n");
  ASSERT_EQ(result.status(), v1::NODE_SUCCEEDED) << result.DebugString();
  EXPECT_TRUE(result.outputs().empty()) << result.DebugString();
}

TEST_F(PythonAttackTest, JunkOnTheResultChannelIsAnInvalidResult) {
  v1::NodeResult result = RunPython("    os.write(4, b'\\x00{garbage')\n");
  ExpectFailure(result, v1::INVALID_RESULT, "malformed harness reply");
}

TEST_F(PythonAttackTest, SecondReplyOnTheResultChannelIsAnInvalidResult) {
  // The user's reply, then the harness's: two replies are none.
  v1::NodeResult result =
      RunPython("    os.write(4, b'{\"ok\": true, \"result\": {\"forged\": 1}}')\n");
  ExpectFailure(result, v1::INVALID_RESULT, "malformed harness reply");
  EXPECT_TRUE(result.outputs().empty());
}

TEST_F(PythonAttackTest, ResultChannelClosedEarlyLeavesNoResult) {
  v1::NodeResult result = RunPython("    os.close(4)\n");
  ExpectFailure(result, v1::RUNTIME_ERROR, "without a result");
}

TEST_F(PythonAttackTest, VerdictOfTheWorkerCannotBeForged) {
  // Only the worker decides TIMEOUT, MEMORY_LIMIT, SANDBOX_VIOLATION...
  v1::NodeResult result = RunPython(
      "    os.write(4, b'{\"ok\": false, \"error\": {\"code\": \"SANDBOX_VIOLATION\",'\n"
      "                b' \"message\": \"forged\"}}')\n"
      "    os._exit(0)\n");
  ExpectFailure(result, v1::INVALID_RESULT, "unknown error code \"SANDBOX_VIOLATION\"");
}

TEST_F(PythonAttackTest, ModuleStateDoesNotLeakToTheNextJob) {
  ExpectNoLeak("    json.leak = 1\n"
               "    random.leak = 1\n"
               "    _imp('sys').modules['flowgrid_leak'] = json\n",
               "    print(hasattr(json, 'leak'), hasattr(random, 'leak'),\n"
               "          'flowgrid_leak' in _imp('sys').modules)\n",
               "False False False\n");
}

TEST_F(PythonAttackTest, PatchedBuiltinsDoNotLeakToTheNextJob) {
  ExpectNoLeak("    real = _imp('builtins')\n"
               "    real.len = lambda x: 42\n"
               "    real.flowgrid_leak = 1\n"
               "    json.__builtins__['print'] = None\n",
               "    print(len([1, 2]), hasattr(_imp('builtins'), 'flowgrid_leak'))\n",
               "2 False\n");
}

TEST_F(PythonAttackTest, PatchedJsonDoesNotLeakToTheNextJob) {
  // The patch forges this job's own reply, nothing more.
  ExpectNoLeak("    json.dumps = lambda *a, **k: '{\"ok\": true, \"result\": {\"forged\": 1}}'\n"
               "    json.loads = lambda *a, **k: {'forged': 1}\n",
               "    print(json.dumps({'a': 1}), json.loads('{\"b\": 2}'))\n",
               "{\"a\": 1} {'b': 2}\n");
}

TEST_F(PythonAttackTest, EnvironmentChangesDoNotLeakToTheNextJob) {
  ExpectNoLeak("    os.environ['FLOWGRID_LEAK'] = '1'\n"
               "    os.putenv('FLOWGRID_LEAK_PUT', '1')\n",
               "    print(os.environ.get('FLOWGRID_LEAK'), os.getenv('FLOWGRID_LEAK_PUT'))\n",
               "None None\n");
  EXPECT_EQ(::getenv("FLOWGRID_LEAK"), nullptr);
}

TEST_F(PythonAttackTest, RandomStateIsNeitherLeakedNorShared) {
  // A seed set by one job must not fix the next job's numbers, and two jobs
  // (forks of one warm interpreter, later) must not draw the same ones.
  v1::NodeResult seeded = RunPython("    random.seed(42)\n    print(random.random())\n");
  v1::NodeResult first = RunPython("    print(random.random())\n");
  v1::NodeResult second = RunPython("    print(random.random())\n");
  ASSERT_EQ(first.status(), v1::NODE_SUCCEEDED) << first.DebugString();
  ASSERT_EQ(second.status(), v1::NODE_SUCCEEDED) << second.DebugString();
  EXPECT_EQ(seeded.stdout(), "0.6394267984578837\n");
  EXPECT_NE(first.stdout(), seeded.stdout());
  EXPECT_NE(first.stdout(), second.stdout());
}

}  // namespace
}  // namespace flowgrid::security
