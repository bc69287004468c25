"""What the deploy tests hold the images and manifests to: the ports of the
metrics/health contract (issue 8), the worker sandbox's capabilities, the
project version and the binaries' own verdict on flags."""
import os
import re
import subprocess

SOURCE_DIR = os.environ.get(
    "FLOWGRID_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

NAMESPACE = "flowgrid"

# Container ports by component: name -> port (the catalogue's k8s ports).
PORTS = {
    "scheduler": {"client": 7070, "workers": 7071, "metrics": 9464, "health": 7072},
    "worker": {"health": 7073, "metrics": 9464},
}

# Which flag listens on which named port.
ADDRESS_FLAGS = {
    "scheduler": {"client_addr": "client", "worker_addr": "workers", "metrics_addr": "metrics",
                  "health_addr": "health"},
    "worker": {"health_addr": "health", "metrics_addr": "metrics"},
}

# What the worker's sandbox calls as root (deploy/docker/README.md):
# SYS_ADMIN unshare/clone3 namespaces, setns, mount, pivot_root, umount2;
# SETUID/SETGID setresuid/setresgid/setgroups to the job's uid;
# KILL signals to job processes running under other uids.
WORKER_CAPABILITIES = {"SYS_ADMIN", "SETUID", "SETGID", "KILL"}

# Time the worker needs after --drain_grace to kill what is left, report it
# and close its stream before the kubelet's SIGKILL.
DRAIN_MARGIN_SECONDS = 10

# Memory of the worker process, its zygotes and node pool beside its jobs.
WORKER_OVERHEAD_BYTES = 512 << 20

RECORDING_RULE = "flowgrid:queue_depth_per_worker"

# Flags naming credential files, by component, and the Secret each file
# must come from (docs/OPERATIONS.md "TLS and authentication").
CREDENTIAL_FLAGS = {
    "scheduler": {"tls_cert_file": "flowgrid-tls", "tls_key_file": "flowgrid-tls",
                  "worker_ca_file": "flowgrid-tls", "api_keys_file": "flowgrid-api-keys"},
    "worker": {"tls_ca_file": "flowgrid-tls", "tls_cert_file": "flowgrid-tls",
               "tls_key_file": "flowgrid-tls"},
}
# Overlays that run without TLS (a private development cluster).
PLAINTEXT_OVERLAYS = {"dev"}

# The built binaries ($FLOWGRID_BIN_DIR, set by ctest): flags are checked by
# the binaries themselves (--only_check_args), not by reading sources.
BIN_DIR = os.environ.get("FLOWGRID_BIN_DIR", "")


def check_args(component, args):
    """None if flowgrid-<component> accepts `args`, else its complaint."""
    if not BIN_DIR:
        return "FLOWGRID_BIN_DIR (the built binaries) is not set"
    done = subprocess.run([os.path.join(BIN_DIR, f"flowgrid-{component}"), *args,
                           "--only_check_args"], capture_output=True, text=True, timeout=30)
    return None if done.returncode == 0 else done.stderr.strip() or f"exit {done.returncode}"


def project_version():
    with open(os.path.join(SOURCE_DIR, "CMakeLists.txt"), encoding="utf-8") as f:
        return re.search(r"project\(flowgrid VERSION ([0-9.]+)", f.read()).group(1)


def parse_flags(lines):
    """[(name, value)] of '--name=value' lines; '#' comments and blank lines skipped."""
    flags = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith("--"):
            raise ValueError(f"not a flag: {line!r}")
        name, _, value = line[2:].partition("=")
        flags.append((name, value))
    return flags


def duration_seconds(text):
    """Seconds of an Abseil duration such as '30s', '10m', '1h30m'."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"([0-9.]+)(ms|h|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(n) * units[u] for n, u in parts)


def quantity(text):
    """A Kubernetes quantity ('2', '500m', '768Mi', '1Gi') as a float."""
    text = str(text)
    suffixes = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "m": 0.001,
                "k": 1e3, "M": 1e6, "G": 1e9}
    for suffix, factor in suffixes.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def address_port(address):
    return int(address.rsplit(":", 1)[1])
