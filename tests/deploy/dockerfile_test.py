#!/usr/bin/python3
"""Lints deploy/docker/Dockerfile (no container engine or hadolint on
Debian 12): pinned bookworm bases, a build stage and one runtime stage per
image, apt lists cleaned, USER, probes, EXPOSE matching the contract's
ports, exec-form ENTRYPOINT/CMD, runtime stages copying only from the build
stage, default arguments the binaries accept, and runtime packages covering
every shared library of the built binaries (paths in
$FLOWGRID_<IMAGE>_BINARIES, separated by ":")."""
import json
import os
import re
import subprocess
import unittest

import contract

DOCKERFILE = os.path.join(contract.SOURCE_DIR, "deploy", "docker", "Dockerfile")
IMAGES = ("scheduler", "worker")
BOOKWORM = r"debian:bookworm(-slim)?(@sha256:[0-9a-f]{64})?"


class Stage:
    """One FROM ... AS name: its base, instructions [(WORD, arguments)] with
    continuations joined, and comment texts."""

    def __init__(self, base, name):
        self.base, self.name = base, name
        self.instructions, self.comments = [], []

    def arguments(self, word):
        return [rest for w, rest in self.instructions if w == word]


def stages(path=DOCKERFILE):
    """{name: Stage} in file order; a stage without AS is an error."""
    result, pending = {}, ""
    current = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.lstrip().startswith("#"):
                if not pending and current is not None:
                    current.comments.append(line.lstrip()[1:].strip())
                continue
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            line, pending = (pending + line).strip(), ""
            if not line:
                continue
            word, _, rest = line.partition(" ")
            word, rest = word.upper(), rest.strip()
            if word == "FROM":
                base, _, name = rest.partition(" AS ")
                if not name:
                    raise AssertionError(f"FROM {rest}: every stage is named")
                current = result[name] = Stage(base, name)
            current.instructions.append((word, rest))
    return result


def apt_packages(run):
    words = run.split("apt-get install", 1)[1].split("&&")[0].split()
    return {w for w in words if not w.startswith("-")}


def with_dependencies(packages):
    """`packages` and everything apt installs with them (no recommends)."""
    done = subprocess.run(["apt-cache", "depends", "--recurse", "--no-recommends",
                           "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces",
                           "--no-enhances", "--no-pre-depends", *sorted(packages)],
                          capture_output=True, text=True, check=True)
    names = set(packages)
    for line in done.stdout.splitlines():
        # "pkg", "  Depends: dep", "  |Depends: alt", "    alt", "<virtual>"
        name = line.split(": ", 1)[-1].strip().strip("<>")
        names.add(name.split(":")[0])
    return names


def file_owners():
    """{path: package} of every installed file (dpkg's file lists; one
    `dpkg -S` per library would take minutes)."""
    owners = {}
    info = "/var/lib/dpkg/info"
    for name in os.listdir(info):
        if name.endswith(".list"):
            package = name[: -len(".list")].split(":")[0]
            with open(os.path.join(info, name), encoding="utf-8", errors="replace") as f:
                for path in f.read().splitlines():
                    owners[path] = package
    return owners


def packages_of_libraries(binary, owners):
    """Debian packages owning the shared libraries `binary` loads."""
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    missing = re.findall(r"(\S+) => not found", ldd)
    if missing:
        raise AssertionError(f"{binary}: libraries not found: {missing}")
    packages = set()
    for library in re.findall(r"=> (/\S+)", ldd):
        # A package ships a library under /lib or /usr/lib (usr-merged).
        real = os.path.realpath(library)
        candidates = [library, real, real.replace("/usr/lib/", "/lib/", 1)]
        found = [owners[c] for c in candidates if c in owners]
        if not found:
            raise AssertionError(f"{binary}: no Debian package owns {library}")
        packages.add(found[0])
    return packages


class DockerfileTest(unittest.TestCase):
    def setUp(self):
        self.stages = stages()

    def test_bases_are_pinned_bookworm_with_a_build_stage(self):
        self.assertEqual(list(self.stages), ["build", *IMAGES])
        for stage in self.stages.values():
            self.assertRegex(stage.base, f"^{BOOKWORM}$", stage.name)

    def test_apt_installs_are_lean_and_cleaned(self):
        for stage in self.stages.values():
            with self.subTest(stage=stage.name):
                for run in stage.arguments("RUN"):
                    if "apt-get install" in run:
                        self.assertIn("apt-get update", run)
                        self.assertIn("--no-install-recommends", run)
                    if "apt-get" in run or "install-deps.sh" in run:
                        self.assertIn("rm -rf /var/lib/apt/lists/*", run)
        for image in IMAGES:
            self.assertTrue(any("apt-get install" in run
                                for run in self.stages[image].arguments("RUN")), image)

    def test_runtime_stages_copy_only_from_the_build_stage(self):
        for image in IMAGES:
            with self.subTest(image=image):
                stage = self.stages[image]
                self.assertFalse(stage.arguments("ADD"))
                for copy in stage.arguments("COPY"):
                    self.assertTrue(copy.startswith("--from=build "), copy)

    def test_user_ports_probes_and_exec_form(self):
        for image in IMAGES:
            with self.subTest(image=image):
                stage = self.stages[image]
                users = stage.arguments("USER")
                self.assertEqual(len(users), 1, "USER set in the runtime stage")
                if image == "scheduler":
                    self.assertRegex(users[0], r"^[1-9][0-9]*:[1-9][0-9]*$", "non-root, numeric")
                exposed = {int(p) for rest in stage.arguments("EXPOSE") for p in rest.split()}
                self.assertEqual(exposed, set(contract.PORTS[image].values()))
                probes = stage.arguments("HEALTHCHECK") + [
                    text for text in stage.comments if text.startswith("Probes:")]
                self.assertTrue(probes, "HEALTHCHECK or a '# Probes:' comment")
                for word in ("ENTRYPOINT", "CMD"):
                    [rest] = stage.arguments(word)
                    self.assertIsInstance(json.loads(rest), list, f"{word} in exec form")

    def test_binaries_accept_their_default_arguments(self):
        for image in IMAGES:
            with self.subTest(image=image):
                [cmd] = [json.loads(rest) for rest in self.stages[image].arguments("CMD")]
                self.assertIsNone(contract.check_args(image, cmd))
                flags = dict(contract.parse_flags(cmd))
                for flag, port_name in contract.ADDRESS_FLAGS[image].items():
                    self.assertEqual(contract.address_port(flags[flag]),
                                     contract.PORTS[image][port_name], flag)

    def test_scheduler_image_holds_the_console_where_the_scheduler_looks(self):
        stage = self.stages["scheduler"]
        [build] = [run for run in self.stages["build"].arguments("RUN") if "cmake --build" in run]
        self.assertIn("flowgrid_console", build.split())
        copies = [copy.split() for copy in stage.arguments("COPY")]
        # --console_assets_dir defaults to <bin>/../share/flowgrid/console.
        self.assertIn(["--from=build", "/build/console/dist", "/usr/local/share/flowgrid/console"],
                      copies)

    def test_worker_runs_debians_runtimes(self):
        stage = self.stages["worker"]
        [run] = [run for run in stage.arguments("RUN") if "apt-get install" in run]
        self.assertTrue({"python3", "python3-jinja2", "nodejs", "tini"} <= apt_packages(run))
        [entrypoint] = [json.loads(rest) for rest in stage.arguments("ENTRYPOINT")]
        self.assertEqual(entrypoint[:2], ["/usr/bin/tini", "--"])

    def test_runtime_packages_cover_the_binaries_libraries(self):
        owners = file_owners()
        for image in IMAGES:
            with self.subTest(image=image):
                binaries = os.environ.get(f"FLOWGRID_{image.upper()}_BINARIES", "")
                self.assertTrue(binaries, f"FLOWGRID_{image.upper()}_BINARIES is not set")
                installed = with_dependencies(set().union(*(
                    apt_packages(run) for run in self.stages[image].arguments("RUN")
                    if "apt-get install" in run)))
                for binary in binaries.split(os.pathsep):
                    missing = packages_of_libraries(binary, owners) - installed
                    self.assertFalse(missing, f"{os.path.basename(binary)} needs {sorted(missing)}")

    def test_dockerignore_keeps_the_context_small(self):
        with open(os.path.join(contract.SOURCE_DIR, ".dockerignore"), encoding="utf-8") as f:
            patterns = {line.strip() for line in f if line.strip() and not line.startswith("#")}
        for pattern in (".git", "build*"):
            self.assertIn(pattern, patterns)


if __name__ == "__main__":
    unittest.main(verbosity=2)
