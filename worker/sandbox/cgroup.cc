// Detection of the hierarchy, the file helpers both versions use, and the
// worker's set of slot cgroups.
#include "worker/sandbox/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace flowgrid::sandbox {
namespace cgroup_internal {
namespace {

absl::Status FileError(absl::string_view what, const std::string& path, int err) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(err)));
}

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError("cannot open", path, errno);
  std::string text;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return FileError("cannot read", path, err);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

absl::Status WriteFile(const std::string& path, absl::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return FileError("cannot open", path, errno);
  // A cgroup file takes one value per write(2); a short write is an error.
  ssize_t n;
  do {
    n = ::write(fd, text.data(), text.size());
  } while (n < 0 && errno == EINTR);
  const int err = errno;
  ::close(fd);
  if (n < 0) return FileError(absl::StrCat("cannot write \"", text, "\" to"), path, err);
  if (static_cast<size_t>(n) != text.size()) {
    return absl::InternalError(absl::StrCat("short write to ", path));
  }
  return absl::OkStatus();
}

int64_t CpuQuotaUs(const SlotCpu& cpu) {
  return std::llround(cpu.quota_cores * static_cast<double>(kCpuPeriodUs));
}

absl::StatusOr<int64_t> ReadKeyedValue(const std::string& path, absl::string_view key) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, ' ');
    int64_t value = 0;
    if (kv.first == key && absl::SimpleAtoi(kv.second, &value)) return value;
  }
  return absl::InternalError(absl::StrCat("no \"", key, "\" line in ", path));
}

absl::StatusOr<int64_t> ReadInt(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  int64_t value = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &value)) {
    return absl::InternalError(absl::StrCat("not a number in ", path, ": \"", *text, "\""));
  }
  return value;
}

absl::StatusOr<std::vector<pid_t>> ReadPids(const std::string& procs_path) {
  absl::StatusOr<std::string> text = ReadFile(procs_path);
  if (!text.ok()) return text.status();
  std::vector<pid_t> pids;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    int pid = 0;
    if (absl::SimpleAtoi(line, &pid)) pids.push_back(pid);
  }
  return pids;
}

absl::Status MakeDir(const std::string& path) {
  // EEXIST: a worker that crashed left it; it is emptied and reused.
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return FileError("cannot create cgroup", path, errno);
  }
  return absl::OkStatus();
}

absl::Status RemoveDir(const std::string& path) {
  // Killed processes leave the cgroup asynchronously; rmdir says EBUSY
  // until the last one is gone.
  const absl::Time give_up = absl::Now() + absl::Seconds(2);
  while (::rmdir(path.c_str()) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    if (errno != EBUSY || absl::Now() > give_up) {
      return FileError("cannot remove cgroup", path, errno);
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return absl::OkStatus();
}

absl::Status KillUntilEmpty(const std::string& procs_path) {
  const absl::Time give_up = absl::Now() + absl::Seconds(2);
  while (true) {
    absl::StatusOr<std::vector<pid_t>> pids = ReadPids(procs_path);
    if (!pids.ok()) return pids.status();
    if (pids->empty()) return absl::OkStatus();
    if (absl::Now() > give_up) {
      return absl::InternalError(absl::StrCat(pids->size(), " process(es) still in ", procs_path,
                                              " after SIGKILL, e.g. pid ", pids->front()));
    }
    for (pid_t pid : *pids) ::kill(pid, SIGKILL);
    absl::SleepFor(absl::Microseconds(200));
  }
}

}  // namespace cgroup_internal

namespace {

struct Mount {
  std::string root;         // the path inside the hierarchy mounted here
  std::string mountpoint;
  std::string fstype;
  std::vector<std::string> super_options;
};

std::vector<Mount> ParseMountinfo(absl::string_view mountinfo) {
  std::vector<Mount> mounts;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    // "id parent major:minor root mountpoint options [optional...] - fstype source superoptions"
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    size_t dash = 0;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (dash < 5 || dash + 2 >= fields.size()) continue;
    Mount mount;
    mount.root = std::string(fields[3]);
    mount.mountpoint = std::string(fields[4]);
    mount.fstype = std::string(fields[dash + 1]);
    if (dash + 3 < fields.size()) {
      mount.super_options = absl::StrSplit(fields[dash + 3], ',');
    }
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

bool Contains(const std::vector<std::string>& list, absl::string_view item) {
  for (const std::string& s : list) {
    if (s == item) return true;
  }
  return false;
}

// The directory of `own_path` (a path inside the hierarchy) or of the
// configured parent, seen through `mount`.
std::string ParentDir(const Mount& mount, absl::string_view own_path,
                      absl::string_view configured_parent) {
  absl::string_view inside = configured_parent.empty() ? own_path : configured_parent;
  // A mount of a sub-tree (root != "/") shows paths relative to its root.
  if (mount.root != "/") absl::ConsumePrefix(&inside, mount.root);
  std::string dir = mount.mountpoint;
  if (!inside.empty() && inside != "/") {
    if (inside.front() != '/') dir += "/";
    dir += std::string(inside);
  }
  return dir;
}

absl::StatusOr<CgroupHierarchy> DetectV1(const std::vector<Mount>& mounts,
                                        absl::string_view proc_cgroup,
                                        absl::string_view configured_parent) {
  CgroupHierarchy hierarchy;
  hierarchy.version = CgroupVersion::kV1;
  struct Want {
    const char* controller;
    std::string* parent;
    bool required;
  };
  const Want wants[] = {{"memory", &hierarchy.memory_parent, true},
                        {"pids", &hierarchy.pids_parent, true},
                        {"cpuacct", &hierarchy.cpuacct_parent, true},
                        {"cpu", &hierarchy.cpu_parent, false},
                        {"freezer", &hierarchy.freezer_parent, false}};
  for (const Want& want : wants) {
    const Mount* found = nullptr;
    for (const Mount& mount : mounts) {
      if (mount.fstype == "cgroup" && Contains(mount.super_options, want.controller)) {
        found = &mount;
        break;
      }
    }
    if (found == nullptr) {
      if (!want.required) continue;
      return absl::FailedPreconditionError(absl::StrCat(
          "no cgroup v2 hierarchy with memory and pids, and no cgroup v1 \"", want.controller,
          "\" mount in /proc/self/mountinfo"));
    }
    // "4:memory:/path" or "2:cpu,cpuacct:/path".
    std::string own_path;
    for (absl::string_view line : absl::StrSplit(proc_cgroup, '\n', absl::SkipEmpty())) {
      std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(':', 2));
      if (parts.size() != 3) continue;
      std::vector<absl::string_view> controllers = absl::StrSplit(parts[1], ',');
      for (absl::string_view c : controllers) {
        if (c == want.controller) own_path = std::string(parts[2]);
      }
    }
    if (own_path.empty() && configured_parent.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the worker's own \"", want.controller, "\" cgroup is not in /proc/self/cgroup"));
    }
    *want.parent = ParentDir(*found, own_path, configured_parent);
  }
  return hierarchy;
}

}  // namespace

absl::StatusOr<CgroupHierarchy> DetectCgroupHierarchyFromText(
    absl::string_view mountinfo, absl::string_view proc_cgroup,
    absl::string_view configured_parent) {
  const std::vector<Mount> mounts = ParseMountinfo(mountinfo);
  std::string own_v2_path;
  for (absl::string_view line : absl::StrSplit(proc_cgroup, '\n', absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&line, "0::")) own_v2_path = std::string(line);
  }
  for (const Mount& mount : mounts) {
    if (mount.fstype != "cgroup2") continue;
    const std::string parent = ParentDir(mount, own_v2_path, configured_parent);
    // On a hybrid host the v2 mount exists but its controllers are bound to
    // v1 hierarchies: then it is no use for limits.
    absl::StatusOr<std::string> controllers =
        cgroup_internal::ReadFile(parent + "/cgroup.controllers");
    if (!controllers.ok()) continue;
    std::vector<std::string> names =
        absl::StrSplit(absl::StripAsciiWhitespace(*controllers), ' ', absl::SkipEmpty());
    if (Contains(names, "memory") && Contains(names, "pids")) {
      CgroupHierarchy hierarchy;
      hierarchy.version = CgroupVersion::kV2;
      hierarchy.v2_parent = parent;
      hierarchy.v2_cpu = Contains(names, "cpu");
      return hierarchy;
    }
  }
  return DetectV1(mounts, proc_cgroup, configured_parent);
}

absl::StatusOr<CgroupHierarchy> DetectCgroupHierarchy(absl::string_view configured_parent) {
  absl::StatusOr<std::string> mountinfo = cgroup_internal::ReadFile("/proc/self/mountinfo");
  if (!mountinfo.ok()) return mountinfo.status();
  absl::StatusOr<std::string> proc_cgroup = cgroup_internal::ReadFile("/proc/self/cgroup");
  if (!proc_cgroup.ok()) return proc_cgroup.status();
  return DetectCgroupHierarchyFromText(*mountinfo, *proc_cgroup, configured_parent);
}

absl::Status CheckSlotCpu(const CgroupHierarchy& hierarchy, const SlotCpu& cpu) {
  if (!(cpu.quota_cores >= 0) || cpu.quota_cores > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("CPU quota per slot must be 0 (none) or 0.01 to 4096 CPUs, not ",
                     cpu.quota_cores));
  }
  if (cpu.quota_cores == 0) return absl::OkStatus();
  if (cgroup_internal::CpuQuotaUs(cpu) < 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("CPU quota per slot of ", cpu.quota_cores,
                     " CPUs is below the kernel's minimum of 0.01 (1 ms per 100 ms)"));
  }
  if (hierarchy.version == CgroupVersion::kV2 && !hierarchy.v2_cpu) {
    return absl::FailedPreconditionError(
        absl::StrCat("a CPU quota per slot needs the cpu controller, which is not offered in ",
                     hierarchy.v2_parent, "/cgroup.controllers"));
  }
  if (hierarchy.version == CgroupVersion::kV1 && hierarchy.cpu_parent.empty()) {
    return absl::FailedPreconditionError(
        "a CPU quota per slot needs the cpu controller: no cgroup v1 \"cpu\" mount in "
        "/proc/self/mountinfo");
  }
  return absl::OkStatus();
}

std::string DescribeSlotCpu(const CgroupHierarchy& hierarchy, const SlotCpu& cpu) {
  const bool v2 = hierarchy.version == CgroupVersion::kV2;
  if (v2 ? !hierarchy.v2_cpu : hierarchy.cpu_parent.empty()) {
    return "cpu: NOT controlled (no cpu controller): concurrent jobs share the CPU unweighted, "
           "no quota; CPU time is still limited per job by RLIMIT_CPU";
  }
  std::string line = absl::StrCat("cpu: equal weight per slot (", v2 ? "cpu.weight" : "cpu.shares",
                                  "), ");
  if (cpu.quota_cores == 0) return absl::StrCat(line, "no quota");
  return absl::StrCat(line, "quota ", cpu.quota_cores, " CPU per slot (",
                      v2 ? "cpu.max" : "cpu.cfs_quota_us", ")");
}

absl::StatusOr<std::unique_ptr<SlotCgroup>> CreateSlotCgroup(const CgroupHierarchy& hierarchy,
                                                             const std::string& name,
                                                             const SlotCpu& cpu) {
  using cgroup_internal::MakeDir;
  if (absl::Status usable = CheckSlotCpu(hierarchy, cpu); !usable.ok()) return usable;
  std::unique_ptr<SlotCgroup> cgroup;
  if (hierarchy.version == CgroupVersion::kV2) {
    absl::StatusOr<std::unique_ptr<SlotCgroup>> made =
        cgroup_internal::CreateV2(hierarchy.v2_parent, name);
    if (!made.ok()) return made.status();
    cgroup = *std::move(made);
  } else {
    const std::string memory = absl::StrCat(hierarchy.memory_parent, "/", name);
    const std::string pids = absl::StrCat(hierarchy.pids_parent, "/", name);
    const std::string cpuacct = absl::StrCat(hierarchy.cpuacct_parent, "/", name);
    const std::string cpu_dir =
        hierarchy.cpu_parent.empty() ? "" : absl::StrCat(hierarchy.cpu_parent, "/", name);
    const std::string freezer =
        hierarchy.freezer_parent.empty() ? "" : absl::StrCat(hierarchy.freezer_parent, "/", name);
    for (const std::string* dir : {&memory, &pids, &cpuacct, &cpu_dir, &freezer}) {
      if (dir->empty()) continue;
      if (absl::Status made = MakeDir(*dir); !made.ok()) return made;
    }
    cgroup = cgroup_internal::NewV1(memory, pids, cpuacct, cpu_dir, freezer);
  }
  // A leftover of a crashed worker may still hold its processes.
  if (absl::Status killed = cgroup->KillAll(); !killed.ok()) return killed;
  if (absl::Status set = cgroup->SetCpu(cpu); !set.ok()) {
    (void)cgroup->Remove();
    return set;
  }
  return cgroup;
}

namespace {

// The pid in "flowgrid-<id>-<pid>-slot<N>" (the id may contain '-'), or 0.
pid_t SlotCgroupOwner(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "flowgrid-")) return 0;
  const size_t slot = name.rfind("-slot");
  int n = 0;
  if (slot == absl::string_view::npos || !absl::SimpleAtoi(name.substr(slot + 5), &n)) return 0;
  name = name.substr(0, slot);
  const size_t dash = name.rfind('-');
  int pid = 0;
  if (dash == absl::string_view::npos || !absl::SimpleAtoi(name.substr(dash + 1), &pid)) return 0;
  return pid > 0 ? pid : 0;
}

std::vector<std::string> ParentDirs(const CgroupHierarchy& hierarchy) {
  std::vector<std::string> dirs;
  if (hierarchy.version == CgroupVersion::kV2) return {hierarchy.v2_parent};
  for (const std::string* dir : {&hierarchy.memory_parent, &hierarchy.pids_parent,
                                 &hierarchy.cpuacct_parent, &hierarchy.cpu_parent,
                                 &hierarchy.freezer_parent}) {
    bool seen = false;
    for (const std::string& d : dirs) seen |= d == *dir;
    if (!dir->empty() && !seen) dirs.push_back(*dir);
  }
  return dirs;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> FindStaleSlotCgroups(const CgroupHierarchy& hierarchy) {
  std::vector<std::string> stale;
  for (const std::string& parent : ParentDirs(hierarchy)) {
    DIR* dir = ::opendir(parent.c_str());
    if (dir == nullptr) {
      return absl::InternalError(
          absl::StrCat("cannot list ", parent, ": ", std::strerror(errno)));
    }
    std::vector<std::string> candidates;
    while (const dirent* entry = ::readdir(dir)) {
      const pid_t owner = SlotCgroupOwner(entry->d_name);
      // EPERM: alive under another uid.
      if (owner > 0 && ::kill(owner, 0) != 0 && errno == ESRCH) {
        candidates.push_back(absl::StrCat(parent, "/", entry->d_name));
      }
    }
    ::closedir(dir);
    for (std::string& path : candidates) {
      absl::StatusOr<std::vector<pid_t>> pids = cgroup_internal::ReadPids(path + "/cgroup.procs");
      if (pids.ok() && pids->empty()) stale.push_back(std::move(path));
    }
  }
  return stale;
}

SlotCgroups::SlotCgroups(std::vector<std::unique_ptr<SlotCgroup>> all) : all_(std::move(all)) {
  for (const std::unique_ptr<SlotCgroup>& cgroup : all_) free_.push_back(cgroup.get());
}

SlotCgroups::~SlotCgroups() {
  for (const std::unique_ptr<SlotCgroup>& cgroup : all_) {
    if (absl::Status removed = cgroup->Remove(); !removed.ok()) {
      LogWarning(absl::StrCat("slot cgroup not removed: ", removed.ToString()));
    }
  }
}

absl::StatusOr<std::unique_ptr<SlotCgroups>> SlotCgroups::Create(
    const CgroupHierarchy& hierarchy, absl::string_view worker_id, int slots,
    const SlotCpu& cpu) {
  // The id comes from a flag or the hostname; a cgroup name is one path
  // component. The pid is part of the name because ids repeat across
  // concurrent workers (every local cluster has a "worker-1"), and a
  // worker must never take over, and empty, a live worker's slot.
  std::string safe_id(worker_id);
  for (char& c : safe_id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) c = '_';
  }
  absl::StatusOr<std::vector<std::string>> stale = FindStaleSlotCgroups(hierarchy);
  if (!stale.ok()) return stale.status();
  int removed = 0;
  for (const std::string& dir : *stale) {
    if (::rmdir(dir.c_str()) == 0) {
      ++removed;
    } else {
      LogWarning(absl::StrCat("stale slot cgroup ", dir, " not removed: ", std::strerror(errno)));
    }
  }
  if (removed > 0) {
    LogInfo(absl::StrCat("removed ", removed, " stale slot cgroup directories of dead workers"));
  }
  std::vector<std::unique_ptr<SlotCgroup>> all;
  for (int i = 0; i < slots; ++i) {
    absl::StatusOr<std::unique_ptr<SlotCgroup>> cgroup = CreateSlotCgroup(
        hierarchy, absl::StrCat("flowgrid-", safe_id, "-", ::getpid(), "-slot", i), cpu);
    if (!cgroup.ok()) {
      for (const std::unique_ptr<SlotCgroup>& made : all) (void)made->Remove();
      return cgroup.status();
    }
    all.push_back(*std::move(cgroup));
  }
  return std::unique_ptr<SlotCgroups>(new SlotCgroups(std::move(all)));
}

std::unique_ptr<SlotCgroups::Lease> SlotCgroups::Acquire() {
  absl::MutexLock lock(&mu_);
  auto any_free = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !free_.empty(); };
  mu_.Await(absl::Condition(&any_free));
  SlotCgroup* cgroup = free_.back();
  free_.pop_back();
  return std::make_unique<Lease>(this, cgroup);
}

std::unique_ptr<SlotCgroups::Lease> SlotCgroups::TryAcquire() {
  absl::MutexLock lock(&mu_);
  if (free_.empty()) return nullptr;
  SlotCgroup* cgroup = free_.back();
  free_.pop_back();
  return std::make_unique<Lease>(this, cgroup);
}

void SlotCgroups::Release(SlotCgroup* cgroup) {
  absl::MutexLock lock(&mu_);
  free_.push_back(cgroup);
}

absl::StatusOr<int64_t> ReadyForJob(SlotCgroup& cgroup, CgroupLimits limits, bool resident) {
  if (absl::Status reset = cgroup.Reset(); !reset.ok()) return reset;
  int64_t resident_charge = 0;
  if (resident) {
    absl::StatusOr<CgroupUsage> idle = cgroup.ReadUsage();
    if (!idle.ok()) return idle.status();
    resident_charge = idle->memory_bytes;
    limits.memory_bytes += resident_charge;
  }
  // A few small file writes, skipped when unchanged.
  if (absl::Status set = cgroup.SetLimits(limits); !set.ok()) return set;
  return resident_charge;
}

CgroupUsage UsageSince(const CgroupUsage& now, const CgroupUsage& baseline) {
  CgroupUsage usage;
  usage.peak_memory_bytes = now.peak_memory_bytes;
  usage.memory_bytes = now.memory_bytes;
  usage.oom_kills = now.oom_kills - baseline.oom_kills;
  usage.pids_limit_hits = now.pids_limit_hits - baseline.pids_limit_hits;
  usage.cpu_usage_us = now.cpu_usage_us - baseline.cpu_usage_us;
  return usage;
}

}  // namespace flowgrid::sandbox
