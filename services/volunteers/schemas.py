"""Input, query and output schemas of the volunteers service, their one home: the gateway
validates requests with them and publishes them in OpenAPI; the service loads inputs and
list queries again with the same ones (defaults and bounds live here) and answers by
dumping the output schemas. Unknown fields are rejected.

Times follow the time rule (``common.times``): without an offset, the community's local
time; answers give instants in UTC with ``Z``."""
import re
from datetime import timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from common import pii, times, vocab
from common.schemas import Day, Id, Instant, PageQuery, QueryId, Strict
from common.messages import msg

GENDERS = ("female", "male", "other")
VOLUNTEER_STATUSES = ("active", "inactive", "suspended")
HOURS_STATUSES = ("pending", "approved", "rejected")
MAX_SHIFT = timedelta(hours=24)
MAX_AVAILABILITY_WINDOW = timedelta(days=31)
MAX_MINUTES_A_DAY = 24 * 60
CERTIFICATE_STATUSES = ("valid", "superseded")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")

# Compounds and skills: codes of the community's lists (config/communities/, GET /vocabularies).
Skill = vocab.Skill
Compound = vocab.Compound
Skills = lambda **kw: fields.List(Skill(), validate=validate.Length(max=30), **kw)  # noqa: E731


def _check_phone(value):
    if not pii.is_phone(value):
        raise ValidationError("not_mobile_number")


def _check_id_number(value):
    if not pii.is_id_number(value):
        raise ValidationError("not_resident_id")


class AvailabilitySlot(Strict):
    weekday = fields.Integer(required=True, validate=validate.Range(1, 7),
                             metadata={"description": "ISO weekday, Monday=1"})
    start = fields.String(required=True, metadata={"example": "09:00"})
    end = fields.String(required=True, metadata={"example": "12:00"})

    @validates_schema
    def _times(self, data, **_):
        errors = {}
        for key in ("start", "end"):
            if key in data and not _HHMM.match(data[key]):
                errors[key] = ["local_time_hhmm"]
        if not errors and data["start"] >= data["end"]:
            errors["end"] = ["must_be_after_start"]
        if errors:
            raise ValidationError(errors)


class VolunteerCreate(Strict):
    name = fields.String(required=True, validate=validate.Length(1, 50))
    phone = fields.String(required=True)
    id_number = fields.String(load_default=None)
    gender = fields.String(load_default=None, validate=validate.OneOf(GENDERS))
    birth_year = fields.Integer(load_default=None, validate=validate.Range(1900, 2030))
    compound = Compound(load_default=None, allow_none=True)
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


class VolunteerUpdate(Strict):
    name = fields.String(validate=validate.Length(1, 50))
    phone = fields.String()
    id_number = fields.String(allow_none=True)
    gender = fields.String(allow_none=True, validate=validate.OneOf(GENDERS))
    birth_year = fields.Integer(allow_none=True, validate=validate.Range(1900, 2030))
    compound = Compound(allow_none=True)
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
            raise ValidationError("nothing_to_change", "_schema")


class SkillList(fields.List):
    """``skills=first_aid,cooking`` (or the parameter repeated, or a list) → skill codes."""

    def __init__(self, **kwargs):
        super().__init__(Skill(), validate=validate.Length(max=30, error="at_most_30_skills"),
                         **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        items = value if isinstance(value, list) else [value]
        skills = [s.strip() for item in items for s in str(item).split(",") if s.strip()]
        return super()._deserialize(skills, attr, data, **kwargs)


def _check_window(data, longest, too_long):
    """``end`` after ``start``, and at most ``longest`` after it."""
    if "start" in data and "end" in data:
        if data["end"] <= data["start"]:
            raise ValidationError({"end": ["must_be_after_start"]})
        if data["end"] - data["start"] > longest:
            raise ValidationError({"end": [too_long]})


def _hours(minutes):
    """Hours as a certificate states them: one decimal."""
    return round(minutes / 60.0, 1)


def _approved_hours(certificate):
    return _hours(certificate.approved_minutes)


def _current_hours(certificate):
    return _hours(certificate.current_minutes)


# -- registry ---------------------------------------------------------------------------

class VolunteerQuery(PageQuery):
    skill = Skill()
    compound = Compound()
    talent = fields.Boolean()
    status = fields.String(validate=validate.OneOf(VOLUNTEER_STATUSES))
    q = fields.String(validate=validate.Length(1, 50),
                      metadata={"description": "a name (part), a phone or a number V…"})


class AvailableQuery(Strict):
    skills = SkillList(load_default=list)
    start = Instant(required=True)
    end = Instant(required=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))

    @validates_schema
    def _window(self, data, **_):
        _check_window(data, MAX_AVAILABILITY_WINDOW, "at_most_31_days_after_start")


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
    created_at = Instant()


class AvailableVolunteer(Schema):
    id = fields.Integer()
    number = fields.String()
    name = fields.String(metadata={"description": "masked (张**)"})
    compound = fields.String(allow_none=True)
    skills = fields.List(fields.String())
    matching_skills = fields.List(fields.String())
    talent = fields.Boolean()


class TeamCreate(Strict):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    description = fields.String(load_default=None, validate=validate.Length(max=500))
    leader_id = Id(required=True)
    member_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=500))


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
    created_at = Instant()


# -- shifts and sign-ups ------------------------------------------------------------------

class ShiftCreate(Strict):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    skills = Skills(load_default=list)
    places = fields.Integer(required=True, validate=validate.Range(0, 1000))
    start = Instant(required=True)
    end = Instant(required=True)
    event_id = Id(load_default=None)
    location = fields.String(load_default=None, validate=validate.Length(1, 128))

    @validates_schema
    def _window(self, data, **_):
        _check_window(data, MAX_SHIFT, "shift_at_most_24_hours")


class ShiftQuery(PageQuery):
    event_id = QueryId()
    status = fields.String(validate=validate.OneOf(["open", "cancelled"]))
    skill = Skill()
    # "from" is a keyword: loaded under its own name too, so the query travels over RPC
    # as the gateway received it.
    from_ = Instant(date_ok=True, data_key="from", attribute="from", metadata={
        "description": "shifts that end after this; a date alone: that local day's start"})
    to = Instant(date_ok=True, upper_bound=True, metadata={
        "description": "shifts that start before this; a date alone: that local day's end"})


class Shift(Schema):
    id = fields.Integer()
    name = fields.String()
    event_id = fields.Integer(allow_none=True)
    role_id = fields.Integer(allow_none=True)
    skills = fields.List(fields.String())
    places = fields.Integer()
    start = Instant()
    end = Instant()
    location = fields.String(allow_none=True)
    status = fields.String()
    confirmed = fields.Integer()
    waitlisted = fields.Integer()


class SignupCreate(Strict):
    volunteer_id = Id(required=True)


class SignupQuery(PageQuery):
    volunteer_id = QueryId()
    shift_id = QueryId()
    status = fields.String(validate=validate.OneOf(["confirmed", "waitlisted", "cancelled"]))


class CheckTime(Strict):
    at = Instant(load_default=None, metadata={"description": "when it happened (default: now)"})


# -- hours ledger ---------------------------------------------------------------------------

class HoursCreate(Strict):
    """A manual entry (with its reason), or a correction of an earlier entry: service
    done (not after the community's today), at most one day's length."""
    volunteer_id = Id(required=True)
    minutes = fields.Integer(required=True, validate=validate.Range(
        0, MAX_MINUTES_A_DAY, error=msg("minutes_in_a_day", max=MAX_MINUTES_A_DAY)))
    service_date = Day(required=True)
    reason = fields.String(required=True, validate=validate.Length(2, 500))
    description = fields.String(load_default=None, validate=validate.Length(1, 128))
    shift_id = Id(load_default=None)
    corrects_entry_id = Id(load_default=None)

    @validates("reason")
    def _reason(self, value, **_):
        if not value.strip():
            raise ValidationError("manual_entry_needs_reason")

    @validates("service_date")
    def _service_done(self, value, **_):
        today = times.local_today()
        if value > today:
            raise ValidationError(msg("in_future_at_most_today", today=today.isoformat()))


class HoursDecision(Strict):
    reason = fields.String(load_default=None, validate=validate.Length(1, 500))


class HoursRejection(Strict):
    reason = fields.String(required=True, validate=validate.Length(2, 500))


class HoursQuery(PageQuery):
    volunteer_id = QueryId()
    status = fields.String(validate=validate.OneOf(HOURS_STATUSES))
    flagged = fields.Boolean()


class HoursEntry(Schema):
    id = fields.Integer()
    volunteer_id = fields.Integer()
    signup_id = fields.Integer(allow_none=True)
    shift_id = fields.Integer(allow_none=True)
    event_id = fields.Integer(allow_none=True)
    minutes = fields.Integer()
    service_date = fields.Date()
    started_at = Instant(allow_none=True)
    ended_at = Instant(allow_none=True)
    source = fields.String()
    description = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    corrects_entry_id = fields.Integer(allow_none=True)
    flagged = fields.Boolean()
    flag_reason = fields.String(allow_none=True)
    status = fields.String()
    recorded_by = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = Instant(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    created_at = Instant()
    counted_minutes = fields.Integer(metadata={
        "description": "on approval only: what it changes in the volunteer's approved total"})


class Signup(Schema):
    id = fields.Integer()
    shift_id = fields.Integer()
    volunteer_id = fields.Integer()
    status = fields.String()
    waitlist_position = fields.Integer(allow_none=True)
    created_at = Instant()
    promoted_at = Instant(allow_none=True)
    cancelled_at = Instant(allow_none=True)
    checked_in_at = Instant(allow_none=True)
    checked_out_at = Instant(allow_none=True)
    auto_closed = fields.Boolean()
    hours_entry_id = fields.Integer(allow_none=True)
    promoted_signup_id = fields.Integer(allow_none=True, metadata={
        "description": "on cancellation only: the waitlisted sign-up given the place"})
    hours_entry = fields.Nested(HoursEntry, metadata={
        "description": "on check-out only: the hours entry recorded"})


# -- certificates ---------------------------------------------------------------------------

class CertificateCreate(Strict):
    period_from = Day(required=True)
    period_to = Day(required=True)

    @validates_schema
    def _period(self, data, **_):
        if "period_from" in data and "period_to" in data and \
                data["period_to"] < data["period_from"]:
            raise ValidationError({"period_to": ["must_not_be_before_period_from"]})


class CertificateService(Schema):
    entry_id = fields.Integer()
    # Kept in the certificate's snapshot as the text it was issued with.
    date = fields.String(metadata={"format": "date"})
    description = fields.String()
    minutes = fields.Integer()
    recorded_by = fields.String(allow_none=True, metadata={"description": "who recorded it"})
    decided_by = fields.String(allow_none=True, metadata={"description": "who approved it"})


class CertificateEvidence(CertificateService):
    """A service as the public verification shows it: no description (staff type it
    freely), no entry id."""
    class Meta:
        exclude = ("entry_id", "description")


class Certificate(Schema):
    number = fields.String()
    volunteer_id = fields.Integer()
    volunteer_number = fields.String()
    period_from = fields.Date()
    period_to = fields.Date()
    approved_minutes = fields.Integer()
    approved_hours = fields.Function(_approved_hours, metadata={"type": "number"})
    services = fields.List(fields.Nested(CertificateService))
    issuer = fields.String()
    issued_on = fields.Date()
    verification_code = fields.String()
    pdf_url = fields.Function(lambda cert: f"/api/v1/certificates/{cert.number}/pdf",
                              metadata={"type": "string"})
    status = fields.String(metadata={"enum": list(CERTIFICATE_STATUSES), "description":
                                     "superseded: an approval since changed the approved "
                                     "hours of its period; reissue it"})
    superseded_at = Instant(allow_none=True)
    superseded_reason = fields.String(allow_none=True)
    replaces = fields.String(allow_none=True, metadata={
        "description": "the number of the superseded certificate this one replaces"})
    replaced_by = fields.String(allow_none=True, metadata={
        "description": "the number of the certificate reissued in its place"})


class CertificateDocument(Certificate):
    """What the PDF prints (for the volunteer and staff: it names the volunteer)."""
    name = fields.String()
    id_number_masked = fields.String(allow_none=True)
    gender = fields.String(allow_none=True)
    current_minutes = fields.Integer(metadata={
        "description": "the approved minutes the ledger counts for the period now"})


class VerifyQuery(Strict):
    code = fields.String(required=True, validate=validate.Length(1, 32))


class CertificateVerification(Schema):
    """Public (404 unless the number and code are right); a superseded certificate is not
    valid, and says what the ledger counts now and what replaced it."""
    number = fields.String()
    valid = fields.Boolean()
    status = fields.String(metadata={"enum": list(CERTIFICATE_STATUSES)})
    volunteer_number = fields.String()
    name_masked = fields.String(metadata={"description": "the volunteer's name, all but "
                                                         "its first character masked"})
    period_from = fields.Date()
    period_to = fields.Date()
    approved_hours = fields.Function(_approved_hours, metadata={
        "type": "number", "description": "the hours the certificate states"})
    current_hours = fields.Function(_current_hours, metadata={
        "type": "number", "description": "superseded only: the approved hours the ledger "
                                         "counts for the period now"})
    superseded_at = Instant(allow_none=True)
    replaces = fields.String(allow_none=True)
    replaced_by = fields.String(allow_none=True)
    issuer = fields.String()
    issued_on = fields.Date()
    services = fields.List(fields.Nested(CertificateEvidence), metadata={
        "description": "the evidence: each service's date and minutes, who recorded it and "
                       "who approved it (usernames of staff)"})


# -- applications (志愿者申请) -------------------------------------------------------------

APPLICATION_STATUSES = ("pending", "approved", "declined")


class ApplicationCreate(Strict):
    """The public form. ``consent``: the applicant agreed to the privacy notice (个人信息
    保护告知); the application is refused without it."""
    name = fields.String(required=True, validate=validate.Length(1, 50))
    phone = fields.String(required=True)
    compound = Compound(load_default=None, allow_none=True)
    skills = Skills(load_default=list)
    availability = fields.List(fields.Nested(AvailabilitySlot), load_default=list,
                               validate=validate.Length(max=28))
    consent = fields.Boolean(required=True, validate=validate.Equal(
        True, error="privacy_consent_required"))

    @validates("phone")
    def _phone(self, value, **_):
        _check_phone(value)


class ApplicationQuery(PageQuery):
    status = fields.String(load_default="pending",
                           validate=validate.OneOf(APPLICATION_STATUSES))


class ApplicationDecline(Strict):
    reason = fields.String(required=True, validate=validate.Length(2, 255))

    @validates("reason")
    def _not_blank(self, value, **_):
        if len(value.strip()) < 2:
            raise ValidationError("at_least_two_characters")


class Application(Schema):
    id = fields.Integer()
    name = fields.String(metadata={"description": "masked (张**)"})
    phone = fields.String(metadata={"description": "masked (138****1234)"})
    compound = fields.String(allow_none=True)
    skills = fields.List(fields.String())
    availability = fields.List(fields.Dict())
    status = fields.String()
    volunteer_id = fields.Integer(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = Instant(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    created_at = Instant()


class ApplicationReceipt(Schema):
    """What the applicant sees: nothing of their own data sent back."""
    id = fields.Integer()
    status = fields.String()
    created_at = Instant()


class ApplicationApproval(Application):
    """An approval: the application and, from the gateway, the volunteer's login with its
    one-time initial password (shown in this answer only)."""
    volunteer_number = fields.String()
    username = fields.String(allow_none=True)
    initial_password = fields.String(allow_none=True, metadata={
        "description": "shown once: the volunteer changes it at first login"})


class OpenShiftQuery(PageQuery):
    volunteer_id = QueryId(metadata={"description": "whose skills and availability "
                                                    "(a volunteer: their own)"})
