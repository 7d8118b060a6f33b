"""Facts published by the volunteers service. Ids, codes, counts, times: never a
volunteer's name, phone or ID number."""
from marshmallow import Schema, fields, validate

from common.contracts import event_type
from common.contracts._fields import Count, Id


@event_type("volunteer_registered", "volunteers", "A volunteer joined the registry.")
class VolunteerRegistered(Schema):
    volunteer_id = Id(required=True)
    volunteer_number = fields.String(required=True)
    compound = fields.String(allow_none=True, load_default=None)
    skills = fields.List(fields.String(), required=True)
    talent = fields.Boolean(required=True)
    registered_at = fields.DateTime(required=True)


@event_type("volunteer_updated", "volunteers", "A volunteer's profile or status changed.")
class VolunteerUpdated(Schema):
    volunteer_id = Id(required=True)
    changed_fields = fields.List(fields.String(), required=True)
    status = fields.String(required=True)
    compound = fields.String(allow_none=True, load_default=None)
    skills = fields.List(fields.String(), required=True)
    talent = fields.Boolean(required=True)


@event_type("shift_opened", "volunteers", "A shift (a role at an event, or standalone) opened.")
class ShiftOpened(Schema):
    shift_id = Id(required=True)
    event_id = Id(allow_none=True, load_default=None)
    role_id = Id(allow_none=True, load_default=None)
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)
    places = Count(required=True)
    skills = fields.List(fields.String(), required=True)


@event_type("shift_signed_up", "volunteers", "A volunteer signed up: confirmed or waitlisted.")
class ShiftSignedUp(Schema):
    signup_id = Id(required=True)
    shift_id = Id(required=True)
    volunteer_id = Id(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["confirmed", "waitlisted"]))
    event_id = Id(allow_none=True, load_default=None)
    # When the shift starts: a sign-up counts in the shift's month, whenever typed in.
    shift_start = fields.DateTime(allow_none=True, load_default=None)


@event_type("shift_signup_cancelled", "volunteers", "A sign-up was cancelled.")
class ShiftSignupCancelled(Schema):
    signup_id = Id(required=True)
    shift_id = Id(required=True)
    volunteer_id = Id(required=True)
    was_status = fields.String(required=True)
    event_id = Id(allow_none=True, load_default=None)
    # When the shift starts: a sign-up counts in the shift's month, whenever typed in.
    shift_start = fields.DateTime(allow_none=True, load_default=None)


@event_type("waitlist_promoted", "volunteers", "The first waitlisted sign-up got a place.")
class WaitlistPromoted(Schema):
    signup_id = Id(required=True)
    shift_id = Id(required=True)
    volunteer_id = Id(required=True)
    event_id = Id(allow_none=True, load_default=None)
    # When the shift starts: a sign-up counts in the shift's month, whenever typed in.
    shift_start = fields.DateTime(allow_none=True, load_default=None)


@event_type("hours_recorded", "volunteers", "An hours entry was recorded, pending approval.")
class HoursRecorded(Schema):
    entry_id = Id(required=True)
    volunteer_id = Id(required=True)
    shift_id = Id(allow_none=True, load_default=None)
    event_id = Id(allow_none=True, load_default=None)
    minutes = Count(required=True)
    source = fields.String(required=True, validate=validate.OneOf(
        ["check_out", "manual", "auto_closed", "correction"]))
    corrects_entry_id = Id(allow_none=True, load_default=None)
    service_date = fields.Date(required=True)
    flagged = fields.Boolean(required=True)


@event_type("hours_approved", "volunteers", "An hours entry was approved.")
class HoursApproved(Schema):
    entry_id = Id(required=True)
    volunteer_id = Id(required=True)
    minutes = Count(required=True)
    # What this approval changes in the volunteer's approved total: the entry's minutes,
    # or for an approved correction the difference from the entry it corrects.
    counted_minutes = fields.Integer(required=True)
    corrects_entry_id = Id(allow_none=True, load_default=None)
    event_id = Id(allow_none=True, load_default=None)
    service_date = fields.Date(required=True)


@event_type("hours_rejected", "volunteers", "An hours entry was rejected (it never counts).")
class HoursRejected(Schema):
    entry_id = Id(required=True)
    volunteer_id = Id(required=True)
    minutes = Count(required=True)
    # The day of the service the entry claimed: the rejection counts in its month.
    service_date = fields.Date(allow_none=True, load_default=None)


@event_type("certificate_issued", "volunteers", "A volunteer-service certificate was issued.")
class CertificateIssued(Schema):
    certificate_number = fields.String(required=True)
    volunteer_id = Id(required=True)
    period_from = fields.Date(required=True)
    period_to = fields.Date(required=True)
    approved_minutes = Count(required=True)
    issued_at = fields.DateTime(required=True)
    # On a reissue: the number of the superseded certificate this one replaces (a
    # correction of a certificate already issued, not one more certificate).
    replaces = fields.String(allow_none=True, load_default=None)


@event_type("certificate_superseded", "volunteers",
            "An approval changed the approved hours the ledger counts in a certificate's "
            "period: the certificate no longer stands, until reissued.", consumers=())
class CertificateSuperseded(Schema):
    certificate_number = fields.String(required=True)
    volunteer_id = Id(required=True)
    period_from = fields.Date(required=True)
    period_to = fields.Date(required=True)
    # What the certificate states, and what the ledger counts for its period now.
    approved_minutes = Count(required=True)
    current_minutes = Count(required=True)
    entry_id = Id(required=True)  # the approved entry that changed the period's figure
    superseded_at = fields.DateTime(required=True)


@event_type("shift_cancelled", "volunteers",
            "A shift was cancelled (its event was cancelled); its open sign-ups were "
            "cancelled too, each with its own shift_signup_cancelled.", consumers=())
class ShiftCancelled(Schema):
    shift_id = Id(required=True)
    event_id = Id(allow_none=True, load_default=None)
    role_id = Id(allow_none=True, load_default=None)
    reason = fields.String(required=True)
    signups_cancelled = Count(required=True)


@event_type("application_submitted", "volunteers",
            "A resident applied to volunteer from the public form (pending).", consumers=())
class ApplicationSubmitted(Schema):
    application_id = Id(required=True)
    compound = fields.String(allow_none=True, load_default=None)
    skills = fields.List(fields.String(), required=True)
    submitted_at = fields.DateTime(required=True)


@event_type("application_approved", "volunteers",
            "Staff approved an application: the volunteer was registered "
            "(its own volunteer_registered follows).", consumers=())
class ApplicationApproved(Schema):
    application_id = Id(required=True)
    volunteer_id = Id(required=True)
    decided_at = fields.DateTime(required=True)


@event_type("application_declined", "volunteers",
            "Staff declined an application (the reason stays in the service).",
            consumers=())
class ApplicationDeclined(Schema):
    application_id = Id(required=True)
    decided_at = fields.DateTime(required=True)
