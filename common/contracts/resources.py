"""Facts published by the resources service."""
from marshmallow import Schema, fields, validate

from common.contracts import event_type
from common.contracts._fields import (Count, FiveSociety, Id, NeedCategory, ResourceType,
                                      TargetGroup)


@event_type("partner_registered", "resources", "A partner organisation (合作单位) joined.")
class PartnerRegistered(Schema):
    partner_id = Id(required=True)
    kind = fields.String(required=True)
    five_society = FiveSociety(required=True)
    compounds = fields.List(fields.String(), required=True)
    registered_at = fields.DateTime(required=True)
    # True for the reference data loaded on a first start (services/resources/sample.py).
    sample = fields.Boolean(load_default=False)


@event_type("resource_registered", "resources", "A resource entered the library.")
class ResourceRegistered(Schema):
    resource_id = Id(required=True)
    partner_id = Id(allow_none=True, load_default=None)
    type = ResourceType(required=True)
    target_groups = fields.List(TargetGroup(), required=True)
    need_categories = fields.List(NeedCategory(), required=True)
    quantity = Count(allow_none=True, load_default=None)
    value_yuan = fields.Float(required=True, validate=validate.Range(min=0))
    status = fields.String(required=True)
    # True for the reference data loaded on a first start (services/resources/sample.py).
    sample = fields.Boolean(load_default=False)


@event_type("resource_updated", "resources", "A resource changed (fields, status, what is left).")
class ResourceUpdated(Schema):
    resource_id = Id(required=True)
    changed_fields = fields.List(fields.String(), required=True)
    status = fields.String(required=True)
    quantity_left = Count(allow_none=True, load_default=None)
    value_yuan = fields.Float(required=True, validate=validate.Range(min=0))
    sample = fields.Boolean(load_default=False)


@event_type("venue_booked", "resources", "A room of the station was booked.")
class VenueBooked(Schema):
    booking_id = Id(required=True)
    venue_id = Id(required=True)
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)
    minutes = Count(required=True)
    event_id = Id(allow_none=True, load_default=None)


@event_type("venue_booking_cancelled", "resources", "A booking was cancelled; its slot is free.")
class VenueBookingCancelled(Schema):
    booking_id = Id(required=True)
    venue_id = Id(required=True)
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)
    minutes = Count(required=True)
    event_id = Id(allow_none=True, load_default=None)


@event_type("need_registered", "resources", "A resident's need (需求) was taken in.")
class NeedRegistered(Schema):
    need_id = Id(required=True)
    target_group = TargetGroup(required=True)
    category = NeedCategory(required=True)
    urgency = fields.String(required=True, validate=validate.OneOf(["low", "normal", "high", "urgent"]))
    compound = fields.String(allow_none=True, load_default=None)
    registered_at = fields.DateTime(required=True)


@event_type("need_matched", "resources",
            "A need was matched (精准帮扶) to a resource and/or a volunteer.")
class NeedMatched(Schema):
    need_id = Id(required=True)
    match_id = Id(required=True)
    resource_id = Id(allow_none=True, load_default=None)
    volunteer_id = Id(allow_none=True, load_default=None)
    quantity = Count(required=True)
    # Resource value linked by this match (the funder counts it), in yuan.
    value_yuan = fields.Float(required=True, validate=validate.Range(min=0))
    category = NeedCategory(required=True)
    target_group = TargetGroup(required=True)
    first_match = fields.Boolean(required=True)
    hours_to_match = fields.Float(required=True, validate=validate.Range(min=0))
    matched_at = fields.DateTime(required=True)
    # True when the matched resource is sample data: no value is linked by it.
    sample = fields.Boolean(load_default=False)


@event_type("need_closed", "resources", "A need was closed with an outcome.")
class NeedClosed(Schema):
    need_id = Id(required=True)
    outcome = fields.String(required=True)
    satisfaction = fields.Integer(allow_none=True, load_default=None,
                                  validate=validate.Range(1, 5))
    category = NeedCategory(required=True)
    target_group = TargetGroup(required=True)
    closed_at = fields.DateTime(required=True)


# Facts nobody consumes yet: they are in the event log (read_event_log) for replay and
# future projections, and published to the exchange with no queue bound.

@event_type("partner_updated", "resources",
            "A partner's details or status changed (field names only, never contact values).",
            consumers=())
class PartnerUpdated(Schema):
    partner_id = Id(required=True)
    changed_fields = fields.List(fields.String(), required=True)
    kind = fields.String(required=True)
    five_society = FiveSociety(required=True)
    compounds = fields.List(fields.String(), required=True)
    status = fields.String(required=True)


@event_type("venue_registered", "resources", "A room or hall of the station became bookable.",
            consumers=())
class VenueRegistered(Schema):
    venue_id = Id(required=True)
    wing = fields.String(required=True)
    kind = fields.String(required=True)
    capacity = Count(required=True)
    sample = fields.Boolean(load_default=False)


@event_type("need_service_started", "resources",
            "A matched need went into service (matched → in_service).", consumers=())
class NeedServiceStarted(Schema):
    need_id = Id(required=True)
    category = NeedCategory(required=True)
    target_group = TargetGroup(required=True)
    started_at = fields.DateTime(required=True)
