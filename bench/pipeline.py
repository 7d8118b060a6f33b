"""Event pipeline: facts/s from the publishing service's commit to the reports projection
committed, beside a plain nameko EventDispatcher → event_handler loop that commits one
SQLite row per event (what nameko gives without our delivery rules).

    python -m bench.pipeline ceiling <amqp_uri> <n>      # prints JSON
    python -m bench.pipeline ours <n>                    # starts its own stack, prints JSON
"""
import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

from sqlalchemy import (Column, Float, Integer, MetaData, Table, create_engine, event,  # noqa: E402
                        func, insert, select)
from sqlalchemy.orm import Session  # noqa: E402

plain_metadata = MetaData()
plain_facts = Table("facts", plain_metadata, Column("n", Integer, primary_key=True),
                    Column("received_at", Float))


def ceiling(amqp_uri, total):
    from nameko.events import event_handler
    from nameko.runners import ServiceRunner
    from nameko.standalone.events import event_dispatcher

    db = tempfile.NamedTemporaryFile(suffix=".db", delete=False).name
    engine = create_engine(f"sqlite:///{db}")

    @event.listens_for(engine, "connect")
    def _wal(dbapi_conn, _record):
        # The same SQLite settings as our services use (WAL, synchronous=NORMAL): the
        # ceiling differs from us only in nameko's delivery, not in the disk.
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    plain_metadata.create_all(engine)

    class PlainProjector:
        name = "plain_projector"

        @event_handler("plain_source", "fact_happened")
        def handle_fact_happened(self, payload):
            with engine.begin() as conn:  # one commit per event
                conn.execute(insert(plain_facts).values(n=payload["n"], received_at=time.time()))

    runner = ServiceRunner({"AMQP_URI": amqp_uri, "max_workers": 10})
    runner.add_service(PlainProjector)
    runner.start()
    dispatch = event_dispatcher({"AMQP_URI": amqp_uri})
    started = time.time()
    for n in range(1, total + 1):
        dispatch("plain_source", "fact_happened", {"n": n})
    while True:
        with engine.connect() as conn:
            done = conn.execute(select(func.count()).select_from(plain_facts)).scalar_one()
        if done >= total:
            break
        eventlet.sleep(0.05)
    elapsed = time.time() - started
    runner.stop()
    print(json.dumps({"facts_per_s": total / elapsed, "facts": total}))


def _write_facts(engine, outbox_table, first, count):
    from common import outbox

    with Session(engine, info={"outbox_table": outbox_table}) as session:
        for n in range(first, first + count):
            outbox.record(session, "volunteers", "hetong", "volunteer_registered", {
                "volunteer_id": n, "volunteer_number": f"V{n:06d}", "compound": "fulong_huayuan",
                "skills": ["care"], "talent": False, "registered_at": "2026-11-28T09:30:00Z"})
        session.commit()


def _inbox_count(engine, table):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def ours(total):
    from bench.harness import RssSampler, Stack, Vhost, percentile
    from common.db import make_engine
    from services.reports.models import metadata as reports_metadata
    from services.volunteers.models import metadata as volunteers_metadata

    outbox_table = volunteers_metadata.tables["outbox"]
    inbox_table = reports_metadata.tables["inbox"]
    result = {}
    with Vhost() as vhost, Stack(vhost.amqp_uri, {"SAMPLE_DATA": "false"}) as stack:
        stack.start("volunteers", "reports")
        vol_engine = make_engine(stack.db_uri("volunteers"))
        # Polling must not take the write lock the reports service needs.
        rep_engine = make_engine(stack.db_uri("reports"), write_lock_at_begin=False)
        with RssSampler(stack) as rss:
            # Throughput: the service commits facts 100 at a time as fast as it can.
            started = time.time()
            for first in range(1, total + 1, 100):
                _write_facts(vol_engine, outbox_table, first, min(100, total - first + 1))
            while _inbox_count(rep_engine, inbox_table) < total:
                time.sleep(0.05)
            rate = total / (time.time() - started)
            # Lag at half that rate, for ten seconds, ten facts per commit.
            half = rate / 2
            n_lag = int(half * 10)
            first = total + 1
            t0 = time.time()
            for i in range(0, n_lag, 10):
                target = t0 + i / half
                delay = target - time.time()
                if delay > 0:
                    time.sleep(delay)
                _write_facts(vol_engine, outbox_table, first + i, 10)
            while _inbox_count(rep_engine, inbox_table) < total + n_lag:
                time.sleep(0.05)
        lags = _lags(vol_engine, rep_engine, outbox_table, inbox_table, total)
        result = {"facts_per_s": rate, "facts": total, "lag_rate_per_s": half,
                  "lag_p50_ms": 1000 * percentile(lags, 50),
                  "lag_p99_ms": 1000 * percentile(lags, 99),
                  "rss_mb": rss.peak}
    print(json.dumps(result))


def _lags(vol_engine, rep_engine, outbox_table, inbox_table, after_seq):
    with vol_engine.connect() as conn:
        created = dict(conn.execute(select(outbox_table.c.event_id, outbox_table.c.created_at)
                                    .where(outbox_table.c.seq > after_seq)).all())
    with rep_engine.connect() as conn:
        received = dict(conn.execute(select(inbox_table.c.event_id, inbox_table.c.received_at)).all())
    lags = []
    for event_id, at in created.items():
        if event_id in received:
            lags.append((_aware(received[event_id]) - _aware(at)).total_seconds())
    return lags


def _aware(value):
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


if __name__ == "__main__":
    from bench import procs

    procs.install()
    try:
        if sys.argv[1] == "ceiling":
            ceiling(sys.argv[2], int(sys.argv[3]))
        else:
            ours(int(sys.argv[2]))
    finally:
        procs.stop_all()
