"""Input and output schemas of the volunteers service; the gateway validates with the
same ones and publishes them in OpenAPI. Unknown fields are rejected.

Datetimes without an offset are taken as the community's local time (Asia/Shanghai)."""
import re
from datetime import timedelta

from marshmallow import (RAISE, Schema, ValidationError, fields, validate, validates,
                         validates_schema)

from common import pii

SKILL_FORMAT = validate.Regexp(r"^[a-z0-9_\u4e00-\u9fff-]{1,32}$",
                               error="a skill is a tag of 1-32 lowercase letters, digits, "
                                     "Chinese characters, - or _")
GENDERS = ("female", "male", "other")
VOLUNTEER_STATUSES = ("active", "inactive", "suspended")
HOURS_STATUSES = ("pending", "approved", "rejected")
MAX_SHIFT = timedelta(hours=24)
MAX_AVAILABILITY_WINDOW = timedelta(days=31)
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")

Skill = lambda **kw: fields.String(validate=SKILL_FORMAT, **kw)  # noqa: E731
Skills = lambda **kw: fields.List(Skill(), validate=validate.Length(max=30), **kw)  # noqa: E731


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _check_phone(value):
    if not pii.is_phone(value):
        raise ValidationError("not a mainland mobile number (11 digits, 1[3-9]…)")


def _check_id_number(value):
    if not pii.is_id_number(value):
        raise ValidationError("not a resident ID number (17 digits and a digit or X)")


class AvailabilitySlot(_Strict):
    weekday = fields.Integer(required=True, validate=validate.Range(1, 7),
                             metadata={"description": "ISO weekday, Monday=1"})
    start = fields.String(required=True, metadata={"example": "09:00"})
    end = fields.String(required=True, metadata={"example": "12:00"})

    @validates_schema
    def _times(self, data, **_):
        errors = {}
        for key in ("start", "end"):
            if key in data and not _HHMM.match(data[key]):
                errors[key] = ["a local time HH:MM"]
        if not errors and data["start"] >= data["end"]:
            errors["end"] = ["must be after start"]
        if errors:
            raise ValidationError(errors)


class VolunteerCreate(_Strict):
    name = fields.String(required=True, validate=validate.Length(1, 50))
    phone = fields.String(required=True)
    id_number = fields.String(load_default=None)
    gender = fields.String(load_default=None, validate=validate.OneOf(GENDERS))
    birth_year = fields.Integer(load_default=None, validate=validate.Range(1900, 2030))
    compound = fields.String(load_default=None, validate=validate.Length(1, 64))
    skills = Skills(load_default=list)
    talent = fields.Boolean(load_default=False, metadata={"description": "能人骨干"})
    availability = fields.List(fields.Nested(AvailabilitySlot), load_default=list,
                               validate=validate.Length(max=28))

    @validates("phone")
    def _phone(self, value, **_):
        _check_phone(value)

    @validates("id_number")
    def _id_number(self, value, **_):
        if value is not None:
            _check_id_number(value)


class VolunteerUpdate(_Strict):
    name = fields.String(validate=validate.Length(1, 50))
    phone = fields.String()
    id_number = fields.String(allow_none=True)
    gender = fields.String(allow_none=True, validate=validate.OneOf(GENDERS))
    birth_year = fields.Integer(allow_none=True, validate=validate.Range(1900, 2030))
    compound = fields.String(allow_none=True, validate=validate.Length(1, 64))
    skills = Skills()
    talent = fields.Boolean()
    availability = fields.List(fields.Nested(AvailabilitySlot),
                               validate=validate.Length(max=28))
    status = fields.String(validate=validate.OneOf(VOLUNTEER_STATUSES))

    @validates("phone")
    def _phone(self, value, **_):
        _check_phone(value)

    @validates("id_number")
    def _id_number(self, value, **_):
        if value is not None:
            _check_id_number(value)

    @validates_schema
    def _not_empty(self, data, **_):
        if not data:
            raise ValidationError("nothing to change", "_schema")


class Volunteer(Schema):
    id = fields.Integer()
    number = fields.String()
    name = fields.String()
    phone = fields.String(metadata={"description": "masked unless revealed"})
    id_number = fields.String(allow_none=True, metadata={"description": "masked unless revealed"})
    gender = fields.String(allow_none=True)
    birth_year = fields.Integer(allow_none=True)
    compound = fields.String(allow_none=True)
    skills = fields.List(fields.String())
    talent = fields.Boolean()
    availability = fields.List(fields.Dict())
    status = fields.String()
    team_ids = fields.List(fields.Integer())
    created_at = fields.DateTime()


class AvailableVolunteer(Schema):
    id = fields.Integer()
    number = fields.String()
    name = fields.String(metadata={"description": "masked (张**)"})
    compound = fields.String(allow_none=True)
    skills = fields.List(fields.String())
    matching_skills = fields.List(fields.String())
    talent = fields.Boolean()


class TeamCreate(_Strict):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    description = fields.String(load_default=None, validate=validate.Length(max=500))
    leader_id = fields.Integer(required=True, validate=validate.Range(min=1))
    member_ids = fields.List(fields.Integer(validate=validate.Range(min=1)), load_default=list,
                             validate=validate.Length(max=500))


class TeamMemberOut(Schema):
    id = fields.Integer()
    number = fields.String()


class Team(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    leader_id = fields.Integer()
    leader_number = fields.String()
    members = fields.List(fields.Nested(TeamMemberOut))
    created_at = fields.DateTime()


class ShiftCreate(_Strict):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    skills = Skills(load_default=list)
    places = fields.Integer(required=True, validate=validate.Range(0, 1000))
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)
    event_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    location = fields.String(load_default=None, validate=validate.Length(1, 128))

    @validates_schema
    def _window(self, data, **_):
        if "start" in data and "end" in data:
            if data["end"] <= data["start"]:
                raise ValidationError({"end": ["must be after start"]})
            if data["end"] - data["start"] > MAX_SHIFT:
                raise ValidationError({"end": ["a shift lasts at most 24 hours"]})


class Shift(Schema):
    id = fields.Integer()
    name = fields.String()
    event_id = fields.Integer(allow_none=True)
    role_id = fields.Integer(allow_none=True)
    skills = fields.List(fields.String())
    places = fields.Integer()
    start = fields.DateTime()
    end = fields.DateTime()
    location = fields.String(allow_none=True)
    status = fields.String()
    confirmed = fields.Integer()
    waitlisted = fields.Integer()


class SignupCreate(_Strict):
    volunteer_id = fields.Integer(required=True, validate=validate.Range(min=1))


class CheckTime(_Strict):
    at = fields.DateTime(load_default=None,
                         metadata={"description": "when it happened (default: now)"})


class Signup(Schema):
    id = fields.Integer()
    shift_id = fields.Integer()
    volunteer_id = fields.Integer()
    status = fields.String()
    waitlist_position = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    promoted_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    checked_in_at = fields.DateTime(allow_none=True)
    checked_out_at = fields.DateTime(allow_none=True)
    auto_closed = fields.Boolean()
    hours_entry_id = fields.Integer(allow_none=True)
    promoted_signup_id = fields.Integer(allow_none=True)


class HoursCreate(_Strict):
    """A manual entry (with its reason), or a correction of an earlier entry."""
    volunteer_id = fields.Integer(required=True, validate=validate.Range(min=1))
    minutes = fields.Integer(required=True, validate=validate.Range(0, 24 * 60))
    service_date = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(2, 500))
    description = fields.String(load_default=None, validate=validate.Length(1, 128))
    shift_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    corrects_entry_id = fields.Integer(load_default=None, validate=validate.Range(min=1))

    @validates("reason")
    def _reason(self, value, **_):
        if not value.strip():
            raise ValidationError("a manual entry needs a reason")


class HoursDecision(_Strict):
    reason = fields.String(load_default=None, validate=validate.Length(1, 500))


class HoursRejection(_Strict):
    reason = fields.String(required=True, validate=validate.Length(2, 500))


class HoursEntry(Schema):
    id = fields.Integer()
    volunteer_id = fields.Integer()
    signup_id = fields.Integer(allow_none=True)
    shift_id = fields.Integer(allow_none=True)
    event_id = fields.Integer(allow_none=True)
    minutes = fields.Integer()
    service_date = fields.Date()
    started_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    source = fields.String()
    description = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    corrects_entry_id = fields.Integer(allow_none=True)
    flagged = fields.Boolean()
    flag_reason = fields.String(allow_none=True)
    status = fields.String()
    recorded_by = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


class CertificateCreate(_Strict):
    period_from = fields.Date(required=True)
    period_to = fields.Date(required=True)

    @validates_schema
    def _period(self, data, **_):
        if "period_from" in data and "period_to" in data and \
                data["period_to"] < data["period_from"]:
            raise ValidationError({"period_to": ["must not be before period_from"]})


class CertificateService(Schema):
    entry_id = fields.Integer()
    date = fields.Date()
    description = fields.String()
    minutes = fields.Integer()


class Certificate(Schema):
    number = fields.String()
    volunteer_id = fields.Integer()
    volunteer_number = fields.String()
    period_from = fields.Date()
    period_to = fields.Date()
    approved_minutes = fields.Integer()
    approved_hours = fields.Float()
    services = fields.List(fields.Nested(CertificateService))
    issuer = fields.String()
    issued_on = fields.Date()
    verification_code = fields.String()
    pdf_url = fields.String()


class CertificateVerification(Schema):
    number = fields.String()
    valid = fields.Boolean()
    volunteer_number = fields.String()
    period_from = fields.Date()
    period_to = fields.Date()
    approved_hours = fields.Float()
    issuer = fields.String()
    issued_on = fields.Date()
