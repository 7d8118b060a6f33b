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
    # True for sample (demonstration) data (services/resources/sample.py): in no figure.
    sample = fields.Boolean(load_default=False)
    # Its status when registered (active, inactive, archived): 五社 coverage counts the
    # partners in cooperation.
    status = fields.String(load_default="active")


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
    # True for sample (demonstration) data (services/resources/sample.py): in no figure.
    sample = fields.Boolean(load_default=False)


@event_type("resource_updated", "resources", "A resource changed (fields, status, what is left).")
class ResourceUpdated(Schema):
    resource_id = Id(required=True)
    changed_fields = fields.List(fields.String(), required=True)
    status = fields.String(required=True)
    quantity_left = Count(allow_none=True, load_default=None)
    value_yuan = fields.Float(required=True, validate=validate.Range(min=0))
    # True when the resource is sample data: the change counts in no figure.
    sample = fields.Boolean(load_default=False)


@event_type("venue_booked", "resources", "A room of the station was booked.")
class VenueBooked(Schema):
    booking_id = Id(required=True)
    venue_id = Id(required=True)
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)
    minutes = Count(required=True)
    event_id = Id(allow_none=True, load_default=None)
    # The recurring booking (venue_series_booked) this is an occurrence of, else None.
    series_id = Id(allow_none=True, load_default=None)


@event_type("venue_booking_cancelled", "resources", "A booking was cancelled; its slot is free.")
class VenueBookingCancelled(Schema):
    booking_id = Id(required=True)
    venue_id = Id(required=True)
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)
    minutes = Count(required=True)
    event_id = Id(allow_none=True, load_default=None)
    # The recurring booking (venue_series_booked) this is an occurrence of, else None.
    series_id = Id(allow_none=True, load_default=None)


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
    # The need's first match that counts (a match of a sample resource never does).
    first_match = fields.Boolean(required=True)
    hours_to_match = fields.Float(required=True, validate=validate.Range(min=0))
    matched_at = fields.DateTime(required=True)
    # True when the resource matched is sample data: the match counts in no figure.
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


@event_type("partner_deleted", "resources",
            "A partner was deleted (nothing referred to it): the fields repeat its "
            "registration's, which the figures take back.")
class PartnerDeleted(PartnerRegistered):
    pass


@event_type("resource_deleted", "resources",
            "A resource was deleted (no match referred to it): the fields repeat its "
            "registration's, which the figures take back.")
class ResourceDeleted(ResourceRegistered):
    # When resource_registered occurred (its envelope's occurred_at).
    registered_at = fields.DateTime(required=True)


@event_type("partner_updated", "resources",
            "A partner's details or status changed (field names only, never contact values); "
            "reports keeps each partner's category and status for the 五社 coverage.")
class PartnerUpdated(Schema):
    partner_id = Id(required=True)
    changed_fields = fields.List(fields.String(), required=True)
    kind = fields.String(required=True)
    five_society = FiveSociety(required=True)
    compounds = fields.List(fields.String(), required=True)
    status = fields.String(required=True)
    sample = fields.Boolean(load_default=False)


# Facts nobody consumes yet: they are in the event log (read_event_log) for replay and
# future projections, and published to the exchange with no queue bound.

@event_type("venue_registered", "resources", "A room or hall of the station became bookable.",
            consumers=())
class VenueRegistered(Schema):
    venue_id = Id(required=True)
    wing = fields.String(required=True)
    kind = fields.String(required=True)
    capacity = Count(required=True)
    # Always false since the station's rooms stopped being loaded as sample data; kept
    # because fields are never removed.
    sample = fields.Boolean(load_default=False)


@event_type("venue_series_booked", "resources",
            "A recurring booking was written whole: its rule and how many occurrences, each "
            "also published as venue_booked (with its series_id).", consumers=())
class VenueSeriesBooked(Schema):
    series_id = Id(required=True)
    venue_id = Id(required=True)
    rrule = fields.String(required=True)
    first_start = fields.DateTime(required=True)
    last_start = fields.DateTime(required=True)
    occurrences = Count(required=True)
    minutes = Count(required=True)


@event_type("venue_series_cancelled", "resources",
            "Occurrences of a recurring booking were cancelled (the whole series, or from "
            "one occurrence on), each also published as venue_booking_cancelled.",
            consumers=())
class VenueSeriesCancelled(Schema):
    series_id = Id(required=True)
    venue_id = Id(required=True)
    # The first cancelled occurrence's start when cancelled from an occurrence on; None
    # for the whole series.
    from_start = fields.DateTime(allow_none=True, load_default=None)
    occurrences_cancelled = Count(required=True)
    status = fields.String(required=True)


@event_type("need_service_started", "resources",
            "A matched need went into service (matched → in_service).", consumers=())
class NeedServiceStarted(Schema):
    need_id = Id(required=True)
    category = NeedCategory(required=True)
    target_group = TargetGroup(required=True)
    started_at = fields.DateTime(required=True)


@event_type("sample_data_cleared", "resources",
            "An admin cleared the sample data: how many sample records went (each with its "
            "partner_deleted or resource_deleted), and the needs that were matched only to "
            "sample resources and are open again.", consumers=())
class SampleDataCleared(Schema):
    partners = Count(required=True)
    resources = Count(required=True)
    matches = Count(required=True)
    needs_reopened = fields.List(Id(), required=True)


# ---------------------------------------------------------------- case files (个案)
# Facts of case files carry ids, codes, counts and times only: never a name, phone, ID
# number, birth year, note, reason or outcome text. Reports counts cases opened, contacts
# and home visits, referrals and closures from them.

_RISK = validate.OneOf(["low", "medium", "high"])


@event_type("case_opened", "resources",
            "A case file (个案) was opened with consent (codes only, no personal data).",
            consumers=("reports",))
class CaseOpened(Schema):
    case_id = Id(required=True)
    category = NeedCategory(required=True)
    target_group = TargetGroup(required=True)
    risk = fields.String(required=True, validate=_RISK)
    # Whether the person was under 14 at opening (a guardian consented); no birth year.
    minor = fields.Boolean(required=True)
    compound = fields.String(allow_none=True, load_default=None)
    opened_at = fields.DateTime(required=True)


@event_type("case_assessed", "resources", "A case was assessed: its risk level and the "
            "need categories found.", consumers=())
class CaseAssessed(Schema):
    case_id = Id(required=True)
    risk = fields.String(required=True, validate=_RISK)
    categories = fields.List(NeedCategory(), required=True)
    assessed_at = fields.DateTime(required=True)


@event_type("case_contact_recorded", "resources",
            "A note, home visit or phone contact was recorded in a case (kind and time).",
            consumers=("reports",))
class CaseContactRecorded(Schema):
    case_id = Id(required=True)
    entry_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["note", "home_visit", "phone"]))
    event_id = Id(allow_none=True, load_default=None)
    occurred_at = fields.DateTime(required=True)


@event_type("case_referred", "resources", "A case was referred to a partner.",
            consumers=("reports",))
class CaseReferred(Schema):
    case_id = Id(required=True)
    referral_id = Id(required=True)
    partner_id = Id(required=True)
    referred_at = fields.DateTime(required=True)


@event_type("case_referral_answered", "resources",
            "A partner's answer to a referral (accepted, declined, completed).",
            consumers=("reports",))
class CaseReferralAnswered(Schema):
    case_id = Id(required=True)
    referral_id = Id(required=True)
    partner_id = Id(required=True)
    status = fields.String(required=True)
    answered_at = fields.DateTime(required=True)


@event_type("case_closed", "resources", "A case was closed with an outcome code.",
            consumers=("reports",))
class CaseClosed(Schema):
    case_id = Id(required=True)
    outcome = fields.String(required=True)
    category = NeedCategory(required=True)
    closed_at = fields.DateTime(required=True)


@event_type("case_person_erased", "resources",
            "A person's data was erased by destroying their data key (crypto-shredding); "
            "their cases stay counted by their codes.", consumers=())
class CasePersonErased(Schema):
    person_id = Id(required=True)
    persons_erased = Count(required=True)
    cases = Count(required=True)
    reason = fields.String(required=True)
    erased_at = fields.DateTime(required=True)


@event_type("case_persons_merged", "resources",
            "Two records of one person were merged: the person's cases now follow the "
            "surviving record (distinct people count once).", consumers=())
class CasePersonsMerged(Schema):
    person_id = Id(required=True)
    into_person_id = Id(required=True)
    cases_moved = Count(required=True)
    merged_at = fields.DateTime(required=True)
