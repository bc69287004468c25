// cgroup v1: one directory per controller (memory, pids, cpuacct, and cpu
// and freezer when mounted), all named alike.
#include <signal.h>
#include <unistd.h>

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "worker/sandbox/cgroup.h"

namespace flowgrid::sandbox {
namespace cgroup_internal {
namespace {

class CgroupV1 final : public SlotCgroup {
 public:
  CgroupV1(std::string memory, std::string pids, std::string cpuacct, std::string cpu,
           std::string freezer)
      : memory_(std::move(memory)),
        pids_(std::move(pids)),
        cpuacct_(std::move(cpuacct)),
        cpu_(std::move(cpu)),
        freezer_(std::move(freezer)) {}

  absl::Status Reset() override {
    // Writing 0 restarts the high-water mark from the current usage.
    if (absl::Status s = WriteFile(memory_ + "/memory.max_usage_in_bytes", "0"); !s.ok()) {
      return s;
    }
    absl::StatusOr<CgroupUsage> now = ReadCounters();
    if (!now.ok()) return now.status();
    baseline_ = *now;
    return absl::OkStatus();
  }

  absl::Status SetLimits(const CgroupLimits& limits) override {
    // Most jobs of a slot have the same limits: skip the writes then.
    if (limits_ == limits) {
      return absl::OkStatus();
    }
    const std::string memory_limit = absl::StrCat(limits.memory_bytes);
    // With swap accounting, memory + swap gets the same bound, or a job
    // could swap out past its limit. The kernel keeps memsw >= the memory
    // limit at every write, so a raised limit goes to memsw first.
    const bool has_memsw = ::access((memory_ + "/memory.memsw.limit_in_bytes").c_str(), F_OK) == 0;
    absl::StatusOr<int64_t> current = ReadInt(memory_ + "/memory.limit_in_bytes");
    if (!current.ok()) return current.status();
    const bool raising = limits.memory_bytes > *current;
    if (has_memsw && raising) {
      if (absl::Status s = WriteFile(memory_ + "/memory.memsw.limit_in_bytes", memory_limit);
          !s.ok()) {
        return s;
      }
    }
    absl::Status s = WriteFile(memory_ + "/memory.limit_in_bytes", memory_limit);
    if (!s.ok()) {
      // EBUSY: the previous job's page cache is above the new limit and
      // could not be reclaimed. The slot is empty now, so drop it all.
      if (absl::Status emptied = WriteFile(memory_ + "/memory.force_empty", "0"); !emptied.ok()) {
        return s;
      }
      s = WriteFile(memory_ + "/memory.limit_in_bytes", memory_limit);
      if (!s.ok()) return s;
    }
    if (has_memsw && !raising) {
      s = WriteFile(memory_ + "/memory.memsw.limit_in_bytes", memory_limit);
      if (!s.ok()) return s;
    }
    s = WriteFile(pids_ + "/pids.max", absl::StrCat(limits.max_pids));
    if (!s.ok()) return s;
    limits_ = limits;
    return absl::OkStatus();
  }

  absl::Status SetCpu(const SlotCpu& cpu) override {
    if (cpu_.empty()) {
      if (cpu.quota_cores == 0) return absl::OkStatus();
      return absl::FailedPreconditionError(
          absl::StrCat("no cgroup v1 cpu controller for the quota of ", memory_));
    }
    // The default weight, written so that every slot has it even in a
    // cgroup a crashed worker left with another.
    absl::Status s = WriteFile(cpu_ + "/cpu.shares", "1024");
    if (!s.ok()) return s;
    s = WriteFile(cpu_ + "/cpu.cfs_period_us", absl::StrCat(kCpuPeriodUs));
    if (!s.ok()) return s;
    return WriteFile(cpu_ + "/cpu.cfs_quota_us",
                     cpu.quota_cores > 0 ? absl::StrCat(CpuQuotaUs(cpu)) : "-1");
  }

  absl::Status Attach(pid_t pid) override {
    const std::string text = absl::StrCat(pid);
    for (const std::string* dir : {&memory_, &pids_, &cpuacct_, &cpu_, &freezer_}) {
      if (dir->empty()) continue;
      if (absl::Status s = WriteFile(*dir + "/cgroup.procs", text); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  int SpawnFd() const override { return -1; }

  absl::Status BeforeSpawn() override {
    const std::string tid = absl::StrCat(::gettid());
    for (const std::string* dir : {&memory_, &cpuacct_, &cpu_, &freezer_}) {
      if (dir->empty()) continue;
      if (absl::Status s = WriteFile(*dir + "/tasks", tid); !s.ok()) {
        (void)ThreadBack();
        return s;
      }
    }
    return absl::OkStatus();
  }

  absl::Status AfterSpawn(pid_t child) override {
    absl::Status status = ThreadBack();
    if (child > 0 && status.ok()) status = WriteFile(pids_ + "/cgroup.procs", absl::StrCat(child));
    return status;
  }

  absl::Status KillAll() override {
    // Usually the job left nothing behind: then freezing costs more than
    // the check. An empty cgroup cannot gain a process by itself.
    absl::StatusOr<std::vector<pid_t>> left = Pids();
    if (!left.ok()) return left.status();
    if (left->empty()) return absl::OkStatus();
    if (!freezer_.empty()) {
      // Frozen processes cannot fork while the kill loop runs (a fork bomb
      // would otherwise outpace it); SIGKILL takes effect on thaw.
      absl::Status s = WriteFile(freezer_ + "/freezer.state", "FROZEN");
      if (!s.ok()) return s;
      const absl::Time give_up = absl::Now() + absl::Milliseconds(200);
      while (absl::Now() < give_up) {
        absl::StatusOr<std::string> state = ReadFile(freezer_ + "/freezer.state");
        if (!state.ok()) return state.status();
        if (absl::StartsWith(*state, "FROZEN")) break;
        absl::SleepFor(absl::Microseconds(100));
      }
      absl::StatusOr<std::vector<pid_t>> pids = ReadPids(freezer_ + "/cgroup.procs");
      if (!pids.ok()) return pids.status();
      for (pid_t pid : *pids) ::kill(pid, SIGKILL);
      s = WriteFile(freezer_ + "/freezer.state", "THAWED");
      if (!s.ok()) return s;
    }
    return KillUntilEmpty(memory_ + "/cgroup.procs");
  }

  absl::StatusOr<CgroupUsage> ReadUsage() override {
    absl::StatusOr<CgroupUsage> now = ReadCounters();
    if (!now.ok()) return now.status();
    return UsageSince(*now, baseline_);
  }

  // memory, not pids: a job's processes are born there (see BeforeSpawn).
  absl::StatusOr<std::vector<pid_t>> Pids() override {
    return ReadPids(memory_ + "/cgroup.procs");
  }

  absl::Status Remove() override {
    absl::Status status = KillAll();
    for (const std::string* dir : {&memory_, &pids_, &cpuacct_, &cpu_, &freezer_}) {
      if (dir->empty()) continue;
      if (absl::Status s = RemoveDir(*dir); !s.ok() && status.ok()) status = s;
    }
    return status;
  }

 private:
  // The calling thread back into the parent directories.
  absl::Status ThreadBack() {
    const std::string tid = absl::StrCat(::gettid());
    absl::Status status;
    for (const std::string* dir : {&memory_, &cpuacct_, &cpu_, &freezer_}) {
      if (dir->empty()) continue;
      const std::string parent = dir->substr(0, dir->rfind('/'));
      if (absl::Status s = WriteFile(parent + "/tasks", tid); !s.ok() && status.ok()) status = s;
    }
    return status;
  }

  // The counters as they are now (cumulative since creation, except the
  // peak, which Reset restarts).
  absl::StatusOr<CgroupUsage> ReadCounters() {
    CgroupUsage usage;
    absl::StatusOr<int64_t> peak = ReadInt(memory_ + "/memory.max_usage_in_bytes");
    if (!peak.ok()) return peak.status();
    usage.peak_memory_bytes = *peak;
    absl::StatusOr<int64_t> current = ReadInt(memory_ + "/memory.usage_in_bytes");
    if (!current.ok()) return current.status();
    usage.memory_bytes = *current;
    absl::StatusOr<int64_t> oom = ReadKeyedValue(memory_ + "/memory.oom_control", "oom_kill");
    if (!oom.ok()) return oom.status();
    usage.oom_kills = *oom;
    absl::StatusOr<int64_t> max_hits = ReadKeyedValue(pids_ + "/pids.events", "max");
    if (!max_hits.ok()) return max_hits.status();
    usage.pids_limit_hits = *max_hits;
    absl::StatusOr<int64_t> cpu_ns = ReadInt(cpuacct_ + "/cpuacct.usage");
    if (!cpu_ns.ok()) return cpu_ns.status();
    usage.cpu_usage_us = *cpu_ns / 1000;
    return usage;
  }

  const std::string memory_;
  const std::string pids_;
  const std::string cpuacct_;
  const std::string cpu_;      // empty: no cpu hierarchy
  const std::string freezer_;  // empty: no freezer hierarchy
  CgroupUsage baseline_;
  std::optional<CgroupLimits> limits_;  // last written; none yet at first
};

}  // namespace

std::unique_ptr<SlotCgroup> NewV1(std::string memory, std::string pids, std::string cpuacct,
                                  std::string cpu, std::string freezer) {
  return std::make_unique<CgroupV1>(std::move(memory), std::move(pids), std::move(cpuacct),
                                    std::move(cpu), std::move(freezer));
}

}  // namespace cgroup_internal
}  // namespace flowgrid::sandbox
