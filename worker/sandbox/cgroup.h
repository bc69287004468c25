// Control groups for jobs: one cgroup per job slot, created once at worker
// start and reused by every job of that slot (a per-job mkdir/attach/rmdir
// costs ≈ 0.4 ms and v1 leaves dying cgroups behind; see
// shared/notes/sandbox-spike.md). The slot cgroup carries the job's memory
// and process limits, is where OOM kills and pids-limit hits are counted,
// and is emptied at the end of every job, so that no process (a daemon, a
// double fork) outlives the job that started it. Every slot has the same
// CPU weight, so concurrent jobs share the CPU fairly however many threads
// each runs; a hard CPU quota per slot is optional (SlotCpu).
//
// Both hierarchies are supported behind one interface: cgroup v1 (one mount
// per controller — this machine kind) and v2 (unified — Kubernetes nodes).
// DetectCgroupHierarchy picks one at worker start from /proc/self/mountinfo
// and /proc/self/cgroup; every path is taken from there, so tests run the
// same code against a fake or a privately mounted hierarchy.
#ifndef FLOWGRID_WORKER_SANDBOX_CGROUP_H_
#define FLOWGRID_WORKER_SANDBOX_CGROUP_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace flowgrid::sandbox {

enum class CgroupVersion { kV1, kV2 };

// Where slot cgroups are created: the parent directory of each.
struct CgroupHierarchy {
  CgroupVersion version = CgroupVersion::kV1;
  // v2: the one parent directory.
  std::string v2_parent;
  // v2: whether the cpu controller is offered at the parent (weights and
  // quotas need it; usage is counted without it).
  bool v2_cpu = false;
  // v1: the parent directory in each controller's mount. cpu and freezer
  // are optional (empty: no weights or quotas; KillAll falls back to a
  // kill loop).
  std::string memory_parent;
  std::string pids_parent;
  std::string cpuacct_parent;
  std::string cpu_parent;
  std::string freezer_parent;
};

// Picks the hierarchy from the text of /proc/self/mountinfo and
// /proc/self/cgroup. v2 is used when a cgroup2 mount offers the memory and
// pids controllers at the parent; otherwise v1 needs memory, pids and
// cpuacct mounts. The parent is the worker's own cgroup, or
// `configured_parent` (a path inside each hierarchy, e.g. "/flowgrid")
// when not empty. The error names what is missing.
absl::StatusOr<CgroupHierarchy> DetectCgroupHierarchyFromText(absl::string_view mountinfo,
                                                              absl::string_view proc_cgroup,
                                                              absl::string_view configured_parent);
// The same, reading this process's files.
absl::StatusOr<CgroupHierarchy> DetectCgroupHierarchy(absl::string_view configured_parent);

// CPU control of every slot, set once when the slot is created. Each slot
// gets the default weight (v1 cpu.shares 1024, v2 cpu.weight 100): equal
// shares between concurrent jobs, and no throttling.
struct SlotCpu {
  // A hard cap per slot in CPUs (1.5: 150 ms of CPU time per 100 ms
  // period); 0: none. Off by default: a job that exhausts its quota is
  // stalled until the next period (16 ms stalls measured with one CPU).
  double quota_cores = 0;
};

// Whether `hierarchy` can apply `cpu`: an error if a quota is asked for
// without the cpu controller, or is out of range.
absl::Status CheckSlotCpu(const CgroupHierarchy& hierarchy, const SlotCpu& cpu);
// One line for the worker's log: what is enforced ("cpu: equal weight per
// slot (cpu.shares), quota 1.5 CPU per slot (cpu.cfs_quota_us)" or "cpu:
// NOT controlled: …").
std::string DescribeSlotCpu(const CgroupHierarchy& hierarchy, const SlotCpu& cpu);

struct CgroupLimits {
  int64_t memory_bytes = 256 << 20;
  int64_t max_pids = 32;
  bool operator==(const CgroupLimits&) const = default;
};

// What the slot's processes used since the last Reset().
struct CgroupUsage {
  // -1 when the kernel cannot reset the peak between jobs (v2 before 6.12:
  // memory.peak only grows over the cgroup's life); callers fall back to
  // the child's own rusage then.
  int64_t peak_memory_bytes = -1;
  // Charged now: a long-lived process sharing the slot with its jobs (a
  // zygote) is what is charged between jobs.
  int64_t memory_bytes = 0;
  int64_t oom_kills = 0;
  int64_t pids_limit_hits = 0;
  int64_t cpu_usage_us = 0;
};

// The counters of `now` minus those of `baseline` (read at Reset); the peak
// and the current charge are taken from `now` as they are.
CgroupUsage UsageSince(const CgroupUsage& now, const CgroupUsage& baseline);

// One slot's cgroup. Not thread-safe: a slot runs one job at a time.
// Errors name the file and the errno.
class SlotCgroup {
 public:
  virtual ~SlotCgroup() = default;
  // Before a job: forget the previous job's peak and counters.
  virtual absl::Status Reset() = 0;
  virtual absl::Status SetLimits(const CgroupLimits& limits) = 0;
  // Equal weight and the optional quota (once, at creation). Without the
  // cpu controller: nothing, or an error if a quota is asked for.
  virtual absl::Status SetCpu(const SlotCpu& cpu) = 0;
  // Moves process `pid` (and its threads) into the cgroup.
  virtual absl::Status Attach(pid_t pid) = 0;
  // A job's child is born in the cgroup rather than attached after its
  // exec (when its code may already run).
  // v2: the spawn passes SpawnFd(), the cgroup's directory, to clone3 with
  // CLONE_INTO_CGROUP; BeforeSpawn and AfterSpawn do nothing.
  // v1 has no such flag: BeforeSpawn moves the calling thread into the
  // memory, cpuacct, cpu and freezer directories (v1 groups threads
  // separately) so that its child is born there, and AfterSpawn moves it
  // back to the parent and attaches `child` to pids after its exec (a
  // thread in pids would count against a job limited to one process).
  // AfterSpawn is called even when the spawn failed (child -1).
  virtual int SpawnFd() const = 0;
  virtual absl::Status BeforeSpawn() = 0;
  virtual absl::Status AfterSpawn(pid_t child) = 0;
  // Kills every process in the cgroup and returns once it is empty.
  virtual absl::Status KillAll() = 0;
  virtual absl::StatusOr<CgroupUsage> ReadUsage() = 0;
  // The pids currently in the cgroup (for tests and diagnostics).
  virtual absl::StatusOr<std::vector<pid_t>> Pids() = 0;
  // Kills what is left and removes the directories.
  virtual absl::Status Remove() = 0;
};

// Readies `cgroup` for its next job: forgets the previous job's peak and
// counters (Reset) and sets `limits`. With `resident`, a process lives in
// the cgroup before the job (a zygote, or a node process started ahead of
// its job) and what the cgroup is charged now is that process's, not the
// job's: it is added to the memory limit, so that the job's own growth is
// what limits.memory_bytes bounds, and returned, so that the job's peak
// can be reported without it. Returns 0 without a resident.
absl::StatusOr<int64_t> ReadyForJob(SlotCgroup& cgroup, CgroupLimits limits, bool resident);

// Creates (or takes over, after a crash left it behind) the cgroup `name`
// under the hierarchy's parent, with `cpu` applied. On v2 the parent's
// subtree_control gets +memory +pids (and +cpu if offered); see
// cgroup_v2.cc for the no-internal-processes rule.
absl::StatusOr<std::unique_ptr<SlotCgroup>> CreateSlotCgroup(const CgroupHierarchy& hierarchy,
                                                             const std::string& name,
                                                             const SlotCpu& cpu = {});

// The slot cgroups a dead worker left in the hierarchy's parent
// directories (a SIGKILL skips the removal): the paths of every
// "flowgrid-<id>-<pid>-slot<N>" whose pid is not a live process and whose
// cgroup.procs lists no process. Workers sharing a parent directory must
// share a pid namespace (the default parent, each worker's own cgroup, is
// never shared), or a live worker's idle slots would look stale.
absl::StatusOr<std::vector<std::string>> FindStaleSlotCgroups(const CgroupHierarchy& hierarchy);

// The worker's slot cgroups, "flowgrid-<worker_id>-<pid>-slot<N>". A job leases
// one for its duration; with one lease per running job and as many cgroups
// as slots, a lease is always free.
class SlotCgroups {
 public:
  // Removes the stale slot cgroups of dead workers (FindStaleSlotCgroups;
  // one that cannot be removed is logged and left), then makes this
  // worker's.
  static absl::StatusOr<std::unique_ptr<SlotCgroups>> Create(const CgroupHierarchy& hierarchy,
                                                             absl::string_view worker_id,
                                                             int slots, const SlotCpu& cpu = {});
  // Removes every cgroup (errors are logged).
  ~SlotCgroups();

  class Lease {
   public:
    Lease(SlotCgroups* owner, SlotCgroup* cgroup) : owner_(owner), cgroup_(cgroup) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { owner_->Release(cgroup_); }
    SlotCgroup* get() const { return cgroup_; }
    SlotCgroup* operator->() const { return cgroup_; }

   private:
    SlotCgroups* owner_;
    SlotCgroup* cgroup_;
  };
  // Waits for a free cgroup (never long: see above).
  std::unique_ptr<Lease> Acquire();
  // A free cgroup now, or nullptr when every one is leased.
  std::unique_ptr<Lease> TryAcquire();

 private:
  explicit SlotCgroups(std::vector<std::unique_ptr<SlotCgroup>> all);
  void Release(SlotCgroup* cgroup);

  std::vector<std::unique_ptr<SlotCgroup>> all_;
  absl::Mutex mu_;
  std::vector<SlotCgroup*> free_ ABSL_GUARDED_BY(mu_);
};

// Internals shared by cgroup_v1.cc, cgroup_v2.cc and cgroup.cc.
namespace cgroup_internal {
// The CFS period of a quota (the kernel's default), and the quota per period.
inline constexpr int64_t kCpuPeriodUs = 100000;
int64_t CpuQuotaUs(const SlotCpu& cpu);
absl::StatusOr<std::string> ReadFile(const std::string& path);
absl::Status WriteFile(const std::string& path, absl::string_view text);
// The value of `key` in a "key value" per line file (memory.events,
// pids.events, memory.oom_control, cpu.stat).
absl::StatusOr<int64_t> ReadKeyedValue(const std::string& path, absl::string_view key);
absl::StatusOr<int64_t> ReadInt(const std::string& path);
absl::StatusOr<std::vector<pid_t>> ReadPids(const std::string& procs_path);
absl::Status MakeDir(const std::string& path);
// rmdir, retried briefly while the last processes finish exiting (EBUSY).
absl::Status RemoveDir(const std::string& path);
// SIGKILLs every pid in `procs_path` until it lists none, bounded by ~2 s.
absl::Status KillUntilEmpty(const std::string& procs_path);
// `cpu` and `freezer` may be empty (controller not mounted).
std::unique_ptr<SlotCgroup> NewV1(std::string memory, std::string pids, std::string cpuacct,
                                  std::string cpu, std::string freezer);
// The cgroup in an existing v2 directory (tests use a fake tree); fails
// if the directory cannot be opened.
absl::StatusOr<std::unique_ptr<SlotCgroup>> NewV2(std::string dir);
// Enables the controllers in `parent` and creates `parent`/`name`.
absl::StatusOr<std::unique_ptr<SlotCgroup>> CreateV2(const std::string& parent,
                                                     const std::string& name);
}  // namespace cgroup_internal

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_CGROUP_H_
