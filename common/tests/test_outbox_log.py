"""A service's event log as a rebuild or an operator reads it (no broker): facts appended
in the caller's transaction, read back oldest first from a position, in pages of a bounded
size, and the number still waiting to be published."""
import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from common import outbox
from common.testing import LocalStore
from services.volunteers.models import metadata

TABLE = metadata.tables["outbox"]
PAYLOAD = {"volunteer_number": "V000001", "compound": "gangwu_xiaoqu", "skills": [],
           "talent": False, "registered_at": "2026-11-28T09:30:00Z"}


@pytest.fixture
def store(make_db_uri):
    local = LocalStore(metadata, "volunteers", make_db_uri("outbox_log_unit", "sqlite"))
    yield local
    local.dispose()


def append(store, n):
    envs = []
    with store.session() as session:
        for i in range(1, n + 1):
            envs.append(outbox.record(session, "volunteers", "hetong", "volunteer_registered",
                                      dict(PAYLOAD, volunteer_id=i)))
        session.commit()
    return envs


def test_a_fact_is_kept_whole_with_its_id_and_utc_time_in_the_callers_transaction(
        store, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        before = datetime.now(timezone.utc)
        with store.session() as session:
            env = outbox.record(session, "volunteers", "hetong", "volunteer_registered",
                                dict(PAYLOAD, volunteer_id=7))
            session.rollback()  # the caller's transaction is undone: so is the fact
        assert store.count(TABLE) == 0
        [env] = append(store, 1)
        after = datetime.now(timezone.utc)
    finally:
        monkeypatch.undo()
        time.tzset()
    with store.session() as session:
        row = session.execute(select(TABLE)).one()
    assert row.event_id == env["event_id"] and row.event_type == "volunteer_registered"
    assert json.loads(row.envelope) == env
    assert env["source"] == "volunteers" and env["community_id"] == "hetong"
    assert env["payload"]["volunteer_id"] == 1
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(
        tzinfo=timezone.utc)
    assert before - timedelta(seconds=1) <= created <= after + timedelta(seconds=1)
    assert row.sent_at is None


def test_the_log_is_read_oldest_first_from_a_position(store):
    envs = append(store, 5)
    with store.session() as session:
        whole = outbox.read_event_log(session, TABLE)
        assert [e["event_id"] for e in whole["events"]] == [e["event_id"] for e in envs]
        seqs = [e["seq"] for e in whole["events"]]
        assert seqs == sorted(seqs) and whole["last"] == seqs[-1]
        rest = outbox.read_event_log(session, TABLE, after=seqs[1])
        assert [e["seq"] for e in rest["events"]] == seqs[2:]
        page = outbox.read_event_log(session, TABLE, after=seqs[0], limit=2)
        assert [e["seq"] for e in page["events"]] == seqs[1:3] and page["last"] == seqs[2]
        # Past the end: no events, and the position stays where the reader is.
        end = outbox.read_event_log(session, TABLE, after=seqs[-1])
        assert end == {"events": [], "last": seqs[-1]}
        assert outbox.read_event_log(session, TABLE, after="3")["last"] == seqs[-1]


def test_a_page_holds_at_least_one_and_at_most_five_thousand_facts(store):
    append(store, 3)
    with store.session() as session:
        assert len(outbox.read_event_log(session, TABLE, limit=0)["events"]) == 1
        assert len(outbox.read_event_log(session, TABLE, limit=-5)["events"]) == 1
        assert len(outbox.read_event_log(session, TABLE, limit="2")["events"]) == 2
        assert len(outbox.read_event_log(session, TABLE, limit=10**9)["events"]) == 3


def test_only_facts_not_yet_published_are_pending(store):
    assert append(store, 3)
    with store.session() as session:
        assert outbox.pending_count(session, TABLE) == 3
        first = session.execute(select(TABLE.c.seq).order_by(TABLE.c.seq)).scalars().first()
        session.execute(update(TABLE).where(TABLE.c.seq == first)
                        .values(sent_at=datetime.now(timezone.utc)))
        session.commit()
        assert outbox.pending_count(session, TABLE) == 2


def test_a_fact_keeps_the_time_it_happened_and_its_chinese_readable(store):
    happened = datetime(2026, 11, 28, 1, 30, tzinfo=timezone.utc)
    with store.session() as session:
        env = outbox.record(session, "volunteers", "hetong", "volunteer_registered",
                            dict(PAYLOAD, volunteer_id=1, skills=["修理"]), happened)
        session.commit()
    assert env["occurred_at"] == "2026-11-28T01:30:00Z"
    with store.session() as session:
        [stored] = outbox.read_event_log(session, TABLE)["events"]
        text = session.execute(select(TABLE.c.envelope)).scalar_one()
    assert stored["occurred_at"] == "2026-11-28T01:30:00Z"
    # Whoever reads the log's rows (psql, an export) reads 修理, not \\u escapes.
    assert "修理" in text


def _bulk(store, n):
    """n stored facts at once (the log's reader does not look inside them)."""
    env = json.dumps({"event_type": "volunteer_registered"})
    now = datetime.now(timezone.utc)
    with store.session() as session:
        session.execute(TABLE.insert(), [
            {"event_id": f"e{i}", "event_type": "volunteer_registered", "envelope": env,
             "created_at": now} for i in range(n)])
        session.commit()


def test_the_log_is_read_in_pages_of_five_hundred_unless_asked_and_never_over_five_thousand(
        store):
    _bulk(store, 5001)
    with store.session() as session:
        assert len(outbox.read_event_log(session, TABLE)["events"]) == 500
        assert len(outbox.read_event_log(session, TABLE, limit=10**9)["events"]) == 5000
        page = outbox.read_event_log(session, TABLE, after=5000)
        assert len(page["events"]) == 1 and page["last"] == 5001
