import pytest

from tests.fixtures import Stack


@pytest.fixture(scope="module")
def full_stack_module(request, tmp_path_factory):
    """One running stack for a whole module (the fuzzer makes hundreds of calls)."""
    import uuid

    import requests
    from nameko.containers import ServiceContainer

    from common.config import load_config  # noqa: F401

    amqp = request.config.getoption("RABBIT_AMQP_URI")
    mgmt = "http://127.0.0.1:15672/api"
    vhost = f"fuzz_{uuid.uuid4().hex[:8]}"
    requests.put(f"{mgmt}/vhosts/{vhost}", auth=("guest", "guest"), timeout=10).raise_for_status()
    requests.put(f"{mgmt}/permissions/{vhost}/guest", auth=("guest", "guest"), timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    containers = []

    def container_factory(cls, config):
        container = ServiceContainer(cls, config)
        containers.append(container)
        return container

    tmp = tmp_path_factory.mktemp("fuzz")
    stack = Stack(container_factory, {"AMQP_URI": amqp.rstrip("/") + "/" + vhost},
                  lambda name, backend="sqlite": f"sqlite:///{tmp}/{name}.db")
    stack.start("resources", "volunteers", "events", "reports", "gateway")
    token = stack.client().token
    yield stack, token
    for container in containers:
        container.kill()
    requests.delete(f"{mgmt}/vhosts/{vhost}", auth=("guest", "guest"), timeout=30)
