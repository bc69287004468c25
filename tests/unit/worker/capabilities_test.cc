// The start-up check of the capabilities the kernel sandbox needs: the mask
// logic, the /proc parsing, and a real process that lacks CAP_KILL.
#include "worker/sandbox/capabilities.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace flowgrid::sandbox {
namespace {

constexpr uint64_t Bit(int capability) { return uint64_t{1} << capability; }
constexpr uint64_t kNeeded = Bit(CAP_SYS_ADMIN) | Bit(CAP_SETUID) | Bit(CAP_SETGID) | Bit(CAP_KILL);

TEST(CapabilitiesTest, TheFourNeededAreEnough) {
  EXPECT_TRUE(CheckSandboxCapabilities(kNeeded).ok());
}

TEST(CapabilitiesTest, EachMissingOneIsNamedAlone) {
  for (int capability : {CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID, CAP_KILL}) {
    const absl::Status status = CheckSandboxCapabilities(kNeeded & ~Bit(capability));
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << capability;
    const char* names[] = {"CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_KILL"};
    int named = 0;
    for (const char* name : names) named += absl::StrContains(status.message(), name);
    EXPECT_EQ(named, 1) << status;
  }
  EXPECT_TRUE(absl::StrContains(CheckSandboxCapabilities(kNeeded & ~Bit(CAP_KILL)).message(),
                                "CAP_KILL (killing jobs"));
}

TEST(CapabilitiesTest, ReadsTheEffectiveSetFromProcStatus) {
  absl::StatusOr<uint64_t> effective = EffectiveCapabilities(
      "Name:\tworker\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
      "CapEff:\t00000000a80425fb\nCapBnd:\t000001ffffffffff\n");
  ASSERT_TRUE(effective.ok()) << effective.status();
  EXPECT_EQ(*effective, 0xa80425fbu);
  EXPECT_FALSE(EffectiveCapabilities("Name:\tworker\n").ok());
  EXPECT_FALSE(EffectiveCapabilities("CapEff:\tnot-hex\n").ok());
}

// Drops `capability` from the effective set of a forked child, which then
// checks itself: exit 0 when the check names exactly that capability.
int CheckInChildWithout(int capability, const char* name) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capget, &header, data) != 0) ::_exit(2);
    data[capability / 32].effective &= ~(1u << (capability % 32));
    if (::syscall(SYS_capset, &header, data) != 0) ::_exit(3);
    const absl::Status status = CheckOwnSandboxCapabilities();
    ::_exit(!status.ok() && absl::StrContains(status.message(), name) ? 0 : 4);
  }
  int wait_status = 0;
  ::waitpid(pid, &wait_status, 0);
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128;
}

TEST(CapabilitiesTest, ARealProcessWithoutKillIsRefused) {
  ASSERT_TRUE(CheckOwnSandboxCapabilities().ok()) << "the worker tests run as root";
  EXPECT_EQ(CheckInChildWithout(CAP_KILL, "CAP_KILL"), 0);
  EXPECT_EQ(CheckInChildWithout(CAP_SETUID, "CAP_SETUID"), 0);
}

}  // namespace
}  // namespace flowgrid::sandbox
