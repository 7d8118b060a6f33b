"""Inbox (delivery rule 2): a consumer records each ``event_id`` in the same transaction
as its effect and skips an id it has seen, so redelivery never double-counts."""
from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, String, Table, insert
from sqlalchemy.exc import IntegrityError

from common import metrics


def define_table(metadata):
    return Table(
        "inbox", metadata,
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(64), nullable=False),
        Column("source", String(32), nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False),
    )


def first_delivery(session, table, envelope):
    """Insert the event id; False if it was already there (a redelivery)."""
    try:
        with session.begin_nested():
            session.execute(insert(table).values(
                event_id=envelope["event_id"], event_type=envelope["event_type"],
                source=envelope["source"], received_at=datetime.now(timezone.utc)))
    except IntegrityError:
        return False
    return True


def consume_once(store, envelope, apply, service_name):
    """Run ``apply(uow, envelope)`` once per event id, in one transaction with the inbox
    row. Returns True if applied, False if it was a duplicate."""
    event_type = envelope["event_type"]
    with store.unit_of_work() as uow:
        if not first_delivery(uow.session, store.metadata.tables["inbox"], envelope):
            metrics.EVENTS_DUPLICATE.labels(service_name, event_type).inc()
            return False
        apply(uow, envelope)
    metrics.EVENTS_CONSUMED.labels(service_name, event_type).inc()
    return True


def consume_batch(store, envelopes, apply, service_name):
    """Apply a batch of facts in one transaction, skipping ids already in the inbox (and
    repeats within the batch). Returns the number applied."""
    from sqlalchemy import select

    table = store.metadata.tables["inbox"]
    ids = [env["event_id"] for env in envelopes]
    applied = 0
    with store.unit_of_work() as uow:
        seen = set(uow.session.execute(
            select(table.c.event_id).where(table.c.event_id.in_(ids))).scalars())
        fresh = []
        for env in envelopes:
            if env["event_id"] in seen:
                metrics.EVENTS_DUPLICATE.labels(service_name, env["event_type"]).inc()
                continue
            seen.add(env["event_id"])
            fresh.append(env)
        if fresh:
            now = datetime.now(timezone.utc)
            uow.session.execute(insert(table), [
                {"event_id": env["event_id"], "event_type": env["event_type"],
                 "source": env["source"], "received_at": now} for env in fresh])
        for env in fresh:
            apply(uow, env)
            applied += 1
    for env in fresh:
        metrics.EVENTS_CONSUMED.labels(service_name, env["event_type"]).inc()
    return applied
