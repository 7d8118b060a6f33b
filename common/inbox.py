"""Inbox (delivery rule 2): a consumer records each ``event_id`` in the same transaction
as its effect and skips an id it has seen, so redelivery never double-counts.

One way to consume: ``consume(store, envelopes, apply, service_name)`` takes a batch (the
projections' batch entrypoint) and ``consume_once(store, envelope, apply, service_name)`` is
its one-event form (``@handle_event`` handlers). Both insert the inbox rows with
``INSERT ... ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL alike), apply only the first
deliveries, commit once, then count consumed and duplicate events.
"""
from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, String, Table, bindparam, text

from common import metrics

TABLE = "inbox"


def define_table(metadata):
    return Table(
        TABLE, metadata,
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(64), nullable=False),
        Column("source", String(32), nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False),
    )


# text() is compiled once and cached; the row count says whether the id was new.
_RECORD = text(
    f"INSERT INTO {TABLE} (event_id, event_type, source, received_at) "
    "VALUES (:event_id, :event_type, :source, :received_at) ON CONFLICT DO NOTHING"
).bindparams(bindparam("received_at", type_=DateTime(timezone=True)))


def record_deliveries(session, envelopes):
    """Insert an inbox row for each envelope; one flag each: True for a first delivery,
    False for an id already there (from an earlier transaction or earlier in the list)."""
    conn = session.connection()
    now = datetime.now(timezone.utc)
    return [conn.execute(_RECORD, {"event_id": env["event_id"],
                                   "event_type": env["event_type"],
                                   "source": env["source"], "received_at": now}).rowcount == 1
            for env in envelopes]


def consume(store, envelopes, apply, service_name):
    """Run ``apply(uow, fresh)`` on the envelopes delivered for the first time, in one
    transaction with their inbox rows (nothing is called when all are redeliveries).
    Returns one flag per envelope: True if applied, False if skipped as a duplicate."""
    with store.unit_of_work() as uow:
        first = record_deliveries(uow.session, envelopes)
        fresh = [env for env, new in zip(envelopes, first) if new]
        if fresh:
            apply(uow, fresh)
    for env, new in zip(envelopes, first):
        counter = metrics.EVENTS_CONSUMED if new else metrics.EVENTS_DUPLICATE
        counter.labels(service_name, env["event_type"]).inc()
    return first


def consume_once(store, envelope, apply, service_name):
    """Run ``apply(uow, envelope)`` once per event id, in one transaction with the inbox
    row. Returns True if applied, False if it was a duplicate."""
    return consume(store, [envelope], lambda uow, fresh: apply(uow, fresh[0]),
                   service_name)[0]
