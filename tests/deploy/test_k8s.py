"""deploy/k8s: ``kubectl kustomize`` builds the base and every overlay, the output validates
offline against the Kubernetes schemas (kubernetes-validate, strict), and the manifests do
what the operator relies on: probes on /health, limits, non-root, read-only root,
configuration covering every key a process reads, scrape annotations, one namespace,
vhost and set of databases per community, reports in district mode in the district."""
import re

import pytest
import yaml

from common.config import PROCESSES, config_keys
from tests.deploy.conftest import K8S, K8S_VERSION, OVERLAYS, PORTS, image_entrypoint

COMMUNITIES = ("hetong", "jinshan")
# overlay -> COMMUNITY_ID (the district overlay is Huli district's instance)
COMMUNITY_OF = {"hetong": "hetong", "jinshan": "jinshan", "district": "huli"}


def kinds(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def configmap(docs):
    (cm,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("ronghe-config")]
    return cm["data"]


def mem_mib(value):
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", value).groups()
    return int(number) * (1024 if unit == "Gi" else 1)


@pytest.mark.parametrize("target", ("base",) + OVERLAYS)
def test_kustomize_output_validates_against_the_kubernetes_schemas(rendered, target):
    kubernetes_validate = pytest.importorskip(
        "kubernetes_validate", reason="pip install kubernetes-validate (in requirements-dev.txt)")
    assert rendered[target]
    for doc in rendered[target]:
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{target}: {doc['kind']}/{doc['metadata']['name']}: {exc.message} "
                        f"at {list(exc.path)}")


def test_secret_template_validates_and_is_not_applied(rendered):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    template = yaml.safe_load((K8S / "base" / "secret.example.yaml").read_text(encoding="utf-8"))
    kubernetes_validate.validate(template, K8S_VERSION, strict=True)
    assert all(v == "change-me" for k, v in template["stringData"].items()
               if "PASSWORD" in k or k in ("JWT_SECRET", "PII_KEY", "PII_HASH_KEY"))
    for target, docs in rendered.items():
        assert not [d for d in docs if d["kind"] == "Secret"], \
            f"{target}: `kubectl apply -k` must never overwrite the real secrets"


def container_env(container, data, secret_keys):
    """Names the container sees, and a check that every $(VAR) in a value resolves."""
    names = set(data)
    for item in container.get("env", []):
        if "valueFrom" in item:
            key = item["valueFrom"]["secretKeyRef"]
            assert key["name"] == "ronghe-secrets" and key["key"] in secret_keys, item
        for ref in re.findall(r"\$\(([A-Z_][A-Z0-9_]*)\)", item.get("value", "")):
            assert ref in names, f"{item['name']} refers to $({ref}) defined nowhere before it"
        names.add(item["name"])
    return names


@pytest.mark.parametrize("target", ("base",) + OVERLAYS)
def test_every_container_gets_every_config_key(rendered, target):
    docs = rendered[target]
    data = configmap(docs)
    secret = yaml.safe_load((K8S / "base" / "secret.example.yaml").read_text(encoding="utf-8"))
    secret_keys = set(secret["stringData"])
    for name, deploy in kinds(docs, "Deployment").items():
        (container,) = deploy["spec"]["template"]["spec"]["containers"]
        process = container["args"][1]
        names = container_env(container, data, secret_keys)
        missing = set(config_keys(process)) - names
        assert not missing, f"{target}/{name} lacks {sorted(missing)}"
    (job,) = kinds(docs, "Job").values()
    for container in job["spec"]["template"]["spec"]["containers"]:
        target_process = container["args"][1]
        needed = PROCESSES if target_process == "all" else (target_process,)
        names = container_env(container, data, secret_keys)
        for process in needed:
            missing = set(config_keys(process)) - names
            assert not missing, f"{target}/migrate ({process}) lacks {sorted(missing)}"


@pytest.mark.parametrize("target", ("base",) + OVERLAYS)
def test_deployments_probe_health_are_limited_non_root_read_only_and_scraped(rendered, target):
    docs = rendered[target]
    data = configmap(docs)
    deployments = kinds(docs, "Deployment")
    services = kinds(docs, "Service")
    assert deployments
    for name, deploy in deployments.items():
        pod = deploy["spec"]["template"]
        spec = pod["spec"]
        (container,) = spec["containers"]
        process = name
        port = PORTS[process]
        # the image command line: ENTRYPOINT + args
        assert "command" not in container
        assert image_entrypoint() + container["args"] == ["python", "-m", "common.cli", "serve", process]
        assert int(data[f"{process.upper()}_PORT"]) == port and data["BIND_HOST"] == "0.0.0.0"
        assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            assert container[probe]["httpGet"] == {"path": "/health", "port": "http"}, (name, probe)
        live = container["livenessProbe"]
        assert live["periodSeconds"] * live["failureThreshold"] >= 60, "liveness must tolerate a broker blip"
        # a process whose service container died exits non-zero: the kubelet starts it again
        assert spec.get("restartPolicy", "Always") == "Always"
        limits, requests = container["resources"]["limits"], container["resources"]["requests"]
        assert mem_mib(limits["memory"]) <= 256 and mem_mib(requests["memory"]) <= mem_mib(limits["memory"])
        assert "cpu" in limits and "cpu" in requests
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] != 0
        # Service links would set EVENTS_PORT=tcp://... (a Service is named "events"),
        # colliding with the process's own port variable.
        assert spec["enableServiceLinks"] is False
        sc = container["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"] == {"drop": ["ALL"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert "emptyDir" in volumes[mounts["/tmp"]] and "emptyDir" in volumes[mounts["/app/var/data"]]
        assert 5 <= spec["terminationGracePeriodSeconds"] <= 60
        notes = pod["metadata"]["annotations"]
        assert notes["prometheus.io/scrape"] == "true"
        assert notes["prometheus.io/port"] == str(port) and notes["prometheus.io/path"] == "/metrics"
        labels = pod["metadata"]["labels"]
        assert labels["app.kubernetes.io/part-of"] == "ronghe"
        assert labels["app.kubernetes.io/component"] == process
        if target != "base":
            assert labels["ronghe.io/community"] == COMMUNITY_OF[target]
        # a Service in front of each Deployment, selecting its pods
        svc = services[name]
        assert svc["spec"]["ports"][0]["port"] == port
        assert all(labels.get(k) == v for k, v in svc["spec"]["selector"].items())
        assert svc["spec"]["selector"]["app.kubernetes.io/component"] == process


@pytest.mark.parametrize("target", ("base",) + OVERLAYS)
def test_migrations_job_uses_the_image_migrate_command(rendered, target):
    (job,) = kinds(rendered[target], "Job").values()
    spec = job["spec"]["template"]["spec"]
    assert spec["restartPolicy"] in ("OnFailure", "Never")
    assert spec["securityContext"]["runAsNonRoot"] is True
    commands = [image_entrypoint() + c["args"] for c in spec["containers"]]
    expected = ([["python", "-m", "common.cli", "migrate", "reports"],
                 ["python", "-m", "common.cli", "migrate", "gateway"]] if target == "district"
                else [["python", "-m", "common.cli", "migrate", "all"]])
    assert commands == expected
    for c in spec["containers"]:
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert mem_mib(c["resources"]["limits"]["memory"]) <= 256


def test_each_overlay_has_its_own_namespace_community_vhost_and_databases(rendered):
    seen = {"namespace": set(), "vhost": set(), "databases": set()}
    for overlay in OVERLAYS:
        docs = rendered[overlay]
        (ns,) = kinds(docs, "Namespace")
        for doc in docs:
            if doc["kind"] != "Namespace":
                assert doc["metadata"]["namespace"] == ns, (overlay, doc["metadata"]["name"])
        data = configmap(docs)
        community = COMMUNITY_OF[overlay]
        # names shared with deploy/district/communities.yaml: vhost ronghe-<community>
        assert data["COMMUNITY_ID"] == community and data["RABBITMQ_VHOST"] == f"ronghe-{community}"
        assert ns == f"ronghe-{overlay}"
        running = {d["spec"]["template"]["spec"]["containers"][0]["args"][1]
                   for d in kinds(docs, "Deployment").values()}
        dbs = {data[f"{p.upper()}_DB_NAME"] for p in running}
        assert len(dbs) == len(running), f"{overlay}: one database per process"
        assert all(db.startswith(f"ronghe_{community}_") for db in dbs)
        for key, value in (("namespace", {ns}), ("vhost", {data["RABBITMQ_VHOST"]}), ("databases", dbs)):
            assert not (seen[key] & value), f"{overlay} shares a {key} with another overlay"
            seen[key] |= value


def test_communities_run_every_process_in_community_mode(rendered):
    for community in COMMUNITIES:
        docs = rendered[community]
        assert set(kinds(docs, "Deployment")) == set(PROCESSES)
        assert configmap(docs)["REPORTS_MODE"] == "community"


def test_district_runs_reports_in_district_mode_and_no_community_processes(rendered):
    docs = rendered["district"]
    assert set(kinds(docs, "Deployment")) == {"reports", "gateway"}
    assert set(kinds(docs, "Service")) == {"reports", "gateway"}
    data = configmap(docs)
    assert data["REPORTS_MODE"] == "district" and data["SAMPLE_DATA"] == "false"


def test_second_community_mounts_its_own_kpi_targets(rendered):
    docs = rendered["jinshan"]
    data = configmap(docs)
    path = data["KPI_TARGETS_FILE"]
    (targets_cm,) = [d for d in docs if d["kind"] == "ConfigMap"
                     and d["metadata"]["name"].startswith("ronghe-kpi-targets")]
    targets = yaml.safe_load(targets_cm["data"]["targets.yaml"])
    assert targets["community_id"] == "jinshan" and targets["sample"] is True
    # reports counts against its targets; events checks expenditures against its lines
    for process in ("reports", "events"):
        spec = kinds(docs, "Deployment")[process]["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        mount = [m for m in container["volumeMounts"]
                 if path.startswith(m["mountPath"] + "/")]
        assert mount and mount[0]["readOnly"] is True, process
        volume = [v for v in spec["volumes"] if v["name"] == mount[0]["name"]][0]
        assert volume["configMap"]["name"] == targets_cm["metadata"]["name"]
    # and its keys match Hetong's file (same shape, replaceable without code changes)
    from common.config import ROOT
    hetong = yaml.safe_load((ROOT / "config/targets/hetong-year1.yaml").read_text(encoding="utf-8"))
    assert set(targets["targets"]) == set(hetong["targets"])
