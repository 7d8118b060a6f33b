"""deploy/k8s: ``kubectl kustomize`` builds the base and every overlay, the output validates
offline against the Kubernetes schemas (kubernetes-validate, strict), and the manifests do
what the operator relies on: probes on /health, limits, non-root, read-only root,
configuration covering every key a process reads, scrape annotations, one namespace,
vhost and set of databases per community, reports in district mode in the district."""
import os
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
        # liveness (and start-up) = the process answers; readiness = schema at head,
        # broker connected, consumers attached (common/ops.py)
        for probe, path in (("readinessProbe", "/health/ready"), ("livenessProbe", "/health/live"),
                            ("startupProbe", "/health/live")):
            assert container[probe]["httpGet"] == {"path": path, "port": "http"}, (name, probe)
        live = container["livenessProbe"]
        assert live["periodSeconds"] * live["failureThreshold"] >= 60, "liveness must tolerate a slow minute"
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
    # it cleans itself up: the next apply with a new image creates it again
    assert 60 <= job["spec"]["ttlSecondsAfterFinished"] <= 3600
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


def selects(selector, labels):
    """Whether a NetworkPolicy/PDB label selector selects pods with ``labels``."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        assert expr["operator"] == "In", expr
        if labels.get(expr["key"]) not in expr["values"]:
            return False
    return True


def pod_templates(docs):
    """(kind/name, pod template) of every workload: Deployments, the Job, the CronJob."""
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            yield f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]
        elif doc["kind"] == "CronJob":
            yield f"CronJob/{doc['metadata']['name']}", doc["spec"]["jobTemplate"]["spec"]["template"]


@pytest.mark.parametrize("target", ("base",) + OVERLAYS)
def test_network_policies_deny_by_default_and_allow_only_the_broker_the_database_and_dns(
        rendered, target):
    policies = kinds(rendered[target], "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    for name, template in pod_templates(rendered[target]):
        labels = template["metadata"]["labels"]
        allowing = [p["spec"] for n, p in policies.items()
                    if n != "default-deny" and selects(p["spec"]["podSelector"], labels)]
        assert len(allowing) == 1, f"{target}: {name} is selected by {len(allowing)} policies"
        (spec,) = allowing
        ports = {(p["protocol"], p["port"]) for rule in spec["egress"] for p in rule["ports"]}
        assert ports == {("UDP", 53), ("TCP", 53), ("TCP", 5672), ("TCP", 5432)}, name
        sources = [peer for rule in spec.get("ingress", []) for peer in rule["from"]]
        # nothing inside the namespace may call a process directly (the bus carries RPC)
        assert all("namespaceSelector" in peer and "podSelector" not in peer
                   for peer in sources), name
        component = labels["app.kubernetes.io/component"]
        if component in ("migrate", "backup"):
            assert not sources, f"{name} takes no connections"
        else:
            (rule,) = spec["ingress"]
            assert {"protocol": "TCP", "port": PORTS[component]} in rule["ports"], name


@pytest.mark.parametrize("target", OVERLAYS)
def test_the_gateway_is_reached_over_tls_at_the_public_address(rendered, target):
    docs = rendered[target]
    (ingress,) = kinds(docs, "Ingress").values()
    host = configmap(docs)["PUBLIC_BASE_URL"].split("/")[2]
    assert configmap(docs)["PUBLIC_BASE_URL"].startswith("https://")
    assert [r["host"] for r in ingress["spec"]["rules"]] == [host]
    assert ingress["spec"]["tls"] == [{"hosts": [host], "secretName": "ronghe-tls"}]
    (path,) = ingress["spec"]["rules"][0]["http"]["paths"]
    assert path["backend"]["service"] == {"name": "gateway", "port": {"name": "http"}}


def test_cert_manager_is_an_optional_component(tmp_path):
    (ingress,) = kinds(with_components(tmp_path, "hetong", "cert-manager"), "Ingress").values()
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]


@pytest.mark.parametrize("target", ("base",) + OVERLAYS)
def test_a_drain_keeps_one_gateway_serving(rendered, target):
    docs = rendered[target]
    (pdb,) = kinds(docs, "PodDisruptionBudget").values()
    gateway = kinds(docs, "Deployment")["gateway"]
    assert selects(pdb["spec"]["selector"], gateway["spec"]["template"]["metadata"]["labels"])
    assert pdb["spec"]["minAvailable"] < gateway["spec"]["replicas"], "a drain must be possible"


@pytest.mark.parametrize("target", ("base",) + OVERLAYS)
def test_the_databases_are_dumped_every_night_to_a_volume(rendered, target):
    docs = rendered[target]
    (cron,) = kinds(docs, "CronJob").values()
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    script = container["args"][0]
    # the procedure of docs/operations.md: pg_dump -Fc, one file per database
    assert "pg_dump -Fc" in script
    for key in ("RESOURCES_DB_NAME", "GATEWAY_DB_NAME", "REPORTS_DB_NAME"):
        assert f"${key}" in script
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    (claim,) = [v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"]
                if "persistentVolumeClaim" in v]
    assert claim in kinds(docs, "PersistentVolumeClaim")
    assert {"name": "backup", "mountPath": "/backup"} in container["volumeMounts"]


def with_components(tmp_path, overlay, *components):
    """``kubectl kustomize`` of ``overlay`` with optional ``components`` added."""
    from tests.deploy.conftest import kustomize

    folder = tmp_path / f"{overlay}-{'-'.join(components)}"
    folder.mkdir()
    (folder / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": [os.path.relpath(K8S / "overlays" / overlay, folder)],
        "components": [os.path.relpath(K8S / "components" / c, folder) for c in components]}))
    return kustomize(folder)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_clustered_dependencies_variant_builds_validates_and_points_at_them(
        tmp_path, overlay):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    docs = with_components(tmp_path, overlay, "clustered-dependencies")
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    data = configmap(docs)
    assert data["RABBITMQ_HOST"] == "ronghe-rabbitmq.ronghe-data.svc.cluster.local"
    assert data["POSTGRES_HOST"] == "ronghe-postgres-rw.ronghe-data.svc.cluster.local"
    assert data["COMMUNITY_ID"] == COMMUNITY_OF[overlay]  # the overlay's own settings stay
    assert "default-deny" in kinds(docs, "NetworkPolicy")


def test_the_clustered_dependencies_are_a_rabbitmq_cluster_of_three_and_a_postgres_cluster():
    from tests.deploy.conftest import kustomize

    docs = kustomize(K8S / "dependencies")
    (rabbit,) = kinds(docs, "RabbitmqCluster").values()
    assert rabbit["apiVersion"] == "rabbitmq.com/v1beta1"
    assert rabbit["metadata"]["namespace"] == "ronghe-data"
    assert rabbit["spec"]["replicas"] == 3  # quorum queues: a majority survives one node
    assert "rabbitmq_shovel" in rabbit["spec"]["rabbitmq"]["additionalPlugins"]
    (pg,) = kinds(docs, "Cluster").values()
    assert pg["apiVersion"] == "postgresql.cnpg.io/v1" and pg["spec"]["instances"] == 3
    # the names the component points at: <cluster> and <cluster>-rw
    component = yaml.safe_load((K8S / "components" / "clustered-dependencies" /
                                "kustomization.yaml").read_text(encoding="utf-8"))
    literals = dict(lit.split("=", 1) for lit in component["configMapGenerator"][0]["literals"])
    assert literals["RABBITMQ_HOST"].startswith(rabbit["metadata"]["name"] + ".ronghe-data.")
    assert literals["POSTGRES_HOST"].startswith(pg["metadata"]["name"] + "-rw.ronghe-data.")


SECRET_FILES = ("JWT_SECRET", "PII_KEY", "PII_HASH_KEY", "RONGHE_ADMIN_PASSWORD")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_can_be_mounted_as_files_instead_of_environment_variables(tmp_path, overlay):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    docs = with_components(tmp_path, overlay, "secrets-as-files")
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    deployments = kinds(docs, "Deployment")
    assert deployments
    for name, deploy in deployments.items():
        spec = deploy["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        env = {item["name"]: item for item in container["env"]}
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        for key in SECRET_FILES:
            assert key not in env, f"{overlay}/{name}: {key} is still an environment variable"
            folder, _, filename = env[f"{key}_FILE"]["value"].rpartition("/")
            mount = mounts[folder]
            assert mount["readOnly"] is True
            secret = volumes[mount["name"]]["secret"]
            assert secret["secretName"] == "ronghe-secrets"
            assert {"key": key, "path": filename} in secret["items"]
        # the process (uid 10001, group 10001 by fsGroup) can read them, nobody else
        assert secret["defaultMode"] == 0o440
        process = container["args"][1]
        names = set(configmap(docs)) | set(env) | {k for k in SECRET_FILES}
        assert not set(config_keys(process)) - names
