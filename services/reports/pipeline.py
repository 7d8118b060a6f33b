"""The projection pipeline: how the facts delivered to reports become committed figures.

``ReportsService.handle_domain_events`` gets up to 200 messages at a time from
``common.bus.handle_event_batches`` and hands them to ``commit``, which applies the batch in
ONE transaction through the kernel inbox (``common.inbox.consume``): an inbox row per event
(a redelivery is skipped, counted as a duplicate), then the first deliveries applied to every
live generation (the served one and, during a rebuild, the one being built), their counter
increments summed and written once. The bus acks the messages only after that commit.

Failures are the bus's business, not this module's: a batch that raises is split by
``DomainEventBatches`` until the failing event is alone, and that one is retried and then
dead-lettered by itself while its batch mates commit; ``ServiceUnavailable`` (our database
is down) sends the whole batch back to the queue after one pause.
"""
from common import inbox, times
from services.reports import domain
from services.reports import metrics as rmetrics


def commit(store, envelopes, service_name):
    """Apply a batch of delivered facts once each, in one transaction. Returns one flag
    per envelope: True if applied, False if the inbox had already seen it."""
    occurred = [times.parse(env["occurred_at"]) for env in envelopes]
    token = rmetrics.applying(service_name, occurred)
    applied = ()
    try:
        applied = inbox.consume(store, envelopes,
                                lambda uow, fresh: domain.apply_live(uow.session, fresh),
                                service_name)
    finally:
        rmetrics.projected(service_name, token,
                           [at for at, new in zip(occurred, applied) if new])
    return applied
