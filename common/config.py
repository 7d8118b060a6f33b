"""Configuration: one YAML file per process under ``config/``, with ``${VAR:default}``
environment substitution, so that compose, Kubernetes and ``make run`` differ only in
their environment. ``VAR_FILE=<path>`` reads VAR from a file instead (secrets mounted as
files).
"""
import ipaddress
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"
SERVICES = ("resources", "volunteers", "events", "reports")
PROCESSES = SERVICES + ("gateway",)

# Values that are fine on a laptop and must never reach production.
DEVELOPMENT_SECRETS = {
    "JWT_SECRET": "dev-jwt-secret-change-me",
    "PII_KEY": "dev-pii-key-change-me",
    "PII_HASH_KEY": "dev-pii-hash-key-change-me",
    "RONGHE_ADMIN_PASSWORD": "ronghe-admin",
}

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")


class ConfigError(RuntimeError):
    pass


def substitute_env(text, environ=None):
    """Replace ``${VAR}`` / ``${VAR:default}``; a variable with no value and no default
    is an error naming it, not a silent empty string."""
    environ = os.environ if environ is None else environ

    def replace(match):
        name, default = match.group(1), match.group(2)
        if environ.get(f"{name}_FILE"):
            return read_secret_file(name, environ[f"{name}_FILE"])
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        raise ConfigError(f"environment variable {name} is required")

    return _VAR.sub(replace, text)


def read_secret_file(name, path):
    """``<VAR>_FILE``: the value of VAR is the content of that file (a Kubernetes Secret
    mounted as files, a compose/Docker secret), its final newline dropped. It wins over
    VAR itself, which stays the fallback. The error names the variable and the path,
    never a value."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().rstrip("\r\n")
    except OSError as exc:
        raise ConfigError(f"{name}_FILE={path}: cannot read it ({exc.strerror})") from None


def config_keys(process):
    """Environment variables a process's config file reads (used by deployment tests)."""
    text = (CONFIG_DIR / f"{process}.yaml").read_text(encoding="utf-8")
    return sorted(set(m.group(1) for m in _VAR.finditer(text)))


def load_config(process, environ=None, overrides=None):
    environ = os.environ if environ is None else environ
    path = CONFIG_DIR / f"{process}.yaml"
    config = yaml.safe_load(substitute_env(path.read_text(encoding="utf-8"), environ))
    config.update(overrides or {})
    check_broker_addresses(config)
    check_production_secrets(config)
    check_public_address(config, process)
    from common import times, vocab

    times.configure(config)  # the process's one zone (the time rule)
    vocab.configure(config)  # the community's compounds, skills and series
    return config


_BROKER_ADDRESS = re.compile(r"amqps?://[^\s;,]+")


def broker_addresses(amqp_uri):
    """The broker nodes of AMQP_URI: one address, or several separated by ``;`` (kombu's
    failover list: a process connects to the first that answers and moves to the next
    when its node goes)."""
    return [part.strip() for part in amqp_uri.split(";") if part.strip()]


def check_broker_addresses(config):
    """Several addresses must each be a whole amqp:// URI (commas do not separate them)
    and name the same vhost: they are the nodes of one cluster, not different brokers."""
    if "AMQP_URI" not in config:
        return
    addresses = broker_addresses(str(config["AMQP_URI"]))
    if not addresses:
        raise ConfigError("AMQP_URI is empty")
    vhosts = set()
    for address in addresses:
        if not _BROKER_ADDRESS.fullmatch(address) or address.count("://") != 1:
            raise ConfigError("AMQP_URI: each broker address must be an amqp:// URI, several "
                              "separated by ';' (amqp://user:pass@node1/vhost;"
                              "amqp://user:pass@node2/vhost)")
        vhosts.add(address.split("://", 1)[1].partition("/")[2])
    if len(vhosts) > 1:
        raise ConfigError("AMQP_URI: every broker address must name the same vhost "
                          "(the nodes of one cluster)")


def is_production(config):
    return str(config.get("RONGHE_ENV", "development")).lower() == "production"


# The keys of DEVELOPMENT_SECRETS that sign or encrypt: random values, not passwords.
KEYS = ("JWT_SECRET", "PII_KEY", "PII_HASH_KEY")


def check_public_address(config, process=None):
    """``PUBLIC_BASE_URL`` (where residents reach the gateway; printed certificates' QR
    codes lead there) is an absolute http(s) address; in production, not a loopback one,
    which would print codes that no resident's phone can open."""
    if "PUBLIC_BASE_URL" not in config:
        return
    address = str(config["PUBLIC_BASE_URL"] or "")
    if not address and process == "gateway":
        return  # its QR codes then lead to the address each request came to
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or \
            parts.fragment:
        raise ConfigError(f"PUBLIC_BASE_URL {address!r} is not an absolute http(s) address "
                          f"(https://host[/path], no query)")
    if not is_production(config):
        return
    host = parts.hostname
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost" or host.endswith(".localhost")
    if loopback:
        raise ConfigError(f"RONGHE_ENV=production but PUBLIC_BASE_URL {address} is this "
                          f"machine: the certificates' QR codes must lead to an address "
                          f"residents reach (https://your-domain)")


def _pii_key_problems(value, credentials):
    """Each key of the PII key ring (``id:secret,...``, common/pii.py) is checked alone."""
    from common.pii import parse_keyring

    advice = f"generate one with: {credentials.GENERATE_SECRET}"
    try:
        ring = parse_keyring(value)
    except ValueError as exc:
        return [str(exc)]
    problems = []
    for key_id, secret in ring:
        weakness = credentials.secret_weakness(secret)
        if weakness:
            name = "PII_KEY" if len(ring) == 1 and key_id == "legacy" else f"PII_KEY (key {key_id})"
            problems.append(f"{name} {weakness}; {advice}")
    return problems


def check_production_secrets(config):
    """Production refuses to start with a development default, a template's placeholder
    or a guessable key, and with a first admin's password that breaks the password
    policy. The message names the variable, never its value."""
    if not is_production(config):
        return
    from common import credentials

    problems = []
    for key in DEVELOPMENT_SECRETS:
        if key not in config:
            continue
        value = str(config[key] or "")
        if key == "PII_KEY":
            problems.extend(_pii_key_problems(value, credentials))
            continue
        if key in KEYS:
            weakness = credentials.secret_weakness(value)
            advice = f"generate one with: {credentials.GENERATE_SECRET}"
        else:
            weakness = credentials.password_weakness(value, config.get("RONGHE_ADMIN_USER"))
            advice = (f"choose one of at least {credentials.PASSWORD_MIN_LENGTH} characters "
                      f"mixing letters with digits or symbols")
        if weakness:
            problems.append(f"{key} {weakness}; {advice}")
    if problems:  # all of them at once: one restart to fix them
        raise ConfigError("RONGHE_ENV=production but " + "\n  and ".join(problems))
