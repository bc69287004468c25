#include "worker/sandbox/job_root.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/log.h"

namespace flowgrid::sandbox {
namespace {

constexpr char kRootPrefix[] = "flowgrid-root-";

absl::Status ErrnoError(absl::string_view what, const std::string& path, int err) {
  return absl::FailedPreconditionError(
      absl::StrCat("job root: ", what, " ", path, ": ", std::strerror(err)));
}

// The directory of a worker's root; the tmpfs is mounted on its "root"
// subdirectory, so that the 0700 directory above it keeps other host users
// out (a mount point takes the mode of the mounted file system's root).
std::string OwnDir(const std::string& parent_dir, pid_t pid) {
  return absl::StrCat(parent_dir, "/", kRootPrefix, pid);
}

absl::Status MakeDirectory(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return ErrnoError("cannot create", path, errno);
  }
  return absl::OkStatus();
}

absl::Status Mount(const char* source, const std::string& target, const char* fstype,
                   unsigned long flags, const char* data) {
  if (::mount(source, target.c_str(), fstype, flags, data) != 0) {
    return ErrnoError(absl::StrCat("cannot mount ", source == nullptr ? "" : source, " on"),
                      target, errno);
  }
  return absl::OkStatus();
}

absl::Status SetMountAttributes(const std::string& path, uint64_t attributes, bool recursive) {
  struct mount_attr attr = {};
  attr.attr_set = attributes;
  if (::syscall(SYS_mount_setattr, AT_FDCWD, path.c_str(), recursive ? AT_RECURSIVE : 0, &attr,
                sizeof(attr)) != 0) {
    return ErrnoError("cannot restrict the mount", path, errno);
  }
  return absl::OkStatus();
}

// A read-only, nosuid, nodev view of a host directory (and its submounts).
absl::Status BindDirectory(const std::string& host, const std::string& target) {
  if (absl::Status s = MakeDirectory(target, 0755); !s.ok()) return s;
  if (absl::Status s = Mount(host.c_str(), target, nullptr, MS_BIND | MS_REC, nullptr); !s.ok()) {
    return s;
  }
  return SetMountAttributes(target, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                            /*recursive=*/true);
}

// A host character device on an empty file of the root.
absl::Status BindDevice(const std::string& host, const std::string& target) {
  struct stat st;
  if (::stat(host.c_str(), &st) != 0) return ErrnoError("cannot stat", host, errno);
  if (!S_ISCHR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("job root: ", host, " is not a character device"));
  }
  const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return ErrnoError("cannot create", target, errno);
  ::close(fd);
  if (absl::Status s = Mount(host.c_str(), target, nullptr, MS_BIND, nullptr); !s.ok()) return s;
  return SetMountAttributes(target, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC,
                            /*recursive=*/false);
}

absl::Status CopyFile(const std::string& from, const std::string& to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return ErrnoError("cannot open", from, errno);
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0) {
    const int err = errno;
    ::close(in);
    return ErrnoError("cannot create", to, err);
  }
  absl::Status status;
  char buffer[16384];
  while (status.ok()) {
    const ssize_t n = ::read(in, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) status = ErrnoError("cannot read", from, errno);
    if (n <= 0) break;
    for (ssize_t done = 0; done < n && status.ok();) {
      const ssize_t w = ::write(out, buffer + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) status = ErrnoError("cannot write", to, errno);
      done += w;
    }
  }
  ::close(in);
  ::close(out);
  return status;
}

// `host` (an absolute path) recreated under `root`: a symlink as the same
// symlink, a directory as a read-only bind, a regular file as a copy.
// Missing: skipped. Parent directories are created as needed.
absl::Status Reproduce(const std::string& root, absl::string_view host_path) {
  const std::string host(host_path);
  struct stat st;
  if (::lstat(host.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoError("cannot stat", host, errno);
  }
  for (size_t slash = host.find('/', 1); slash != std::string::npos;
       slash = host.find('/', slash + 1)) {
    if (absl::Status s = MakeDirectory(root + host.substr(0, slash), 0755); !s.ok()) return s;
  }
  const std::string target = root + host;
  if (S_ISLNK(st.st_mode)) {
    char link[PATH_MAX];
    const ssize_t n = ::readlink(host.c_str(), link, sizeof(link) - 1);
    if (n < 0) return ErrnoError("cannot read the symlink", host, errno);
    link[n] = '\0';
    if (::symlink(link, target.c_str()) != 0) return ErrnoError("cannot create", target, errno);
    return absl::OkStatus();
  }
  if (S_ISDIR(st.st_mode)) return BindDirectory(host, target);
  if (S_ISREG(st.st_mode)) return CopyFile(host, target);
  return absl::FailedPreconditionError(
      absl::StrCat("job root: ", host, " is neither a file, a directory nor a symlink"));
}

// Detaches what is mounted on `dir`/root and removes both directories.
absl::Status DetachAndRemove(const std::string& dir) {
  const std::string mount_point = dir + "/root";
  if (::umount2(mount_point.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return ErrnoError("cannot detach", mount_point, errno);
  }
  for (const std::string* path : {&mount_point, &dir}) {
    if (::rmdir(path->c_str()) != 0 && errno != ENOENT) {
      return ErrnoError("cannot remove", *path, errno);
    }
  }
  return absl::OkStatus();
}

absl::Status Build(const std::string& root, const JobRootOptions& options) {
  if (absl::Status s = Mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                             "size=16m,nr_inodes=4096,mode=0755");
      !s.ok()) {
    return s;
  }
  // The binds below must not propagate to the host's peer mounts.
  if (absl::Status s = Mount(nullptr, root, nullptr, MS_PRIVATE, nullptr); !s.ok()) return s;
  if (absl::Status s = BindDirectory("/usr", root + "/usr"); !s.ok()) return s;
  for (const char* top : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    if (absl::Status s = Reproduce(root, top); !s.ok()) return s;
  }
  if (absl::Status s = MakeDirectory(root + "/etc", 0755); !s.ok()) return s;
  for (const std::string& file : options.etc_files) {
    if (!absl::StartsWith(file, "/etc/") || absl::StrContains(file, "..")) {
      return absl::InvalidArgumentError(
          absl::StrCat("job root: \"", file, "\" is not a file under /etc"));
    }
    if (absl::Status s = Reproduce(root, file); !s.ok()) return s;
  }
  for (const char* dir : {"/dev", "/dev/shm", "/tmp", "/proc"}) {
    if (absl::Status s = MakeDirectory(root + dir, 0755); !s.ok()) return s;
  }
  for (const char* device : {"/dev/null", "/dev/zero", "/dev/random", "/dev/urandom"}) {
    if (absl::Status s = BindDevice(device, root + device); !s.ok()) return s;
  }
  // A bind of a shared host mount (/usr on a systemd host) joins its peer
  // group; host mounts must not propagate into the root afterwards.
  if (absl::Status s = Mount(nullptr, root, nullptr, MS_REC | MS_PRIVATE, nullptr); !s.ok()) {
    return s;
  }
  // Last: the tmpfs itself (not its submounts, which have their own
  // attributes) becomes read-only.
  return SetMountAttributes(
      root, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
      /*recursive=*/false);
}

}  // namespace

absl::StatusOr<int> RemoveStaleJobRoots(const std::string& parent_dir) {
  DIR* dir = ::opendir(parent_dir.c_str());
  if (dir == nullptr) return ErrnoError("cannot list", parent_dir, errno);
  std::vector<pid_t> stale;
  while (const dirent* entry = ::readdir(dir)) {
    absl::string_view name = entry->d_name;
    int pid = 0;
    if (!absl::ConsumePrefix(&name, kRootPrefix) || !absl::SimpleAtoi(name, &pid) || pid <= 0) {
      continue;
    }
    // EPERM: alive under another uid.
    if (::kill(pid, 0) != 0 && errno == ESRCH) stale.push_back(pid);
  }
  ::closedir(dir);
  for (pid_t pid : stale) {
    if (absl::Status s = DetachAndRemove(OwnDir(parent_dir, pid)); !s.ok()) return s;
  }
  return static_cast<int>(stale.size());
}

absl::StatusOr<std::unique_ptr<JobRoot>> JobRoot::Prepare(const JobRootOptions& options) {
  absl::StatusOr<int> removed = RemoveStaleJobRoots(options.parent_dir);
  if (!removed.ok()) return removed.status();
  if (*removed > 0) {
    LogInfo(absl::StrCat("removed ", *removed, " job root(s) left by dead workers in ",
                         options.parent_dir));
  }
  const std::string dir = OwnDir(options.parent_dir, ::getpid());
  // Left by a dead process that had this pid (a reused pid).
  if (absl::Status s = DetachAndRemove(dir); !s.ok()) return s;
  if (::mkdir(dir.c_str(), 0700) != 0) return ErrnoError("cannot create", dir, errno);
  std::unique_ptr<JobRoot> root(new JobRoot(dir + "/root"));
  if (absl::Status s = MakeDirectory(root->path(), 0755); !s.ok()) return s;
  // On error `root` is destroyed, which removes what was built.
  if (absl::Status s = Build(root->path(), options); !s.ok()) return s;
  return root;
}

JobRoot::~JobRoot() {
  if (absl::Status s = Remove(); !s.ok()) LogWarning(s.ToString());
}

absl::Status JobRoot::Remove() {
  if (removed_) return absl::OkStatus();
  removed_ = true;
  std::string dir = path_;
  dir.resize(dir.rfind('/'));
  return DetachAndRemove(dir);
}

int EnterJobRoot(const char* root) noexcept {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno;
  // pivot_root(".", ".") stacks the old root on top of the new one, where
  // the detach below takes it away: no directory for the old root needed.
  if (::chdir(root) != 0) return errno;
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return errno;
  if (::umount2(".", MNT_DETACH) != 0) return errno;
  if (::chdir("/") != 0) return errno;
  return 0;
}

}  // namespace flowgrid::sandbox
