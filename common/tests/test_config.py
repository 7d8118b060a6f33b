import os
import secrets
import subprocess
import sys
import uuid

import pytest

from common import config, credentials


def test_environment_substitution_with_defaults():
    text = "a: ${A:1}\nb: ${B:x}\n"
    assert config.substitute_env(text, {"A": "9"}) == "a: 9\nb: x\n"


def test_missing_variable_without_default_names_it():
    with pytest.raises(config.ConfigError, match="NEEDED"):
        config.substitute_env("x: ${NEEDED}", {})


def test_development_uses_defaults():
    cfg = config.load_config("gateway", environ={})
    assert cfg["COMMUNITY_ID"] == "hetong"
    assert cfg["WEB_SERVER_ADDRESS"].endswith(":8000")


@pytest.mark.parametrize("process", config.PROCESSES)
def test_production_refuses_default_secrets(process):
    with pytest.raises(config.ConfigError, match="RONGHE_ENV=production"):
        config.load_config(process, environ={"RONGHE_ENV": "production"})


def real_secrets(**changes):
    env = {"RONGHE_ENV": "production", "JWT_SECRET": secrets.token_urlsafe(48),
           "PII_KEY": secrets.token_urlsafe(48), "PII_HASH_KEY": secrets.token_hex(32),
           "RONGHE_ADMIN_USER": "operator", "RONGHE_ADMIN_PASSWORD": "Tide-7-harbour"}
    env.update(changes)
    return env


def test_production_starts_with_real_secrets():
    env = real_secrets()
    cfg = config.load_config("gateway", environ=env)
    assert cfg["JWT_SECRET"] == env["JWT_SECRET"]


WEAK_SECRETS = {
    "one letter": "x",
    "the .env.example placeholder": "change-me-jwt-secret",
    "the Kubernetes template's placeholder": "change-me",
    "a placeholder made long": "change-me-" + secrets.token_urlsafe(48),
    "one repeated character": "s" * 80,
    "a repeated pattern": "ab12" * 20,
    "a short random value": secrets.token_urlsafe(16),
    "a uuid's worth": uuid.uuid4().hex,
}


@pytest.mark.parametrize("variable", ["JWT_SECRET", "PII_KEY", "PII_HASH_KEY"])
@pytest.mark.parametrize("weak", WEAK_SECRETS.values(), ids=WEAK_SECRETS.keys())
def test_production_refuses_weak_secrets_naming_the_variable_never_the_value(variable, weak):
    with pytest.raises(config.ConfigError) as refused:
        config.load_config("gateway", environ=real_secrets(**{variable: weak}))
    message = str(refused.value)
    assert variable in message and "token_urlsafe" in message
    assert len(weak) < 3 or weak not in message


WEAK_PASSWORDS = {
    "one character": "1",
    "short": "Tide-7-harb",
    "all one class": "harbourtidewater",
    "the username in it": "Operator-2026!",
    "a placeholder": "change-me-admin-password",
    "one repeated character": "aaaaaaaaaaaaaaaa1",
}


@pytest.mark.parametrize("weak", WEAK_PASSWORDS.values(), ids=WEAK_PASSWORDS.keys())
def test_production_refuses_a_weak_first_admin_password(weak):
    with pytest.raises(config.ConfigError) as refused:
        config.load_config("gateway", environ=real_secrets(RONGHE_ADMIN_PASSWORD=weak))
    assert "RONGHE_ADMIN_PASSWORD" in str(refused.value)
    assert len(weak) < 3 or weak not in str(refused.value)


def test_generated_secrets_are_accepted_every_time():
    """The documented generators never produce a value the check refuses."""
    for _ in range(500):
        assert credentials.secret_weakness(secrets.token_urlsafe(48)) is None
        assert credentials.secret_weakness(secrets.token_hex(32)) is None


def test_development_keeps_its_defaults_and_accepts_anything():
    assert config.load_config("gateway", environ={"JWT_SECRET": "x"})["JWT_SECRET"] == "x"


def test_the_command_line_refuses_to_start_with_trivial_secrets(tmp_path):
    """`python -m common.cli serve gateway` with the values an operator might try."""
    env = dict(os.environ, RONGHE_ENV="production", JWT_SECRET="x", PII_KEY="y",
               PII_HASH_KEY="z", RONGHE_ADMIN_PASSWORD="1",
               GATEWAY_DB_URI=f"sqlite:///{tmp_path}/gateway.db")
    result = subprocess.run([sys.executable, "-m", "common.cli", "serve", "gateway"],
                            cwd=config.ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "JWT_SECRET" in result.stderr
    assert "JWT_SECRET=x" not in result.stderr and "'x'" not in result.stderr


def test_each_service_has_its_own_port_and_database():
    cfgs = {p: config.load_config(p, environ={}) for p in config.PROCESSES}
    assert len({c["WEB_SERVER_ADDRESS"] for c in cfgs.values()}) == len(cfgs)
    assert len({c["DB_URI"] for c in cfgs.values()}) == len(cfgs)


@pytest.mark.parametrize("address,complaint", [
    ("", "PUBLIC_BASE_URL"), ("ronghe.example.cn", "absolute"),
    ("ftp://ronghe.example.cn", "absolute"), ("https://ronghe.example.cn/?x=1", "absolute"),
])
def test_the_public_address_must_be_an_absolute_web_address(address, complaint):
    with pytest.raises(config.ConfigError, match=complaint):
        config.load_config("volunteers", environ={"PUBLIC_BASE_URL": address})


@pytest.mark.parametrize("address", ["http://localhost:8000", "http://127.0.0.1:8000/",
                                     "https://[::1]/"])
def test_production_refuses_a_public_address_no_resident_can_reach(address):
    """The certificates' QR codes lead there: a loopback address prints useless paper."""
    with pytest.raises(config.ConfigError, match="PUBLIC_BASE_URL") as refused:
        config.load_config("volunteers", environ=real_secrets(PUBLIC_BASE_URL=address))
    assert "residents" in str(refused.value)
    assert config.load_config("volunteers", environ={"PUBLIC_BASE_URL": address})


def test_production_takes_a_public_address():
    cfg = config.load_config("volunteers", environ=real_secrets(
        PUBLIC_BASE_URL="https://hetong.ronghe.example.cn/ronghe"))
    assert cfg["PUBLIC_BASE_URL"] == "https://hetong.ronghe.example.cn/ronghe"


def test_a_secret_can_come_from_a_file_which_wins_over_the_variable(tmp_path):
    import secrets as _secrets

    from common.config import ConfigError, load_config

    key = _secrets.token_urlsafe(48)
    path = tmp_path / "PII_KEY"
    path.write_text(key + "\n")
    env = {"PII_KEY": "from-the-environment", "PII_KEY_FILE": str(path)}
    assert load_config("volunteers", environ=env)["PII_KEY"] == key
    del env["PII_KEY_FILE"]
    assert load_config("volunteers", environ=env)["PII_KEY"] == "from-the-environment"
    env["PII_KEY_FILE"] = str(tmp_path / "missing")
    with pytest.raises(ConfigError, match="PII_KEY_FILE=.*missing"):
        load_config("volunteers", environ=env)
