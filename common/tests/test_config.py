import pytest

from common import config


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


def test_production_starts_with_real_secrets():
    env = {"RONGHE_ENV": "production", "JWT_SECRET": "s" * 40, "PII_KEY": "k" * 40,
           "PII_HASH_KEY": "h" * 40, "RONGHE_ADMIN_PASSWORD": "a-real-password"}
    cfg = config.load_config("gateway", environ=env)
    assert cfg["JWT_SECRET"] == "s" * 40


def test_each_service_has_its_own_port_and_database():
    cfgs = {p: config.load_config(p, environ={}) for p in config.PROCESSES}
    assert len({c["WEB_SERVER_ADDRESS"] for c in cfgs.values()}) == len(cfgs)
    assert len({c["DB_URI"] for c in cfgs.values()}) == len(cfgs)
