"""common.rpc's bounded client: what a caller sees when the service answers, fails, is
slow, stopped or was never started, and that a request nobody picked up in time is never
carried out later (its message TTL is the deadline)."""
import logging
import time

import amqp.exceptions
import eventlet
import kombu.exceptions
import pytest
from nameko.exceptions import RemoteError, UnknownService
from nameko.testing.services import entrypoint_hook

from common.errors import NotFound, ServiceUnavailable
from common.rpc import BoundedClient, BoundedRpc, rpc
from tests.fixtures import wait_until

TIMEOUT = 0.5
CARRIED_OUT = []


class FakeProxy:
    """A service proxy whose methods do what the test says."""

    def __init__(self, **methods):
        self.methods = methods

    def __getattr__(self, name):
        return self.methods[name]


def raising(error):
    def method(*args, **kwargs):
        raise error

    return method


def test_an_answer_comes_back_as_it_is():
    client = BoundedClient(FakeProxy(add=lambda a, b=0: a + b), "calc", TIMEOUT)
    assert client.call("add", 1, b=2) == 3


def test_no_answer_in_time_is_unavailable_and_may_have_been_carried_out():
    client = BoundedClient(FakeProxy(slow=lambda: eventlet.sleep(5)), "calc", TIMEOUT)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as caught:
        client.call("slow")
    assert time.monotonic() - started < TIMEOUT + 0.5
    assert caught.value.timed_out is True
    assert caught.value.details == {"service": "calc"}


@pytest.mark.parametrize("error", [
    UnknownService("calc"), ConnectionRefusedError(), OSError("broker gone"),
    # what kombu and py-amqp raise while the broker stops, restarts or is killed
    amqp.exceptions.ConnectionForced("CONNECTION_FORCED - broker forced connection closure"),
    amqp.exceptions.RecoverableConnectionError("connection already closed"),
    amqp.exceptions.ChannelError("channel closed"),
    kombu.exceptions.OperationalError("[Errno 111] Connection refused"),
], ids=type)
def test_a_service_not_running_or_no_broker_is_unavailable(error):
    client = BoundedClient(FakeProxy(add=raising(error)), "calc", TIMEOUT)
    with pytest.raises(ServiceUnavailable) as caught:
        client.call("add", 1)
    assert not getattr(caught.value, "timed_out", False)
    assert caught.value.details == {"service": "calc"}


def test_the_services_own_error_passes_as_itself():
    error = NotFound("no such venue", {"venue_id": 4})
    client = BoundedClient(FakeProxy(get=raising(error)), "calc", TIMEOUT)
    with pytest.raises(NotFound) as caught:
        client.call("get", 4)
    assert caught.value is error


def test_a_remote_failure_is_logged_and_raised(caplog):
    client = BoundedClient(FakeProxy(add=raising(RemoteError("TypeError", "bad"))), "calc",
                           TIMEOUT)
    with caplog.at_level(logging.ERROR, logger="common.rpc"):
        with pytest.raises(RemoteError):
            client.call("add", 1)
    assert "calc.add failed: TypeError" in caplog.text


def test_a_callers_own_deadline_is_not_taken_for_the_services():
    client = BoundedClient(FakeProxy(slow=lambda: eventlet.sleep(5)), "calc", 10)
    with pytest.raises(eventlet.Timeout):
        with eventlet.Timeout(0.2):
            client.call("slow")


# -- on the broker -----------------------------------------------------------------------

class Target:
    name = "rpc_target"

    @rpc
    def remember(self, value):
        CARRIED_OUT.append(value)
        return value


class Caller:
    name = "rpc_caller"
    target = BoundedRpc("rpc_target", "TARGET_RPC_TIMEOUT_SECONDS")

    @rpc
    def ask(self, value):
        try:
            return {"answer": self.target.call("remember", value)}
        except ServiceUnavailable as exc:
            return {"unavailable": exc.message, "timed_out": getattr(exc, "timed_out", False)}


class UnconfirmedCaller(Caller):
    name = "rpc_caller_unconfirmed"
    target = BoundedRpc("rpc_target", "TARGET_RPC_TIMEOUT_SECONDS", confirm=False)


@pytest.fixture
def start(rabbit_config, container_factory):
    CARRIED_OUT.clear()

    def start(cls):
        container = container_factory(cls, dict(rabbit_config,
                                                TARGET_RPC_TIMEOUT_SECONDS=str(TIMEOUT)))
        container.start()
        return container

    return start


def ask(caller, value):
    with entrypoint_hook(caller, "ask") as hook:
        return hook(value)


@pytest.mark.parametrize("caller_cls", [Caller, UnconfirmedCaller])
def test_a_request_nobody_took_in_time_is_never_carried_out(start, caller_cls):
    caller = start(caller_cls)
    target = start(Target)
    assert ask(caller, "first") == {"answer": "first"}
    target.stop()  # its queue stays: the request waits there, nobody takes it

    started = time.monotonic()
    assert ask(caller, "late") == {"unavailable": "rpc_target did not answer within 0.5 s",
                                   "timed_out": True}
    assert time.monotonic() - started < TIMEOUT + 1
    eventlet.sleep(TIMEOUT)  # the request's TTL has passed
    start(Target)
    assert ask(caller, "again") == {"answer": "again"}
    wait_until(lambda: "again" in CARRIED_OUT)
    assert CARRIED_OUT == ["first", "again"]


def test_a_service_never_started_is_unavailable_at_once_or_after_the_deadline(start):
    confirmed = ask(start(Caller), "x")
    assert confirmed == {"unavailable": "rpc_target is not running", "timed_out": False}
    unconfirmed = ask(start(UnconfirmedCaller), "x")
    assert unconfirmed == {"unavailable": "rpc_target did not answer within 0.5 s",
                           "timed_out": True}
    assert CARRIED_OUT == []
