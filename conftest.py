# eventlet must patch the standard library before anything else is imported.
import eventlet

eventlet.monkey_patch()

import os  # noqa: E402

import pytest  # noqa: E402

pytest_plugins = ["tests.fixtures"]

_OWN_PACKAGES = ("tests", "services", "gateway", "common", "conftest")


def _shares_a_wide_fixture(item):
    """True when the test uses one of our fixtures that lives longer than a test (module or
    session scope): its module then runs whole in one shard, set up once."""
    for defs in item._fixtureinfo.name2fixturedefs.values():
        for fixturedef in defs:
            module = getattr(fixturedef.func, "__module__", "") or ""
            if fixturedef.scope != "function" and module.startswith(_OWN_PACKAGES):
                return True
    return False


# What a test costs, roughly, in units of a plain unit test: a headless browser or a
# broker of its own costs most, a stack of services started on the broker a few units.
_HEAVY_FOLDERS = ("tests/browser/", "tests/chaos/")
_STACK_FIXTURES = {"stack", "full_stack", "running", "rabbit_config", "pipeline",
                   "private_pipeline", "supervised", "container_factory"}


def _weight(item):
    if item.nodeid.startswith(_HEAVY_FOLDERS):
        return 20
    # A test on a stack of its own, or on one its file shares (the API fuzzing's 150 cases
    # each send requests through it).
    if _STACK_FIXTURES.intersection(item.fixturenames) or _shares_a_wide_fixture(item):
        return 4
    return 1


def pytest_collection_modifyitems(config, items):
    """``RONGHE_TEST_SHARD=k/n`` (set by ``python -m tests.shards``) keeps the k-th of n
    shares of the tests: each test goes to the share with the least work so far (by its
    rough weight), in collection order, so the slow tests of one file spread over the
    shares."""
    shard = os.environ.get("RONGHE_TEST_SHARD")
    if not shard:
        return
    index, count = (int(part) for part in shard.split("/"))
    loads = [0] * count
    share_of = {}
    # Files whose tests share a fixture go whole, largest first; then single tests.
    whole = {}
    for item in items:
        if _shares_a_wide_fixture(item):
            whole.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    for group in sorted(whole.values(), key=lambda g: sum(map(_weight, g)), reverse=True):
        share = loads.index(min(loads))
        loads[share] += sum(map(_weight, group))
        share_of.update((id(item), share) for item in group)
    for item in items:
        if id(item) not in share_of:
            share = share_of[id(item)] = loads.index(min(loads))
            loads[share] += _weight(item)
    keep = [item for item in items if share_of[id(item)] == index - 1]
    drop = [item for item in items if share_of[id(item)] != index - 1]
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item, settings):
    """A test that hangs fails alone (pytest.ini's ``timeout``), the run goes on.

    Under eventlet pytest-timeout believes it runs off the main thread and falls back to its
    "thread" method, which ends the whole process at the first hang. Here SIGALRM fails the
    test instead: raised directly when the test's greenlet is running, or thrown into it
    through the hub when the hub is the one waiting (as eventlet's own Timeout does)."""
    if settings.method != "signal":
        return None
    import signal

    import greenlet
    import pytest_timeout
    from eventlet.hubs import get_hub

    test_greenlet = greenlet.getcurrent()

    def fail_the_test():
        pytest_timeout.timeout_sigalrm(item, settings)

    def handler(signum, frame):
        __tracebackhide__ = True
        if greenlet.getcurrent() is test_greenlet:
            fail_the_test()
        else:
            get_hub().schedule_call_global(0, _throw_failure, test_greenlet, item, settings)

    def cancel():
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)

    item.cancel_timeout = cancel
    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, settings.timeout)
    return True


def _throw_failure(test_greenlet, item, settings):
    try:
        pytest.fail(f"Timeout (>{settings.timeout:.1f}s) from pytest-timeout.")
    except BaseException as failure:  # pytest's Failed is a BaseException
        test_greenlet.throw(failure)
