"""docker-compose.yml, .env.example, the Dockerfile and the postgres init script, read as
files (no Docker engine needed): healthchecks, configuration coverage, scraping, order."""
import re

import yaml

from common.config import PROCESSES, config_keys
from tests.deploy.conftest import (COMPOSE_FILE, DOCKERFILE, ENV_EXAMPLE, PORTS, PROMETHEUS,
                                   ROOT, dockerfile_instruction, image_entrypoint)


def app_services(compose):
    """{compose service name: process} for the services that run `serve <process>`."""
    out = {}
    for name, svc in compose["services"].items():
        command = svc.get("command")
        if isinstance(command, list) and command[:1] == ["serve"]:
            out[name] = command[1]
    return out


def env_names(svc):
    env = svc.get("environment") or {}
    if isinstance(env, list):
        return {item.split("=", 1)[0] for item in env}
    return set(env)


def test_every_process_runs_as_a_compose_service_with_the_image_command(compose):
    services = app_services(compose)
    assert sorted(services.values()) == sorted(PROCESSES)
    for name, process in services.items():
        assert name == process
        argv = image_entrypoint() + compose["services"][name]["command"]
        assert argv == ["python", "-m", "common.cli", "serve", process]
    migrate = compose["services"]["migrate"]
    assert image_entrypoint() + migrate["command"] == ["python", "-m", "common.cli", "migrate", "all"]


def test_every_service_has_a_healthcheck(compose):
    for name, svc in compose["services"].items():
        check = svc.get("healthcheck") or {}
        if name == "migrate":
            # one-shot: its exit status is what others wait for
            assert svc.get("restart") == "no"
            continue
        assert not check.get("disable"), f"{name}: healthcheck disabled"
        assert check.get("test"), f"{name} has no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name


def test_application_healthchecks_use_python_and_the_process_port(compose):
    for name, process in app_services(compose).items():
        svc = compose["services"][name]
        test = svc["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "-c"], f"{name}: no curl in the image, use python"
        port = svc["environment"][f"{process.upper()}_PORT"]
        assert int(port) == PORTS[process]
        # ready = schema at head, broker connected, consumers attached
        assert f"'http://127.0.0.1:{port}/health/ready'" in test[3], name
        # the check must fail on a non-200 /health: urlopen raises on 503
        assert "urlopen" in test[3]


def test_application_environment_covers_the_config_keys(compose):
    for name, process in app_services(compose).items():
        missing = set(config_keys(process)) - env_names(compose["services"][name])
        assert not missing, f"compose service {name} lacks {sorted(missing)}"
    # the migrations step loads every process's config (and its production checks)
    union = set().union(*(config_keys(p) for p in PROCESSES))
    missing = union - env_names(compose["services"]["migrate"])
    assert not missing, f"migrate lacks {sorted(missing)}"


def test_services_bind_all_interfaces_and_use_postgres_and_the_community_vhost(compose):
    for name, process in app_services(compose).items():
        env = compose["services"][name]["environment"]
        assert env["BIND_HOST"] == "0.0.0.0"
        db = env[f"{process.upper()}_DB_URI"]
        assert db.startswith("postgresql+psycopg2://") and db.endswith(f"/ronghe_{process}")
        assert env["AMQP_URI"].startswith("amqp://") and env["AMQP_URI"].endswith("/ronghe-${COMMUNITY_ID:-hetong}")


def test_every_process_metrics_is_scraped_by_the_compose_prometheus(compose):
    config = yaml.safe_load((PROMETHEUS / "prometheus.compose.yml").read_text(encoding="utf-8"))
    scraped = set()
    for job in config["scrape_configs"]:
        path = job.get("metrics_path", "/metrics")
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                scraped.add((target, path, job["job_name"], (static.get("labels") or {}).get("process")))
    for name, process in app_services(compose).items():
        port = compose["services"][name]["environment"][f"{process.upper()}_PORT"]
        assert (f"{name}:{port}", "/metrics", "ronghe", process) in scraped, \
            f"{name}'s /metrics is not scraped as job ronghe, process {process}"
    # RabbitMQ's own metrics, aggregated and per queue (the dead-letter alert needs per queue)
    assert ("rabbitmq:15692", "/metrics", "rabbitmq", None) in scraped
    assert ("rabbitmq:15692", "/metrics/detailed", "rabbitmq-queues", None) in scraped
    # compose mounts exactly these files
    prom = compose["services"]["prometheus"]
    assert "./deploy/prometheus/prometheus.compose.yml:/etc/prometheus/prometheus.yml:ro" in prom["volumes"]
    assert "./deploy/prometheus/rules:/etc/prometheus/rules:ro" in prom["volumes"]


def test_start_order_waits_for_health_and_for_migrations(compose):
    services = compose["services"]
    for name, svc in services.items():
        for dep, cond in (svc.get("depends_on") or {}).items():
            assert dep in services
            expected = ("service_completed_successfully" if dep == "migrate"
                        else "service_healthy")
            assert cond == {"condition": expected}, f"{name} -> {dep}: {cond}"
    for name in app_services(compose):
        deps = services[name]["depends_on"]
        assert {"rabbitmq", "postgres", "migrate"} <= set(deps), name
    assert {"resources", "volunteers", "events", "reports"} <= set(services["gateway"]["depends_on"])
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}


def test_application_containers_are_locked_down_and_stop_fast(compose):
    for name in list(app_services(compose)) + ["migrate"]:
        svc = compose["services"][name]
        assert svc["read_only"] is True and "/tmp" in svc["tmpfs"], name
        assert "no-new-privileges:true" in svc["security_opt"]
        assert svc["cap_drop"] == ["ALL"]
        assert svc["stop_signal"] in ("SIGTERM", "SIGINT")
        seconds = int(re.fullmatch(r"(\d+)s", svc["stop_grace_period"]).group(1))
        assert seconds <= 30


def test_named_volumes_are_declared(compose):
    declared = set(compose["volumes"])
    used = set()
    for svc in compose["services"].values():
        for volume in svc.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                used.add(source)
            else:
                assert (ROOT / source).exists(), f"bind-mounted {source} is missing"
    assert used == declared
    assert {"rabbitmq-data", "postgres-data", "prometheus-data"} <= declared


def test_env_example_defines_every_required_variable():
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*):\?", text))
    optional = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*):-", text))
    example = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            example[key.strip()] = value.strip()
    assert required, "secrets must be required (${VAR:?message}) in docker-compose.yml"
    assert required <= set(example), f".env.example lacks {sorted(required - set(example))}"
    assert optional <= set(example), f".env.example lacks {sorted(optional - set(example))}"
    for secret in ("JWT_SECRET", "PII_KEY", "PII_HASH_KEY", "RONGHE_ADMIN_PASSWORD",
                   "POSTGRES_PASSWORD", "RABBITMQ_PASSWORD"):
        assert secret in required, f"{secret} must have no default in docker-compose.yml"
        assert example[secret].startswith("change-me"), f"{secret}: placeholder only"
    assert example["RONGHE_ENV"] == "production"
    gitignore = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in gitignore


def test_postgres_init_script_creates_the_databases_the_services_use(compose):
    pg = compose["services"]["postgres"]
    assert any(v.startswith("./deploy/postgres/init-databases.sh:/docker-entrypoint-initdb.d/")
               for v in pg["volumes"])
    databases = set(pg["environment"]["RONGHE_DATABASES"].split())
    used = set()
    for name, process in app_services(compose).items():
        used.add(compose["services"][name]["environment"][f"{process.upper()}_DB_URI"].rsplit("/", 1)[1])
    assert used == databases == {f"ronghe_{p}" for p in PROCESSES}


def test_dockerfile_is_multi_stage_non_root_and_read_only_friendly():
    text = DOCKERFILE.read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.M)
    assert len(stages) >= 2, "multi-stage build"
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, re.M)
    assert all(image == "${PYTHON_IMAGE}" for image, _ in stages)
    assert "-r /tmp/requirements.txt" in text and "COPY requirements.txt" in text
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert "PYTHONDONTWRITEBYTECODE=1" in text
    assert re.search(r'^VOLUME \["/app/var/data"\]', text, re.M)
    assert dockerfile_instruction("ENTRYPOINT") == ["python", "-m", "common.cli"]
    assert dockerfile_instruction("CMD") == ["serve", "gateway"]
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for path in (".git", ".venv", ".env", "**/*.db", "tests"):
        assert path in ignored, f".dockerignore must exclude {path}"
    # every directory the image copies exists (and holds what `serve` imports)
    for src in re.findall(r"^COPY (\w+)/ ", text, re.M):
        assert (ROOT / src).is_dir(), src


def test_rabbitmq_runs_the_plugins_we_rely_on(compose):
    rabbit = compose["services"]["rabbitmq"]
    assert rabbit["image"].startswith("rabbitmq:") and rabbit["image"].endswith("-management")
    (config,) = rabbit["configs"]
    assert config["target"] == "/etc/rabbitmq/enabled_plugins"
    plugins = compose["configs"][config["source"]]["content"].strip()
    assert plugins.startswith("[") and plugins.endswith("].")
    assert set(plugins[1:-2].split(",")) == {
        "rabbitmq_management", "rabbitmq_prometheus", "rabbitmq_shovel", "rabbitmq_shovel_management"}
    assert rabbit["environment"]["RABBITMQ_DEFAULT_VHOST"] == "ronghe-${COMMUNITY_ID:-hetong}"


def test_the_image_installs_the_run_time_set_without_test_tools():
    runtime = (ROOT / "requirements.txt").read_text(encoding="utf-8").lower()
    dev = (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").lower()
    pinned = [line for line in runtime.splitlines() if line and not line.startswith("#")]
    assert pinned and all("==" in line for line in pinned)
    for tool in ("pytest", "schemathesis", "playwright", "kubernetes-validate", "hypothesis",
                 "coverage"):
        assert not re.search(rf"^{tool}==", runtime, re.M), f"{tool} is a test tool"
        assert re.search(rf"^{tool}==", dev, re.M), f"{tool} missing from requirements-dev.txt"
    assert "-r requirements.txt" in dev
    assert "requirements-dev" not in DOCKERFILE.read_text(encoding="utf-8")


def test_the_runtime_image_has_the_cjk_font_the_pdfs_embed():
    from common import pdf

    text = DOCKERFILE.read_text(encoding="utf-8")
    runtime = text[text.index(" AS runtime"):]
    assert re.search(r"apt-get install -y --no-install-recommends fonts-wqy-microhei", runtime)
    assert "rm -rf /var/lib/apt/lists/*" in runtime.split("fonts-wqy-microhei", 1)[1]
    # the file Debian's package installs is where the PDFs look by default; CI installs it too
    assert pdf.DEFAULT_FONT_FILE == "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    assert "fonts-wqy-microhei" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_a_process_that_exits_is_started_again(compose):
    """A process whose service container died exits non-zero (common/cli.py serve);
    compose does not restart an unhealthy container, only one that exited."""
    for name in app_services(compose):
        assert compose["services"][name].get("restart") in ("unless-stopped", "always",
                                                            "on-failure"), name


def test_the_compose_prometheus_labels_its_alerts_with_the_community(compose):
    config = yaml.safe_load((PROMETHEUS / "prometheus.compose.yml").read_text(encoding="utf-8"))
    assert config["global"]["external_labels"] == {"community": "${COMMUNITY_ID}"}
    prom = compose["services"]["prometheus"]
    assert "--enable-feature=expand-external-labels" in prom["command"]
    assert prom["environment"]["COMMUNITY_ID"] == "${COMMUNITY_ID:-hetong}"


def test_every_container_rotates_its_logs_and_has_a_memory_limit(compose):
    for name, svc in compose["services"].items():
        logging = svc.get("logging") or {}
        assert logging.get("driver") == "json-file", name
        assert re.fullmatch(r"\d+m", logging["options"]["max-size"]), name
        assert int(logging["options"]["max-file"]) >= 2, name
        limits = svc["deploy"]["resources"]["limits"]
        assert re.fullmatch(r"\d+(M|G)", limits["memory"]) and float(limits["cpus"]) > 0, name
    for name in app_services(compose):
        assert compose["services"][name]["deploy"]["resources"]["limits"]["memory"] == "256M"


# What the code imports at run time (the distributions behind them); requirements.txt must
# be exactly these and what they depend on, nothing for tests.
RUNTIME_ROOTS = ("alembic", "apispec", "argon2-cffi", "cryptography", "eventlet", "kombu",
                 "marshmallow", "nameko", "openpyxl", "orjson", "pillow", "prometheus_client",
                 "psycogreen", "psycopg2-binary", "python-dateutil", "PyJWT", "PyYAML",
                 "reportlab", "requests", "segno", "SQLAlchemy", "swagger_ui_bundle",
                 "Werkzeug")


def test_the_dockerfile_installs_nothing_but_the_run_time_requirements():
    text = DOCKERFILE.read_text(encoding="utf-8")
    installs = re.findall(r"pip install[^\n]*", text)
    assert installs == ["pip install --prefer-binary -r /tmp/requirements.txt"], installs
    assert re.findall(r"^COPY (\S+) /tmp/", text, re.M) == ["requirements.txt"]
    # nor the tests, nor the module their fixtures build on (it imports pytest)
    assert "rm -f /app/common/testing.py" in text and "-name tests" in text


def test_the_run_time_requirements_are_the_closure_of_what_the_code_imports():
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pinned = {canonicalize_name(line.split("==")[0])
              for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
              if "==" in line and not line.startswith("#")}
    needed, todo = set(), [canonicalize_name(r) for r in RUNTIME_ROOTS]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:
            continue
        for item in requires:
            req = Requirement(item)
            if not req.marker or req.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(req.name))
    assert pinned - needed == set(), f"requirements.txt holds what nothing needs at run time"
    assert needed - pinned == set(), f"requirements.txt lacks run-time dependencies"
    for tool in ("pytest", "playwright", "schemathesis", "kubernetes-validate", "hypothesis",
                 "coverage", "pypdf"):
        assert canonicalize_name(tool) not in pinned
