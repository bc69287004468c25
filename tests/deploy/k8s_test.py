#!/usr/bin/python3
"""Renders every overlay of deploy/k8s with `$KUBECTL kustomize` and checks
the objects against each other, the metrics/health contract and the sources.
Debian 12 packages no schema validator (kubeconform, kubeval), so the checks
are structural. Run by ctest (tests/deploy/CMakeLists.txt) once per kubectl."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

import contract

KUBECTL = os.environ.get("KUBECTL", "kubectl")
K8S_DIR = os.path.join(contract.SOURCE_DIR, "deploy", "k8s")
OVERLAYS = sorted(os.listdir(os.path.join(K8S_DIR, "overlays")))


_RENDERED = {}


def render(path):
    """The objects `kubectl kustomize path` prints (rendered once per run)."""
    if path not in _RENDERED:
        _RENDERED[path] = _render(path)
    return _RENDERED[path]


def _render(path):
    done = subprocess.run([KUBECTL, "kustomize", path], capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"{KUBECTL} kustomize {path} failed:\n{done.stderr}")
    return [o for o in yaml.safe_load_all(done.stdout) if o is not None]


def container(deployment):
    """The (only) container of a Deployment's pods."""
    [c] = deployment["spec"]["template"]["spec"]["containers"]
    return c


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


class Rendered:
    """The objects of one rendered overlay, with lookups the checks share."""

    def __init__(self, objects):
        self.objects = objects

    def of_kind(self, kind):
        return [o for o in self.objects if o["kind"] == kind]

    def named(self, kind, name):
        found = [o for o in self.of_kind(kind) if o["metadata"]["name"] == name]
        if len(found) != 1:
            raise AssertionError(f"expected one {kind} {name}, found {len(found)}")
        return found[0]

    def deployment(self, component):
        return self.named("Deployment", f"flowgrid-{component}")

    def pods_selected(self, selector):
        """Pod templates (labels, spec) of the Deployments `selector` matches."""
        return [d["spec"]["template"] for d in self.of_kind("Deployment")
                if matches(selector, d["spec"]["template"]["metadata"]["labels"])]

    def effective_flags(self, deployment):
        """{flag: value} of the first container: its args in order, each
        --flagfile expanded from the ConfigMap mounted at the file's folder."""
        spec = deployment["spec"]["template"]["spec"]
        container = spec["containers"][0]
        flags = {}
        for name, value in contract.parse_flags(container.get("args", [])):
            if name != "flagfile":
                flags[name] = value
                continue
            for path in value.split(","):
                flags.update(contract.parse_flags(self.flag_file(spec, container, path)))
        return flags

    def materialized_args(self, deployment, directory):
        """The first container's args, each flag file written under
        `directory` (from its ConfigMap) and its path rewritten there."""
        spec = deployment["spec"]["template"]["spec"]
        container = spec["containers"][0]
        args = []
        for name, value in contract.parse_flags(container.get("args", [])):
            if name == "flagfile":
                paths = []
                for path in value.split(","):
                    written = os.path.join(directory, f"{len(os.listdir(directory))}.flags")
                    with open(written, "w", encoding="utf-8") as f:
                        f.write("\n".join(self.flag_file(spec, container, path)) + "\n")
                    paths.append(written)
                value = ",".join(paths)
            args.append(f"--{name}={value}")
        return args

    def secret_file(self, deployment, path):
        """(Secret, key, volumeMount) of the file at `path` in the first
        container, which must come from a Secret volume."""
        spec = deployment["spec"]["template"]["spec"]
        folder, name = os.path.split(path)
        mount = [m for m in spec["containers"][0].get("volumeMounts", [])
                 if m["mountPath"] == folder]
        if len(mount) != 1:
            raise AssertionError(f"{path}: nothing mounted at {folder}")
        [volume] = [v for v in spec["volumes"] if v["name"] == mount[0]["name"]]
        if "secret" not in volume:
            raise AssertionError(f"{path}: {folder} is not a Secret volume")
        items = volume["secret"].get("items")
        key = name if items is None else next(
            (i["key"] for i in items if i["path"] == name), None)
        if key is None:
            raise AssertionError(f"{path}: no item of the Secret volume is {name}")
        [secret] = [o for o in self.of_kind("Secret")
                    if o["metadata"]["name"] == volume["secret"]["secretName"]]
        return secret, key, mount[0]

    def flag_file(self, spec, container, path):
        folder, key = os.path.split(path)
        mount = [m for m in container.get("volumeMounts", []) if m["mountPath"] == folder]
        if len(mount) != 1:
            raise AssertionError(f"flag file {path}: nothing mounted at {folder}")
        volume = [v for v in spec["volumes"] if v["name"] == mount[0]["name"]][0]
        config_map = self.named("ConfigMap", volume["configMap"]["name"])
        if key not in config_map["data"]:
            raise AssertionError(f"flag file {path}: ConfigMap {config_map['metadata']['name']} "
                                 f"has no key {key}")
        return config_map["data"][key].splitlines()


def monitors(service_monitor, service):
    return matches(service_monitor["spec"]["selector"]["matchLabels"],
                   service["metadata"]["labels"])


RULES_FILE = os.path.join(contract.SOURCE_DIR, "deploy", "prometheus", "flowgrid-rules.yml")


def rules_groups():
    with open(RULES_FILE, encoding="utf-8") as f:
        return yaml.safe_load(f)["groups"]


class OverlayTest(unittest.TestCase):
    def setUp(self):
        self.assertEqual(OVERLAYS, ["dev", "prod"])
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def each(self):
        """(overlay, Rendered) of every overlay."""
        return [(o, Rendered(render(os.path.join(K8S_DIR, "overlays", o)))) for o in OVERLAYS]

    def test_objects_are_named_and_namespaced(self):
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                seen = set()
                for o in r.objects:
                    for field in ("apiVersion", "kind", "metadata"):
                        self.assertIn(field, o)
                    self.assertTrue(o["metadata"].get("name"), o)
                    key = (o["kind"], o["metadata"]["name"])
                    self.assertNotIn(key, seen, f"{key} twice")
                    seen.add(key)
                    if o["kind"] != "Namespace":
                        self.assertEqual(o["metadata"].get("namespace"), contract.NAMESPACE, key)
                self.assertIn(("Namespace", contract.NAMESPACE), seen)

    def test_images_carry_the_project_version(self):
        version = contract.project_version()
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                for d in r.of_kind("Deployment"):
                    for c in d["spec"]["template"]["spec"]["containers"]:
                        name, _, tag = c["image"].rpartition(":")
                        self.assertTrue(name and "/" not in tag, f"{c['image']} has no tag")
                        self.assertNotEqual(tag, "latest")
                        self.assertEqual(tag, version, c["image"])

    def test_ports_addresses_and_probes_follow_the_contract(self):
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                for component, ports in contract.PORTS.items():
                    d = r.deployment(component)
                    c = container(d)
                    declared = {p["name"]: p["containerPort"] for p in c["ports"]}
                    self.assertEqual(declared, ports, component)
                    flags = r.effective_flags(d)
                    for flag, port_name in contract.ADDRESS_FLAGS[component].items():
                        self.assertEqual(flags[flag], f"0.0.0.0:{ports[port_name]}", flag)
                s = container(r.deployment("scheduler"))
                # The plaintext health port: kubelet's gRPC probes cannot speak TLS.
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    self.assertEqual(s[probe]["grpc"]["port"], 7072, probe)
                w = container(r.deployment("worker"))
                self.assertEqual(w["readinessProbe"]["grpc"]["port"], 7073)
                self.assertEqual(w["livenessProbe"]["httpGet"], {"path": "/metrics", "port": 9464})

    def test_binaries_accept_their_flags(self):
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                for component in contract.PORTS:
                    args = r.materialized_args(r.deployment(component), self.tmp)
                    self.assertIsNone(contract.check_args(component, args), f"{component} {args}")

    def test_scheduler_is_one_replica_on_its_volume(self):
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                d = r.deployment("scheduler")
                self.assertEqual(d["spec"]["replicas"], 1)
                self.assertEqual(d["spec"]["strategy"]["type"], "Recreate")
                spec = d["spec"]["template"]["spec"]
                data_dir = r.effective_flags(d)["data_dir"]
                mount = [m for m in container(d)["volumeMounts"] if m["mountPath"] == data_dir]
                self.assertEqual(len(mount), 1, f"nothing mounted at --data_dir {data_dir}")
                volume = [v for v in spec["volumes"] if v["name"] == mount[0]["name"]][0]
                r.named("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"])
                self.assertTrue(spec["securityContext"]["runAsNonRoot"])

    def test_worker_outlives_its_drain(self):
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                d = r.deployment("worker")
                spec = d["spec"]["template"]["spec"]
                grace = contract.duration_seconds(r.effective_flags(d)["drain_grace"])
                pre_stop = spec["containers"][0].get("lifecycle", {}).get("preStop")
                self.assertIsNone(pre_stop, "a preStop hook would eat into the drain grace")
                self.assertGreaterEqual(spec["terminationGracePeriodSeconds"],
                                        grace + contract.DRAIN_MARGIN_SECONDS)

    def test_worker_resources_cover_its_slots(self):
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                d = r.deployment("worker")
                flags = r.effective_flags(d)
                slots = int(flags["slots"])
                self.assertGreater(slots, 0, "--slots=0 would take the node's CPU count")
                resources = container(d)["resources"]
                self.assertEqual(resources["requests"], resources["limits"], "Guaranteed QoS")
                self.assertEqual(contract.quantity(resources["requests"]["cpu"]), slots,
                                 "one slot per CPU")
                scheduler_flags = r.effective_flags(r.deployment("scheduler"))
                job_memory = int(scheduler_flags["max_node_memory_bytes"])
                self.assertGreaterEqual(contract.quantity(resources["limits"]["memory"]),
                                        slots * job_memory + contract.WORKER_OVERHEAD_BYTES)
                self.assertIn("memory", container(r.deployment("scheduler"))["resources"]["limits"])

    def test_worker_sandbox_security_context(self):
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                spec = r.deployment("worker")["spec"]["template"]["spec"]
                sc = spec["containers"][0]["securityContext"]
                self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
                self.assertEqual(set(sc["capabilities"]["add"]), contract.WORKER_CAPABILITIES)
                self.assertFalse(sc.get("privileged", False))
                # The API refuses allowPrivilegeEscalation: false with SYS_ADMIN.
                self.assertNotEqual(sc.get("allowPrivilegeEscalation"), False)
                self.assertEqual(sc["seccompProfile"]["type"], "Unconfined")
                self.assertEqual(sc["appArmorProfile"]["type"], "Unconfined")
                self.assertEqual(spec["securityContext"]["runAsUser"], 0)
                # Pod Security Admission "baseline" would refuse all of this.
                namespace = r.named("Namespace", contract.NAMESPACE)["metadata"]["labels"]
                self.assertEqual(namespace["pod-security.kubernetes.io/enforce"], "privileged")
                # One worker per node: job uids are the node's (no user namespace).
                term = spec["affinity"]["podAntiAffinity"][
                    "requiredDuringSchedulingIgnoredDuringExecution"][0]
                self.assertEqual(term["topologyKey"], "kubernetes.io/hostname")
                rolling = r.deployment("worker")["spec"]["strategy"]["rollingUpdate"]
                self.assertEqual(rolling["maxSurge"], 0, "a surge pod would need a free node")
                worker_labels = r.deployment("worker")["spec"]["template"]["metadata"]["labels"]
                self.assertTrue(matches(term["labelSelector"]["matchLabels"], worker_labels))

    def test_worker_reaches_the_scheduler_worker_port(self):
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                host, port = r.effective_flags(r.deployment("worker"))["scheduler"].rsplit(":", 1)
                service = r.named("Service", host)
                [service_port] = [p for p in service["spec"]["ports"] if p["port"] == int(port)]
                [pod] = r.pods_selected(service["spec"]["selector"])
                self.assertEqual(pod, r.deployment("scheduler")["spec"]["template"])
                self.assertEqual(service_port["targetPort"], "workers")

    def test_services_select_pods_with_their_target_ports(self):
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                for s in r.of_kind("Service"):
                    pods = r.pods_selected(s["spec"]["selector"])
                    self.assertEqual(len(pods), 1, s["metadata"]["name"])
                    ports = {p["name"]: p["containerPort"]
                             for p in pods[0]["spec"]["containers"][0]["ports"]}
                    for p in s["spec"]["ports"]:
                        self.assertIn(p["targetPort"], ports, s["metadata"]["name"])
                        self.assertEqual(p["port"], ports[p["targetPort"]], s["metadata"]["name"])

    def test_deployment_selectors_match_their_pods(self):
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                for d in r.of_kind("Deployment"):
                    self.assertTrue(matches(d["spec"]["selector"]["matchLabels"],
                                            d["spec"]["template"]["metadata"]["labels"]))

    def test_referenced_config_maps_and_claims_exist(self):
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                for d in r.of_kind("Deployment"):
                    for v in d["spec"]["template"]["spec"].get("volumes", []):
                        if "configMap" in v:
                            r.named("ConfigMap", v["configMap"]["name"])
                        if "secret" in v:
                            r.named("Secret", v["secret"]["secretName"])
                        if "persistentVolumeClaim" in v:
                            claim = v["persistentVolumeClaim"]["claimName"]
                            r.named("PersistentVolumeClaim", claim)

    def test_credentials_come_from_mounted_secrets(self):
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                for component, wanted in contract.CREDENTIAL_FLAGS.items():
                    d = r.deployment(component)
                    flags = r.effective_flags(d)
                    for flag, secret_name in wanted.items():
                        path = flags.get(flag, "")
                        if overlay in contract.PLAINTEXT_OVERLAYS:
                            self.assertEqual(path, "", f"{component} --{flag}")
                            continue
                        self.assertTrue(path, f"{component} --{flag} is not set")
                        secret, key, mount = r.secret_file(d, path)
                        # Generated Secrets carry a content hash suffix.
                        name = secret["metadata"]["name"]
                        self.assertTrue(name == secret_name or name.startswith(secret_name + "-"),
                                        f"{component} --{flag}={path} comes from {name}")
                        self.assertIn(key, secret["data"], f"{component} --{flag}={path}")
                        # A subPath mount never sees an updated Secret.
                        self.assertNotIn("subPath", mount, f"{component} --{flag}")
                # The scheduler's private key stays on the scheduler.
                worker_volumes = r.deployment("worker")["spec"]["template"]["spec"]["volumes"]
                for v in worker_volumes:
                    for item in v.get("secret", {}).get("items", []):
                        self.assertNotEqual(item["key"], "tls.key")

    def test_network_policies(self):
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                policies = {p["metadata"]["name"]: p for p in r.of_kind("NetworkPolicy")}
                self.assertEqual(set(policies), {"flowgrid-worker", "flowgrid-scheduler"})
                for p in policies.values():
                    [pod] = r.pods_selected(p["spec"]["podSelector"]["matchLabels"])
                    own_ports = {c["containerPort"] for c in pod["spec"]["containers"][0]["ports"]}
                    for rule in p["spec"].get("ingress", []):
                        for port in rule["ports"]:
                            self.assertIn(port["port"], own_ports, p["metadata"]["name"])
                        for peer in rule["from"]:
                            if "podSelector" in peer and "namespaceSelector" not in peer and \
                                    peer["podSelector"]:
                                self.assertTrue(r.pods_selected(peer["podSelector"]["matchLabels"]))
                worker = policies["flowgrid-worker"]["spec"]
                self.assertEqual(set(worker["policyTypes"]), {"Ingress", "Egress"})
                destinations = []
                for rule in worker["egress"]:
                    ports = {(p["port"], p["protocol"]) for p in rule["ports"]}
                    for peer in rule["to"]:
                        if "namespaceSelector" in peer:
                            self.assertEqual(ports, {(53, "UDP"), (53, "TCP")},
                                             "only DNS elsewhere")
                            continue
                        [pod] = r.pods_selected(peer["podSelector"]["matchLabels"])
                        destinations.append(pod)
                        self.assertEqual(ports, {(7071, "TCP")})
                self.assertEqual(destinations, [r.deployment("scheduler")["spec"]["template"]])
                scheduler = policies["flowgrid-scheduler"]["spec"]
                [from_workers] = [i for i in scheduler["ingress"] if i["ports"][0]["port"] == 7071]
                self.assertEqual(len(from_workers["from"]), 1)
                workers = from_workers["from"][0]["podSelector"]["matchLabels"]
                self.assertEqual(r.pods_selected(workers),
                                 [r.deployment("worker")["spec"]["template"]])
                for p in policies.values():
                    [metrics] = [i for i in p["spec"]["ingress"] if i["ports"][0]["port"] == 9464]
                    self.assertEqual(metrics["from"], [{"namespaceSelector": {"matchLabels": {
                        "kubernetes.io/metadata.name": "monitoring"}}}])

    def test_disruption_budget_covers_the_workers(self):
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                pdb = r.named("PodDisruptionBudget", "flowgrid-worker")
                self.assertEqual(len({"minAvailable", "maxUnavailable"} & set(pdb["spec"])), 1)
                self.assertEqual(r.pods_selected(pdb["spec"]["selector"]["matchLabels"]),
                                 [r.deployment("worker")["spec"]["template"]])

    def test_at_most_one_autoscaler_targets_existing_workers(self):
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                scalers = r.of_kind("HorizontalPodAutoscaler") + r.of_kind("ScaledObject")
                self.assertLessEqual(len(scalers), 1)
                for s in scalers:
                    target = s["spec"]["scaleTargetRef"]
                    self.assertEqual(target["name"], "flowgrid-worker")
                    r.deployment("worker")
                for hpa in r.of_kind("HorizontalPodAutoscaler"):
                    self.check_hpa(hpa)
                # An apply would reset the count an autoscaler or `kubectl
                # scale` set.
                self.assertNotIn("replicas", r.deployment("worker")["spec"])
        self.assertEqual(len(Rendered(render(os.path.join(K8S_DIR, "overlays", "prod")))
                             .of_kind("HorizontalPodAutoscaler")), 1)

    def check_hpa(self, hpa):
        self.assertEqual(hpa["apiVersion"], "autoscaling/v2")
        self.assertEqual(hpa["spec"]["scaleTargetRef"]["kind"], "Deployment")
        self.assertLessEqual(hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"])
        [metric] = hpa["spec"]["metrics"]
        self.assertEqual(metric["type"], "External")
        self.assertEqual(metric["external"]["metric"]["name"], contract.RECORDING_RULE)
        # The metric is per worker already: AverageValue would divide again.
        self.assertEqual(metric["external"]["target"]["type"], "Value")

    def test_service_monitors_select_metrics_services(self):
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                for m in r.of_kind("ServiceMonitor"):
                    services = [s for s in r.of_kind("Service") if monitors(m, s)]
                    self.assertEqual(len(services), 1, m["metadata"]["name"])
                    names = {p["name"] for p in services[0]["spec"]["ports"]}
                    for endpoint in m["spec"]["endpoints"]:
                        self.assertIn(endpoint["port"], names)
                scraped = {s["metadata"]["name"] for s in r.of_kind("Service")
                           for m in r.of_kind("ServiceMonitor") if monitors(m, s)}
                if r.of_kind("ServiceMonitor"):
                    self.assertEqual(scraped,
                                     {"flowgrid-scheduler-metrics", "flowgrid-worker-metrics"})

    def test_scrape_jobs_are_those_the_rules_expect(self):
        with open(RULES_FILE, encoding="utf-8") as f:
            expected = set(re.findall(r'job="([^"]+)"', f.read()))
        self.assertTrue(expected)
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                jobs = {relabel["replacement"]
                        for m in r.of_kind("ServiceMonitor") for e in m["spec"]["endpoints"]
                        for relabel in e.get("relabelings", []) if relabel["targetLabel"] == "job"}
                if r.of_kind("ServiceMonitor"):
                    self.assertEqual(jobs, expected)

    def test_prometheus_rule_equals_the_rules_file(self):
        groups = rules_groups()
        for overlay, r in self.each():
            with self.subTest(overlay=overlay):
                for rule in r.of_kind("PrometheusRule"):
                    self.assertEqual(rule["spec"]["groups"], groups)
        self.assertEqual(len(Rendered(render(os.path.join(K8S_DIR, "overlays", "prod")))
                             .of_kind("PrometheusRule")), 1)
        check = subprocess.run([sys.executable, os.path.join(K8S_DIR, "generate-prometheusrule.py"),
                                "--check"], capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stderr)


class AutoscalingAlternativesTest(unittest.TestCase):
    def test_prod_with_keda_instead_of_the_hpa(self):
        # What OPERATIONS.md says: swap one line of the prod overlay.
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, "k8s")
            shutil.copytree(K8S_DIR, copy)
            path = os.path.join(copy, "overlays", "prod", "kustomization.yaml")
            with open(path, encoding="utf-8") as f:
                text = f.read()
            self.assertEqual(text.count("- ../../autoscaling/hpa\n"), 1)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace("- ../../autoscaling/hpa\n", "- ../../autoscaling/keda\n"))
            r = Rendered(_render(os.path.dirname(path)))
            self.assertEqual(r.of_kind("HorizontalPodAutoscaler"), [])
            [scaled] = r.of_kind("ScaledObject")
            self.assertEqual(scaled["metadata"]["namespace"], contract.NAMESPACE)
            self.assertNotIn("replicas", r.deployment("worker")["spec"])

    def test_recording_rule_exists(self):
        records = [rule.get("record") for g in rules_groups() for rule in g["rules"]]
        self.assertIn(contract.RECORDING_RULE, records)

    def test_keda_scales_the_workers_on_the_same_metric(self):
        [scaled] = render(os.path.join(K8S_DIR, "autoscaling", "keda"))
        self.assertEqual(scaled["kind"], "ScaledObject")
        self.assertEqual(scaled["spec"]["scaleTargetRef"]["name"], "flowgrid-worker")
        [trigger] = scaled["spec"]["triggers"]
        self.assertEqual(trigger["type"], "prometheus")
        self.assertEqual(trigger["metricType"], "Value")
        self.assertEqual(trigger["metadata"]["query"], contract.RECORDING_RULE)
        [hpa] = render(os.path.join(K8S_DIR, "autoscaling", "hpa"))
        target = hpa["spec"]["metrics"][0]["external"]["target"]["value"]
        self.assertEqual(float(trigger["metadata"]["threshold"]), float(target))
        self.assertEqual((scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]),
                         (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]))

    def test_adapter_rules_serve_the_hpa_metric(self):
        path = os.path.join(K8S_DIR, "autoscaling", "hpa", "prometheus-adapter-rules.yaml")
        with open(path, encoding="utf-8") as f:
            config = yaml.safe_load(yaml.safe_load(f)["data"]["config.yaml"])
        [rule] = config["externalRules"]
        self.assertEqual(rule["seriesQuery"], contract.RECORDING_RULE)
        self.assertEqual(rule["name"]["as"], contract.RECORDING_RULE)
        self.assertIn(contract.RECORDING_RULE, rule["metricsQuery"])
        self.assertFalse(rule["resources"]["namespaced"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
