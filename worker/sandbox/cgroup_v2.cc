// cgroup v2: one directory in the unified hierarchy.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "worker/sandbox/cgroup.h"
#include "worker/sandbox/unique_fd.h"

namespace flowgrid::sandbox {
namespace cgroup_internal {
namespace {

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

class CgroupV2 final : public SlotCgroup {
 public:
  CgroupV2(std::string dir, UniqueFd dir_fd) : dir_(std::move(dir)), dir_fd_(std::move(dir_fd)) {}

  absl::Status Reset() override {
    if (!peak_fd_.valid() && peak_resettable_) {
      // Since Linux 6.12 a write to memory.peak restarts the peak as seen
      // through that open file, so the file stays open for the slot's life.
      // Before, the file is read-only and the peak only grows: then the
      // peak is not reported (-1) rather than a previous job's.
      peak_fd_.Reset(::open((dir_ + "/memory.peak").c_str(), O_RDWR | O_CLOEXEC));
      if (!peak_fd_.valid()) peak_resettable_ = false;
    }
    if (peak_fd_.valid() && ::pwrite(peak_fd_.get(), "reset\n", 6, 0) != 6) {
      peak_fd_.Reset();
      peak_resettable_ = false;
    }
    absl::StatusOr<CgroupUsage> now = ReadCounters();
    if (!now.ok()) return now.status();
    baseline_ = *now;
    return absl::OkStatus();
  }

  absl::Status SetLimits(const CgroupLimits& limits) override {
    if (limits_ == limits) {
      return absl::OkStatus();
    }
    absl::Status s = WriteFile(dir_ + "/memory.max", absl::StrCat(limits.memory_bytes));
    if (!s.ok()) return s;
    // No swap: otherwise a job could swap out past its memory limit.
    if (Exists(dir_ + "/memory.swap.max")) {
      s = WriteFile(dir_ + "/memory.swap.max", "0");
      if (!s.ok()) return s;
    }
    s = WriteFile(dir_ + "/pids.max", absl::StrCat(limits.max_pids));
    if (!s.ok()) return s;
    limits_ = limits;
    return absl::OkStatus();
  }

  absl::Status SetCpu(const SlotCpu& cpu) override {
    // The interface files exist only where the parent enabled +cpu.
    if (!Exists(dir_ + "/cpu.weight")) {
      if (cpu.quota_cores == 0) return absl::OkStatus();
      return absl::FailedPreconditionError(
          absl::StrCat("the cpu controller is not enabled for ", dir_, " (no cpu.weight)"));
    }
    // The default weight, written so that every slot has it even in a
    // cgroup a crashed worker left with another.
    absl::Status s = WriteFile(dir_ + "/cpu.weight", "100");
    if (!s.ok()) return s;
    return WriteFile(dir_ + "/cpu.max",
                     absl::StrCat(cpu.quota_cores > 0 ? absl::StrCat(CpuQuotaUs(cpu)) : "max",
                                  " ", kCpuPeriodUs));
  }

  absl::Status Attach(pid_t pid) override {
    return WriteFile(dir_ + "/cgroup.procs", absl::StrCat(pid));
  }

  int SpawnFd() const override { return dir_fd_.get(); }
  absl::Status BeforeSpawn() override { return absl::OkStatus(); }
  absl::Status AfterSpawn(pid_t) override { return absl::OkStatus(); }

  absl::Status KillAll() override {
    const std::string procs = dir_ + "/cgroup.procs";
    // Usually the job left nothing behind: then the kill is not needed. An
    // empty cgroup cannot gain a process by itself.
    absl::StatusOr<std::vector<pid_t>> left = ReadPids(procs);
    if (!left.ok()) return left.status();
    if (left->empty()) return absl::OkStatus();
    if (Exists(dir_ + "/cgroup.kill")) {
      // Linux 5.14+: the kernel kills every process atomically with respect
      // to forks.
      if (absl::Status s = WriteFile(dir_ + "/cgroup.kill", "1"); !s.ok()) return s;
    } else {
      // Frozen processes cannot fork while the loop below runs; SIGKILL
      // takes effect on thaw.
      if (absl::Status s = WriteFile(dir_ + "/cgroup.freeze", "1"); !s.ok()) return s;
      absl::StatusOr<std::vector<pid_t>> pids = ReadPids(procs);
      if (!pids.ok()) return pids.status();
      for (pid_t pid : *pids) ::kill(pid, SIGKILL);
      if (absl::Status s = WriteFile(dir_ + "/cgroup.freeze", "0"); !s.ok()) return s;
    }
    return KillUntilEmpty(procs);
  }

  absl::StatusOr<CgroupUsage> ReadUsage() override {
    absl::StatusOr<CgroupUsage> now = ReadCounters();
    if (!now.ok()) return now.status();
    return UsageSince(*now, baseline_);
  }

  absl::StatusOr<std::vector<pid_t>> Pids() override { return ReadPids(dir_ + "/cgroup.procs"); }

  absl::Status Remove() override {
    absl::Status status = KillAll();
    peak_fd_.Reset();
    if (absl::Status s = RemoveDir(dir_); !s.ok() && status.ok()) status = s;
    return status;
  }

 private:
  absl::StatusOr<CgroupUsage> ReadCounters() {
    CgroupUsage usage;
    if (peak_fd_.valid()) {
      char text[32] = {};
      const ssize_t n = ::pread(peak_fd_.get(), text, sizeof(text) - 1, 0);
      int64_t peak = 0;
      if (n <= 0 || !absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &peak)) {
        return absl::InternalError(absl::StrCat("cannot read ", dir_, "/memory.peak"));
      }
      usage.peak_memory_bytes = peak;
    }
    absl::StatusOr<int64_t> current = ReadInt(dir_ + "/memory.current");
    if (!current.ok()) return current.status();
    usage.memory_bytes = *current;
    // memory.events counts this cgroup and its descendants.
    absl::StatusOr<int64_t> oom = ReadKeyedValue(dir_ + "/memory.events", "oom_kill");
    if (!oom.ok()) return oom.status();
    usage.oom_kills = *oom;
    absl::StatusOr<int64_t> max_hits = ReadKeyedValue(dir_ + "/pids.events", "max");
    if (!max_hits.ok()) return max_hits.status();
    usage.pids_limit_hits = *max_hits;
    // cpu.stat's usage_usec is there without the cpu controller too.
    absl::StatusOr<int64_t> cpu_us = ReadKeyedValue(dir_ + "/cpu.stat", "usage_usec");
    if (!cpu_us.ok()) return cpu_us.status();
    usage.cpu_usage_us = *cpu_us;
    return usage;
  }

  const std::string dir_;
  const UniqueFd dir_fd_;  // for CLONE_INTO_CGROUP
  UniqueFd peak_fd_;
  bool peak_resettable_ = true;
  CgroupUsage baseline_;
  std::optional<CgroupLimits> limits_;  // last written; none yet at first
};

}  // namespace

absl::StatusOr<std::unique_ptr<SlotCgroup>> NewV2(std::string dir) {
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) {
    return absl::InternalError(absl::StrCat("cannot open ", dir, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<SlotCgroup>(new CgroupV2(std::move(dir), std::move(dir_fd)));
}

absl::StatusOr<std::unique_ptr<SlotCgroup>> CreateV2(const std::string& parent,
                                                     const std::string& name) {
  absl::StatusOr<std::string> offered = ReadFile(parent + "/cgroup.controllers");
  if (!offered.ok()) return offered.status();
  std::vector<std::string> names =
      absl::StrSplit(absl::StripAsciiWhitespace(*offered), ' ', absl::SkipEmpty());
  std::string enable;
  for (const char* wanted : {"memory", "pids", "cpu"}) {
    bool found = false;
    for (const std::string& n : names) found |= n == wanted;
    if (!found && std::strcmp(wanted, "cpu") != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cgroup v2 controller \"", wanted, "\" is not offered in ", parent,
          "/cgroup.controllers (\"", absl::StripAsciiWhitespace(*offered), "\")"));
    }
    if (found) absl::StrAppend(&enable, enable.empty() ? "" : " ", "+", wanted);
  }
  const std::string subtree = parent + "/cgroup.subtree_control";
  absl::Status enabled = WriteFile(subtree, enable);
  if (!enabled.ok()) {
    // "No internal processes": a non-root cgroup that holds processes (the
    // worker's own) cannot hand controllers to children (EBUSY). Move its
    // processes into a leaf of their own, then enable them.
    const std::string leaf = parent + "/flowgrid-worker";
    if (absl::Status made = MakeDir(leaf); !made.ok()) return made;
    absl::StatusOr<std::vector<pid_t>> pids = ReadPids(parent + "/cgroup.procs");
    if (!pids.ok()) return pids.status();
    for (pid_t pid : *pids) {
      // ESRCH (gone meanwhile) is harmless; the retry below says if not.
      (void)WriteFile(leaf + "/cgroup.procs", absl::StrCat(pid));
    }
    enabled = WriteFile(subtree, enable);
    if (!enabled.ok()) return enabled;
  }
  const std::string dir = parent + "/" + name;
  if (absl::Status made = MakeDir(dir); !made.ok()) return made;
  return NewV2(dir);
}

}  // namespace cgroup_internal
}  // namespace flowgrid::sandbox
