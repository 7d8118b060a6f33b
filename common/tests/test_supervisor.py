"""The supervisor's restart delays (``make run``): growing while a process keeps failing,
back to the first after it ran healthy for a minute. A clock of the test's own, no sleeps."""
from common.cli import RestartBackoff


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


def crash_after(backoff, clock, process, ran_seconds):
    backoff.started(process)
    clock.advance(ran_seconds)
    return backoff.exited(process)


def test_delays_grow_while_a_process_keeps_crashing_and_stop_at_30_s():
    clock = Clock()
    backoff = RestartBackoff(clock)
    delays = [crash_after(backoff, clock, "volunteers", 1) for _ in range(7)]
    assert delays == [2, 4, 8, 16, 30, 30, 30]


def test_a_crash_after_a_healthy_minute_waits_the_first_delay_again():
    clock = Clock()
    backoff = RestartBackoff(clock)
    for _ in range(6):
        crash_after(backoff, clock, "volunteers", 1)
    assert crash_after(backoff, clock, "volunteers", 60) == 2
    assert crash_after(backoff, clock, "volunteers", 5) == 4


def test_a_crash_days_after_the_last_one_is_not_punished_for_it():
    clock = Clock()
    backoff = RestartBackoff(clock)
    for _ in range(5):
        crash_after(backoff, clock, "events", 0.5)
    assert crash_after(backoff, clock, "events", 3 * 86400) == 2


def test_a_process_just_short_of_a_minute_still_counts_as_failing():
    clock = Clock()
    backoff = RestartBackoff(clock)
    assert crash_after(backoff, clock, "reports", 59.9) == 2
    assert crash_after(backoff, clock, "reports", 59.9) == 4


def test_each_process_has_its_own_series():
    clock = Clock()
    backoff = RestartBackoff(clock)
    for _ in range(4):
        crash_after(backoff, clock, "volunteers", 1)
    assert crash_after(backoff, clock, "gateway", 1) == 2
    assert crash_after(backoff, clock, "volunteers", 1) == 30
