// What every case of the attack suite shares: the worker it attacks (the
// kernel sandbox, real slot cgroups, canaries planted in the worker's
// environment and files), how a case runs a hostile job through it, and
// the checks that close every case. See README.md.
#ifndef FLOWGRID_TESTS_SECURITY_ATTACK_SUITE_H_
#define FLOWGRID_TESTS_SECURITY_ATTACK_SUITE_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "flowgrid/v1/worker.pb.h"
#include "gtest/gtest.h"
#include "worker/job/job_runner.h"

namespace flowgrid::security {

// Planted in the worker's environment (FLOWGRID_CANARY), in a file under
// /root and in kCanaryFile; no job may see it.
inline constexpr char kCanaryValue[] = "flowgrid-canary-7f3a9c";
// A worker state directory holding a secret, world-readable by mistake.
// Named after this process: ctest runs several suite processes at once.
std::string CanaryDir();   // /var/lib/flowgrid-canary-<pid>
std::string CanaryFile();  // CanaryDir() + "/secret"
std::string RootCanaryFile();  // /root/.flowgrid-canary-<pid>

// The worker configuration every job of the suite runs with (slot cgroups
// included, so memory and process limits are enforced). The one place to
// switch the suite to other runtime set-ups (a Python zygote, a Node pool).
job::JobRunnerOptions SuiteRunnerOptions();
// Set by ctest (CMakeLists.txt): every case runs once with the worker's
// warm runtimes (its default) and once with a fresh interpreter per job.
bool SuiteRunsWarmRuntimes();

// Job.limits for a case: its wall timeout and, when not zero, its memory
// limit.
v1::Limits JobLimits(absl::Duration timeout, int64_t memory_bytes = 0);
inline constexpr int64_t kMiB = 1 << 20;
// For jobs a memory limit ends: generous, so that a loaded machine cannot
// turn MEMORY_LIMIT into TIMEOUT (a passing case never waits for it).
inline constexpr absl::Duration kMemoryBombDeadline = absl::Seconds(6);

// Python: `body` (lines indented by four spaces) becomes main's body,
// after a prelude that reaches past the import allow-list on purpose (it
// is guidance, not the boundary): `os`, `ctypes`, `libc`, `_imp` (the real
// __import__), `sys_call(nr, *args)` (-errno on failure), `buf(data)` (the
// address of a NUL-terminated copy of bytes `data`) and `iovec(address,
// length)`. main returns {} unless the body returns first.
v1::NodeResult RunPython(const std::string& body,
                         const v1::Limits& limits = JobLimits(absl::Seconds(3)));
// JavaScript: `code` is the whole code node (it defines main).
v1::NodeResult RunNode(const std::string& code,
                       const v1::Limits& limits = JobLimits(absl::Seconds(3)));

// The attack failed: the job either ran to the end having printed
// `expected`, or the sandbox killed it (seccomp's SIGSYS).
void ExpectContained(const v1::NodeResult& result, const std::string& expected);
// The job succeeded having printed exactly `expected`.
void ExpectPrinted(const v1::NodeResult& result, const std::string& expected);
// The job failed with `code` and a message containing `message_part`.
void ExpectFailure(const v1::NodeResult& result, v1::ErrorCode code,
                   const std::string& message_part = "");

// Whether a process of the host (outside every job) has `needle` in its
// command line.
bool HostProcessWith(const std::string& needle);

// Every case ends proving the worker unharmed: no process left in the slot
// cgroup, and a benign job in each language still succeeds.
class AttackTest : public ::testing::Test {
 protected:
  void TearDown() override;
};

}  // namespace flowgrid::security

#endif  // FLOWGRID_TESTS_SECURITY_ATTACK_SUITE_H_
