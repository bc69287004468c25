#include "worker/runtimes/python/zygote/protocol.h"

#include <errno.h>
#include <sys/socket.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace flowgrid::runtimes::python::zygote {
namespace {

constexpr size_t kMaxFds = 8;

}  // namespace

const char* JobStepName(JobStep step) {
  switch (step) {
    case JobStep::kNone: return "none";
    case JobStep::kUnblockSignals: return "unblock signals";
    case JobStep::kStartOwnSession: return "start own session";
    case JobStep::kMountFilesystems: return "mount scratch file systems";
    case JobStep::kRaiseOomScore: return "raise OOM score";
    case JobStep::kArrangeFds: return "arrange descriptors";
    case JobStep::kApplyRlimits: return "apply rlimits";
    case JobStep::kDropCredentials: return "drop credentials";
    case JobStep::kDieWithZygote: return "die with zygote";
    case JobStep::kForbidNewPrivileges: return "forbid new privileges";
    case JobStep::kLoadSeccomp: return "load seccomp filter";
  }
  return "unknown";
}

absl::Status SendMessage(int socket, const void* message, size_t size,
                         const std::vector<int>& fds) {
  if (fds.size() > kMaxFds) return absl::InvalidArgumentError("too many descriptors");
  struct iovec iov = {const_cast<void*>(message), size};
  struct msghdr header = {};
  header.msg_iov = &iov;
  header.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(kMaxFds * sizeof(int))] = {};
  if (!fds.empty()) {
    header.msg_control = control;
    header.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), fds.data(), fds.size() * sizeof(int));
  }
  while (true) {
    const ssize_t sent = ::sendmsg(socket, &header, MSG_NOSIGNAL);
    if (sent == static_cast<ssize_t>(size)) return absl::OkStatus();
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EPIPE || errno == ECONNRESET)) {
      return absl::UnavailableError("the zygote exited");
    }
    return absl::InternalError(absl::StrCat("sendmsg to the zygote socket: ",
                                            sent < 0 ? std::strerror(errno) : "short write"));
  }
}

absl::Status ReceiveMessage(int socket, void* message, size_t size,
                            std::vector<sandbox::UniqueFd>* fds) {
  struct iovec iov = {message, size};
  struct msghdr header = {};
  header.msg_iov = &iov;
  header.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(kMaxFds * sizeof(int))] = {};
  header.msg_control = control;
  header.msg_controllen = sizeof(control);
  ssize_t received;
  do {
    received = ::recvmsg(socket, &header, MSG_CMSG_CLOEXEC);
  } while (received < 0 && errno == EINTR);
  // Descriptors are owned first, so that none leaks on an error below.
  for (struct cmsghdr* cmsg = CMSG_FIRSTHDR(&header); cmsg != nullptr;
       cmsg = CMSG_NXTHDR(&header, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
      if (fds != nullptr) {
        fds->emplace_back(fd);
      } else {
        sandbox::UniqueFd discarded(fd);
      }
    }
  }
  if (received == 0 || (received < 0 && errno == ECONNRESET)) {
    return absl::UnavailableError("the zygote exited");
  }
  if (received < 0) {
    return absl::InternalError(absl::StrCat("recvmsg from the zygote socket: ",
                                            std::strerror(errno)));
  }
  if (static_cast<size_t>(received) != size || (header.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
    return absl::DataLossError(absl::StrCat("malformed zygote message of ", received, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace flowgrid::runtimes::python::zygote
