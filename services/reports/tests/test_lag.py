"""The projection lag the alert RongheProjectionLag reads: the age of the oldest fact not
yet applied, so a quiet night reads 0 however long ago the last fact was, and a backlog
reads how long it has been waiting."""
from datetime import datetime, timedelta, timezone

from services.reports import metrics as rmetrics
from services.reports.metrics import Backlog

NIGHT = 6 * 3600.0


def test_a_quiet_community_has_no_lag_however_long_ago_its_last_fact():
    state = Backlog()
    state.end(state.begin([1000.0]), [1000.0])
    assert state.lag(waiting=0, now=1000.0 + NIGHT) == 0.0
    assert state.depth() == 0


def test_facts_waiting_in_the_queue_age_from_when_they_were_first_seen():
    state = Backlog()
    state.end(state.begin([1000.0]), [1000.0])
    start = 1000.0 + NIGHT
    # the first fact of the morning arrives: no lag counted for the quiet night
    assert state.lag(waiting=3, now=start) == 0.0
    # nobody applies it (reports stuck): the lag grows from then on
    assert state.lag(waiting=3, now=start + 300) == 300
    assert state.depth() == 3
    # applied: back to zero
    assert state.lag(waiting=0, now=start + 301) == 0.0


def test_under_steady_traffic_the_lag_follows_the_last_fact_applied():
    state = Backlog()
    now = 50_000.0
    for second in range(10):
        assert state.lag(waiting=5, now=now + second) <= 1.0
        state.end(state.begin([now + second]), [now + second])


def test_a_batch_being_applied_counts_with_the_age_of_its_oldest_fact():
    state = Backlog()
    token = state.begin([900.0, 950.0])
    assert state.lag(waiting=0, now=1000.0) == 100.0
    state.end(token, [900.0, 950.0])
    assert state.lag(waiting=0, now=1000.0) == 0.0


def test_the_broker_not_answering_keeps_what_was_known():
    state = Backlog()
    state.lag(waiting=2, now=100.0)
    assert state.lag(waiting=None, now=160.0) == 60.0


def test_the_district_exposes_when_each_community_last_reported():
    at = datetime(2026, 12, 3, 8, 0, tzinfo=timezone.utc)
    collector = rmetrics.CommunitiesReporting("reports", lambda: [
        ("hetong", at), ("jinshan", (at - timedelta(hours=5)).replace(tzinfo=None))])
    (family,) = collector.collect()
    assert family.name == "ronghe_district_last_summary_timestamp_seconds"
    got = {s.labels["community"]: s.value for s in family.samples}
    assert got == {"hetong": at.timestamp(), "jinshan": at.timestamp() - 5 * 3600}
