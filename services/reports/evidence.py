"""Evidence attachments counted (佐证材料): how many photos and files the events service
holds for the events and joint meetings of a period, in all, by kind (image, document),
by owner (event, meeting) and per event — what the evaluation's dossier counts, read
from the projection of ``attachment_added`` / ``attachment_removed`` (so a rebuild keeps
it). A period is a month, a quarter or a year of the owners' service (an event's start).
"""
from marshmallow import RAISE, Schema, fields

from services.reports import domain
from services.reports.schemas import PERIOD

NAME = "attachments"


class AttachmentCountQuery(Schema):
    class Meta:
        unknown = RAISE

    period = fields.String(required=True, validate=PERIOD)


class EventAttachmentCount(Schema):
    event_id = fields.Integer(required=True)
    attachments = fields.Integer(required=True)


class AttachmentCounts(Schema):
    period = fields.String(required=True)
    total = fields.Integer(required=True)
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    by_owner_kind = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    events = fields.List(fields.Nested(EventAttachmentCount), required=True, metadata={
        "description": "events and joint meetings with at least one attachment, by id"})


def _counts(session, generation, start, end, dimension):
    sums = domain.raw_sums(session, generation, start, end, dimension, {NAME})
    return {key: int(values.get(NAME, 0)) for key, values in sums.items()
            if int(values.get(NAME, 0))}


def attachment_counts(session, period):
    start, end, _, _ = domain.parse_period(period)
    generation = domain.active_generation(session)
    per_event = _counts(session, generation, start, end, "event")
    return {
        "period": period,
        "total": int(domain.totals(session, generation, start, end, {NAME}).get(NAME, 0)),
        "by_kind": _counts(session, generation, start, end, "kind"),
        "by_owner_kind": _counts(session, generation, start, end, "owner_kind"),
        "events": [{"event_id": int(key), "attachments": count}
                   for key, count in sorted(per_event.items(), key=lambda kv: int(kv[0]))],
    }
