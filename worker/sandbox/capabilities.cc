#include "worker/sandbox/capabilities.h"

#include <linux/capability.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace flowgrid::sandbox {
namespace {

struct NeededCapability {
  int bit;
  const char* name;
  const char* why;
};

constexpr NeededCapability kNeeded[] = {
    {CAP_SYS_ADMIN, "CAP_SYS_ADMIN", "namespaces, the job root's mounts, seccomp"},
    {CAP_SETUID, "CAP_SETUID", "running jobs as their own uids"},
    {CAP_SETGID, "CAP_SETGID", "running jobs as their own gids"},
    {CAP_KILL, "CAP_KILL", "killing jobs, which run as other uids, at their deadline"},
};

}  // namespace

absl::Status CheckSandboxCapabilities(uint64_t effective) {
  std::vector<std::string> missing;
  for (const NeededCapability& needed : kNeeded) {
    if ((effective & (uint64_t{1} << needed.bit)) == 0) {
      missing.push_back(absl::StrCat(needed.name, " (", needed.why, ")"));
    }
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "the kernel sandbox needs capabilities the worker does not have: ",
      absl::StrJoin(missing, ", "),
      "; in a container, add them to its securityContext (deploy/docker/README.md)"));
}

absl::StatusOr<uint64_t> EffectiveCapabilities(absl::string_view proc_status) {
  for (absl::string_view line : absl::StrSplit(proc_status, '\n')) {
    if (!absl::ConsumePrefix(&line, "CapEff:")) continue;
    uint64_t effective = 0;
    if (!absl::SimpleHexAtoi(absl::StripAsciiWhitespace(line), &effective)) {
      return absl::InternalError(absl::StrCat("unreadable CapEff line in /proc status: ", line));
    }
    return effective;
  }
  return absl::InternalError("no CapEff line in /proc status");
}

absl::Status CheckOwnSandboxCapabilities() {
  std::ifstream file("/proc/thread-self/status");
  std::stringstream text;
  text << file.rdbuf();
  if (!file) return absl::InternalError("cannot read /proc/thread-self/status");
  absl::StatusOr<uint64_t> effective = EffectiveCapabilities(text.str());
  if (!effective.ok()) return effective.status();
  return CheckSandboxCapabilities(*effective);
}

}  // namespace flowgrid::sandbox
