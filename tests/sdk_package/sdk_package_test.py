"""The installed C++ SDK as a user gets it: `cmake --install` of the build
into a scratch prefix (build/tests/sdk_package/scratch/prefix) holds exactly the SDK's headers, libraries and
package files; a separate CMake project (consumer/) finds it with
find_package(flowgrid) and builds the documented example against
flowgrid::client; that program runs workflows on a real `flowgridctl dev`
cluster on loopback, over TLS with the cluster's API key (given by flags or
by the environment), and is refused without the key."""

import os
import shutil
import subprocess
import sys
import unittest

SOURCE_DIR = os.environ["FLOWGRID_SOURCE_DIR"]
# The observability tests' helpers for child processes and ready files.
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "observability"))
from processes import children_of_test_class, exit_on_sigterm, wait_for_json_file  # noqa: E402

CMAKE = os.environ["CMAKE_COMMAND"]
STEP_SECONDS = 180
RUN_SECONDS = 60
READY_SECONDS = 30
# Job uids clear of the other test clusters' ranges (observability 400000,
# Node client 4000000, Python client 8000000).
SANDBOX_UID_RANGE_START = 12000000

# What the package installs below the prefix: the SDK's headers and those
# they include, nothing else of flowgrid.
EXPECTED_HEADERS = {
    "include/flowgrid/client/sdk/client.h",
    "include/flowgrid/client/sdk/credentials.h",
    "include/flowgrid/client/sdk/retry.h",
    "include/flowgrid/common/retry_delay.h",
    "include/flowgrid/common/value_json.h",
    "include/flowgrid/common/workflow_file.h",
    "include/flowgrid/flowgrid/v1/cluster.pb.h",
    "include/flowgrid/flowgrid/v1/scheduler.pb.h",
    "include/flowgrid/flowgrid/v1/workflow.pb.h",
}
EXPECTED_LIBRARIES = {
    "libflowgrid_client_sdk.a", "libflowgrid_common.a", "libflowgrid_common_grpc.a",
    "libflowgrid_grpc.a", "libflowgrid_proto.a",
}


def run_step(argv, **kwargs):
    """Runs one build step; its output is shown when it fails."""
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=STEP_SECONDS, **kwargs)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {done.returncode}:\n"
                             f"{done.stdout}\n{done.stderr}")
    return done


class SdkPackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        work_dir, children = children_of_test_class(cls, "flowgrid-sdk-package-")
        # The prefix and the consumer's build stay at one path below the
        # build tree, emptied on each run: the same paths every time are
        # what lets ccache serve the consumer's compilation again.
        package_dir = os.environ["FLOWGRID_SDK_PACKAGE_DIR"]
        shutil.rmtree(package_dir, ignore_errors=True)
        cls.prefix = os.path.join(package_dir, "prefix")
        run_step([CMAKE, "--install", os.environ["FLOWGRID_BUILD_DIR"], "--prefix", cls.prefix])

        consumer_build = os.path.join(package_dir, "consumer-build")
        configure = [CMAKE, "-S", os.path.join(SOURCE_DIR, "tests", "sdk_package", "consumer"),
                     "-B", consumer_build, "-G", "Ninja",
                     "-DCMAKE_PREFIX_PATH=" + cls.prefix,
                     "-DCMAKE_CXX_COMPILER=" + os.environ["CMAKE_CXX_COMPILER"],
                     "-DFLOWGRID_EXAMPLE_SOURCE=" + os.path.join(
                         SOURCE_DIR, "client", "examples", "run_workflow.cc")]
        if os.environ.get("FLOWGRID_CCACHE"):
            configure.append("-DCMAKE_CXX_COMPILER_LAUNCHER=" + os.environ["FLOWGRID_CCACHE"])
        run_step(configure)
        run_step([CMAKE, "--build", consumer_build])
        cls.program = os.path.join(consumer_build, "run_workflow")

        # flowgridctl dev's defaults: TLS from a dev PKI under <data>/tls,
        # the worker admitted by its certificate, an API key in <data>/dev.key.
        data = os.path.join(work_dir, "data")
        dev = children.start("flowgridctl-dev", [
            os.environ["FLOWGRIDCTL_BIN"], "dev", "--data", data, "--workers", "1",
            "--client_addr", "127.0.0.1:0", "--worker_addr", "127.0.0.1:0",
            "--scheduler_bin", os.environ["FLOWGRID_SCHEDULER_BIN"],
            "--worker_bin", os.environ["FLOWGRID_WORKER_BIN"],
            f"--worker_arg=--worker_id=sdk-package-{os.getpid()}",
            "--worker_arg=--sandbox_uid_base="
            f"{SANDBOX_UID_RANGE_START + (os.getpid() % 1000) * 1024}"])
        cls.client_addr = wait_for_json_file(os.path.join(data, "scheduler.ready.json"),
                                             ["client_addr"], dev, READY_SECONDS)["client_addr"]
        cls.tls_ca = os.path.join(data, "tls", "ca.pem")
        cls.api_key_file = os.path.join(data, "dev.key")
        cls.children = children

    def run_program(self, workflow, *inputs, credentials="flags"):
        """Runs the example on `workflow` (a path below the source tree),
        given the CA and key file by flags, by the environment, or given
        only the CA ("no key")."""
        path = os.path.join(SOURCE_DIR, workflow)
        flags, env = [], dict(os.environ)
        if credentials == "flags":
            flags = ["--tls_ca=" + self.tls_ca, "--api_key_file=" + self.api_key_file]
        elif credentials == "environment":
            env.update(FLOWGRID_TLS_CA=self.tls_ca, FLOWGRID_API_KEY_FILE=self.api_key_file)
        else:
            flags = ["--tls_ca=" + self.tls_ca]
        return subprocess.run([self.program, *flags, self.client_addr, path, *inputs],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=RUN_SECONDS, env=env)

    def test_installs_the_sdk_what_its_headers_need_and_the_console_assets(self):
        installed = set()
        for root, _, files in os.walk(self.prefix):
            installed.update(os.path.relpath(os.path.join(root, f), self.prefix) for f in files)
        self.assertEqual({f for f in installed if f.startswith("include/")}, EXPECTED_HEADERS)
        libraries = {os.path.basename(f) for f in installed if f.endswith(".a")}
        self.assertEqual(libraries, EXPECTED_LIBRARIES)
        package = {os.path.basename(f) for f in installed if "/cmake/flowgrid/" in f}
        self.assertIn("flowgridConfig.cmake", package)
        self.assertIn("flowgridConfigVersion.cmake", package)
        self.assertIn("flowgridTargets.cmake", package)
        # Besides the SDK, only the web console's static assets, which the
        # scheduler serves from <prefix>/share/flowgrid/console.
        self.assertIn("share/flowgrid/console/index.html", installed)
        self.assertEqual(installed, {f for f in installed
                                     if f.startswith("include/") or f.endswith(".a")
                                     or "/cmake/flowgrid/" in f
                                     or f.startswith("share/flowgrid/console/")})

    def test_runs_a_workflow_printing_events_and_outputs(self):
        with self.children.logs_on_error():
            for credentials in ("flags", "environment"):
                done = self.run_program("examples/workflows/hello.json", "name=World",
                                        credentials=credentials)
                self.assertEqual(done.returncode, 0, done.stderr)
                lines = done.stdout.splitlines()
                self.assertRegex(lines[0], r"^#1 run \S+ started$")
                self.assertIn("[greet] started", done.stdout)
                self.assertIn("[greet] NODE_SUCCEEDED", done.stdout)
                self.assertRegex(done.stdout, r"#\d+ run RUN_SUCCEEDED\n")
                self.assertEqual(lines[-1], 'greeting = "Hello, World!"')

    def test_without_the_api_key_the_scheduler_refuses(self):
        with self.children.logs_on_error():
            done = self.run_program("examples/workflows/hello.json", "name=World",
                                    credentials="no key")
            self.assertEqual(done.returncode, 2, done.stdout)
            self.assertIn("UNAUTHENTICATED", done.stderr)

    def test_a_rejected_workflow_exits_2_with_the_error(self):
        with self.children.logs_on_error():
            # The start node's required input is missing.
            done = self.run_program("examples/workflows/hello.json")
            self.assertEqual(done.returncode, 2, done.stdout)
            self.assertIn("INVALID_ARGUMENT", done.stderr)
            self.assertIn("name", done.stderr)

    def test_a_failed_run_exits_1_naming_the_node(self):
        with self.children.logs_on_error():
            done = self.run_program("tests/e2e/data/raises.json", "x=3")
            self.assertEqual(done.returncode, 1, done.stderr)
            self.assertIn("[divide] NODE_FAILED", done.stdout)
            self.assertRegex(done.stderr,
                             r"run \S+ RUN_FAILED at node divide: .*ZeroDivisionError")


if __name__ == "__main__":
    exit_on_sigterm()
    unittest.main()
