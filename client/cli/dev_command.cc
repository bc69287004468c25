// `flowgridctl dev`: a local cluster in the foreground, secure unless
// --insecure: TLS on both ports from a dev PKI under <data>/tls (workers
// admitted by their client certificates) and one API key (dev_api_key.h).
//
// Policy when a process dies on its own: dev says which one and how, stops
// the others and exits 1. It does not restart it: a crash in development is
// something to look at (its output is right there on the terminal), and a
// silent restart would hide it.
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/dev_api_key.h"
#include "deploy/local/local_cluster.h"

namespace flowgrid::cli {
namespace {

// Wakes the wait loop at least this often to poll the children, in case a
// SIGCHLD was merged with another.
constexpr timespec kPollInterval = {0, 500'000'000};

}  // namespace

int DevCommand(const DevOptions& options) {
  // Signals are taken synchronously with sigtimedwait: no handler runs
  // concurrently with the cluster's bookkeeping. Children reset the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGCHLD);
  if (int err = pthread_sigmask(SIG_BLOCK, &signals, nullptr); err != 0) {
    std::cerr << "flowgridctl dev: cannot block signals: " << std::strerror(err) << "\n";
    return kExitFailed;
  }

  std::error_code error;
  std::filesystem::path data_dir = std::filesystem::absolute(options.data_dir, error);
  if (error) {
    std::cerr << "flowgridctl dev: bad --data directory " << options.data_dir << ": "
              << error.message() << "\n";
    return kExitUsage;
  }

  LocalClusterOptions cluster_options;
  cluster_options.scheduler_binary = options.scheduler_binary;
  cluster_options.worker_binary = options.worker_binary;
  cluster_options.data_dir = data_dir.string();
  cluster_options.client_addr = options.client_addr;
  cluster_options.worker_addr = options.worker_addr;
  cluster_options.workers = options.workers;
  cluster_options.slots_per_worker = options.slots;
  cluster_options.extra_worker_args = options.worker_args;
  cluster_options.scheduler_console_addr = options.console_addr;
  std::string api_key_file;
  if (options.secure) {
    // The key files go next to the store, which LocalCluster would create.
    std::filesystem::create_directories(data_dir, error);
    if (error) {
      std::cerr << "flowgridctl dev: cannot create " << data_dir.string() << ": "
                << error.message() << "\n";
      return kExitFailed;
    }
    absl::StatusOr<DevApiKey> api_key = EnsureDevApiKey(data_dir.string());
    if (!api_key.ok()) {
      std::cerr << "flowgridctl dev: " << api_key.status().message() << "\n";
      return kExitFailed;
    }
    cluster_options.tls_dir = (data_dir / "tls").string();
    cluster_options.api_keys_file = api_key->keys_file;
    api_key_file = api_key->key_file;
  }

  absl::StatusOr<std::unique_ptr<LocalCluster>> cluster =
      LocalCluster::Start(std::move(cluster_options));
  if (!cluster.ok()) {
    std::cerr << "flowgridctl dev: cannot start the local cluster: "
              << cluster.status().message() << "\n";
    return kExitFailed;
  }
  std::cout << "flowgrid local cluster is up\n"
            << "  client API: " << (*cluster)->client_address() << "\n"
            << "  worker API: " << (*cluster)->worker_address() << "\n"
            << "  workers:    " << options.workers << " x " << options.slots << " slots\n"
            << "  store:      " << (data_dir / "flowgrid.db").string() << "\n"
            << "  console:    "
            << ((*cluster)->console_address().empty()
                    ? std::string("off")
                    : "http://" + (*cluster)->console_address() + "/")
            << "\n"
            << "  security:   "
            << (options.secure ? "TLS on both ports, worker certificates, API key"
                               : "none (--insecure: plaintext, no API key)")
            << "\n"
            << "export " << kAddressEnvVar << "=" << (*cluster)->client_address() << "\n";
  if (options.secure) {
    std::cout << "export " << kTlsCaEnvVar << "=" << (*cluster)->dev_pki()->ca_cert << "\n"
              << "export " << kApiKeyFileEnvVar << "=" << api_key_file << "\n";
  }
  std::cout << "Press Ctrl-C to stop." << std::endl;

  int exit_code = kExitOk;
  while (true) {
    siginfo_t info;
    int sig = sigtimedwait(&signals, &info, &kPollInterval);
    if (sig == SIGINT || sig == SIGTERM) {
      std::cout << "\nflowgridctl dev: " << strsignal(sig) << ", stopping the cluster"
                << std::endl;
      break;
    }
    if (sig < 0 && errno != EAGAIN && errno != EINTR) {
      std::cerr << "flowgridctl dev: waiting for signals failed: " << std::strerror(errno)
                << "; stopping the cluster\n";
      exit_code = kExitFailed;
      break;
    }
    if (std::optional<ChildExit> exited = (*cluster)->PollExited(); exited.has_value()) {
      std::cerr << "flowgridctl dev: " << exited->name << " (pid " << exited->pid
                << ") " << exited->description
                << " unexpectedly; stopping the cluster\n";
      exit_code = kExitFailed;
      break;
    }
  }
  absl::Status stopped = (*cluster)->Stop();
  if (!stopped.ok()) {
    std::cerr << "flowgridctl dev: not every process stopped cleanly: " << stopped.message()
              << "\n";
    return kExitFailed;
  }
  std::cout << "flowgridctl dev: stopped" << std::endl;
  return exit_code;
}

}  // namespace flowgrid::cli
