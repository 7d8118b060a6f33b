"""Shared pieces of the deployment tests: the files under test, parsed once."""
import json
import shutil
import subprocess

import pytest
import yaml

from common.config import PROCESSES, ROOT

COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("hetong", "jinshan", "district")
PROMETHEUS = ROOT / "deploy" / "prometheus"
GRAFANA = ROOT / "deploy" / "grafana"
PORTS = {"gateway": 8000, "resources": 8001, "volunteers": 8002, "events": 8003, "reports": 8004}

# The Kubernetes version the manifests are validated against (offline schemas of
# kubernetes-validate); the oldest minor we support.
K8S_VERSION = "1.29.0"


def dockerfile_instruction(name):
    """The JSON argument of the last ENTRYPOINT/CMD in the Dockerfile (the runtime stage)."""
    value = None
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if line.startswith(name + " "):
            value = json.loads(line[len(name) + 1:])
    return value


def image_entrypoint():
    return dockerfile_instruction("ENTRYPOINT")


@pytest.fixture(scope="session")
def compose():
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def require_tool(name, package):
    path = shutil.which(name)
    if not path:
        pytest.skip(f"{name} is not installed (Debian package '{package}': "
                    f"apt-get update && apt-get install -y {package}; .ci/run installs it)")
    return path


def kustomize(path):
    kubectl = require_tool("kubectl", "kubectl")
    result = subprocess.run([kubectl, "kustomize", str(path)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, f"kubectl kustomize {path} failed:\n{result.stderr[-3000:]}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="session")
def rendered():
    """``kubectl kustomize`` output of the base and every overlay, parsed."""
    out = {"base": kustomize(K8S / "base")}
    for overlay in OVERLAYS:
        out[overlay] = kustomize(K8S / "overlays" / overlay)
    return out


__all__ = ["PROCESSES", "ROOT"]
