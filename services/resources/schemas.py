"""Input and output schemas of the resources service; the gateway validates with the same
ones and publishes them in OpenAPI. Every input schema rejects unknown fields and names
the field at fault. The output schemas are what the service answers: the domain dumps its
records with them (instants in UTC with ``Z``, see ``common.times``)."""
import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from common import pii, schemas as common, times, vocab
from common.errors import ValidationFailed
from common.schemas import Day, Id, PageQuery, QueryId
from common.messages import msg
from services.resources import recurrence

PARTNER_KINDS = {
    "school": "学校", "enterprise": "企业", "merchant": "商户", "social_org": "社会组织",
    "government": "政府单位", "resident_group": "居民团体",
}
PARTNER_STATUSES = {"active": "合作中", "inactive": "已停止", "archived": "已归档"}
RESOURCE_STATUSES = {"active": "可用", "archived": "已归档"}
VENUE_WINGS = {"children": "儿童服务区", "elders": "长者服务区", "shared": "公共区域"}
VENUE_KINDS = {"room": "功能室", "hall": "活动厅"}
INTAKE_CLOCK_GRACE = timedelta(minutes=5)  # a need's reported_at may be this far ahead
URGENCIES = {"low": "低", "normal": "一般", "high": "较急", "urgent": "紧急"}
NEED_STATUSES = {"open": "待匹配", "matched": "已匹配", "in_service": "服务中", "closed": "已结案"}
OUTCOMES = {
    "resolved": "已解决", "partially_resolved": "部分解决", "unresolved": "未解决",
    "referred": "已转介", "withdrawn": "居民撤回",
}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

TargetGroup = lambda **kw: fields.String(validate=validate.OneOf(list(vocab.TARGET_GROUPS)), **kw)  # noqa: E731,E501
NeedCategory = lambda **kw: fields.String(validate=validate.OneOf(list(vocab.NEED_CATEGORIES)),
                                          **kw)  # noqa: E731,E501
Code = lambda codes, **kw: fields.String(validate=validate.OneOf(list(codes)), **kw)  # noqa: E731


class Instant(common.Instant):
    """common.schemas.Instant; an instant that does not fit the years a datetime holds
    once moved to UTC (0001-01-01T00:00 local) is out of range, not a server error."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except OverflowError:
            raise ValidationError(
                msg("year_out_of_range", min_year=common.MIN_YEAR,
                    max_year=common.MAX_YEAR)) from None


def _bad_text(value):
    """Why a string cannot be stored (NUL or a lone surrogate), or None."""
    if isinstance(value, str):
        if "\x00" in value:
            return "text_has_nul"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "text_has_surrogates"
    elif isinstance(value, (list, tuple)):
        for item in value:
            reason = _bad_text(item)
            if reason:
                return reason
    elif isinstance(value, dict):
        for key, item in value.items():
            reason = _bad_text(key) or _bad_text(item)
            if reason:
                return reason
    return None


def _contact_phone(value):
    """A mainland mobile number or a landline (0592-1234567)."""
    normalised = pii.normalise(value)
    if not (pii.is_phone(normalised) or re.match(r"^0\d{9,11}$", normalised)):
        raise ValidationError("not_phone_number")


def _resident_phone(value):
    _contact_phone(value)


class Strict(common.Strict):
    """Unknown fields refused (common.schemas.Strict), and text a database cannot store
    (NUL, lone surrogates) refused naming its field."""

    @validates_schema
    def _storable_text(self, data, **_):
        for key, value in data.items():
            reason = _bad_text(value)
            if reason:
                raise ValidationError(reason, self.fields[key].data_key or key
                                      if key in self.fields else key)


class Partial(Strict):
    """PATCH bodies: every field optional, at least one given."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)

    @validates_schema
    def _not_empty(self, data, **_):
        if not data:
            raise ValidationError("give_a_field_to_change", "_schema")


class ListingQuery(Strict, PageQuery):
    """A paged listing's query: ``page`` and ``per_page`` (common.schemas.PageQuery)."""


# ---------------------------------------------------------------- answer fields

# Who reads the personal data of the answers being dumped: the crypto that decrypts it,
# and whether it is shown in full (an audited ?reveal=true) or masked.
_personal_data_reader = ContextVar("personal_data_reader")


@contextmanager
def personal_data(crypto, reveal=False):
    """Around the dump of answers holding personal data (``Personal`` fields)."""
    token = _personal_data_reader.set((crypto, reveal))
    try:
        yield
    finally:
        _personal_data_reader.reset(token)


class Personal(fields.String):
    """Personal data kept encrypted in the record's ``attribute``: decrypted, and masked
    with ``mask`` unless revealed (see ``personal_data``); no ``mask``: shown as is."""

    def __init__(self, attribute, mask=None, **kwargs):
        super().__init__(attribute=attribute, dump_only=True, **kwargs)
        self.mask = mask

    def _serialize(self, value, attr, obj, **kwargs):
        crypto, reveal = _personal_data_reader.get()
        plain = crypto.decrypt(value)
        return plain if reveal or self.mask is None else self.mask(plain)


def Label(vocabulary, code_attribute):  # noqa: N802 - a field, named like one
    """The label of the code in the record's ``code_attribute`` (None without a code)."""
    return fields.Function(
        lambda record: _label(vocabulary, getattr(record, code_attribute)),
        metadata={"type": "string"})


def _label(vocabulary, code):
    return vocabulary.get(code, code) if code else None


class Yuan(fields.Float):
    """An amount in yuan, to the fen; none is 0 unless the field allows none."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None if self.allow_none else 0.0
        return round(float(value), 2)


# ---------------------------------------------------------------- partners

class PartnerFields(Strict):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    kind = Code(PARTNER_KINDS, required=True)
    five_society = Code(vocab.FIVE_SOCIETY, required=True)
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))
    contact_name = fields.String(allow_none=True, validate=validate.Length(1, 50))
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=20))
    compounds = fields.List(vocab.Compound(), validate=validate.Length(max=30))
    status = Code(PARTNER_STATUSES)

    @validates("contact_phone")
    def _phone(self, value, **_):
        if value is not None:
            _contact_phone(value)


class PartnerCreate(PartnerFields):
    description = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=2000))
    contact_name = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Length(1, 50))
    contact_phone = fields.String(load_default=None, allow_none=True,
                                  validate=validate.Length(max=20))
    compounds = fields.List(vocab.Compound(), load_default=list,
                            validate=validate.Length(max=30))
    status = Code(PARTNER_STATUSES, load_default="active")


class PartnerUpdate(Partial, PartnerFields):
    pass


class PartnerQuery(ListingQuery):
    kind = Code(PARTNER_KINDS)
    five_society = Code(vocab.FIVE_SOCIETY)
    compound = vocab.Compound()
    status = Code(list(PARTNER_STATUSES) + ["all"], load_default="active")
    q = fields.String(validate=validate.Length(1, 50))


class Partner(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    kind_label = Label(PARTNER_KINDS, "kind")
    five_society = fields.String()
    five_society_label = Label(vocab.FIVE_SOCIETY, "five_society")
    description = fields.String(allow_none=True)
    contact_name = Personal("contact_name_enc", allow_none=True)
    contact_phone = Personal("contact_phone_enc", mask=pii.mask_phone, allow_none=True,
                             metadata={"description": "masked unless revealed"})
    compounds = fields.List(fields.String())
    status = fields.String()
    sample = fields.Boolean()
    resource_count = fields.Integer(metadata={"description": "active resources (not in "
                                                             "listings)"})
    created_at = Instant()
    updated_at = Instant()


# ---------------------------------------------------------------- resources

class ResourceFields(Strict):
    type = Code(vocab.RESOURCE_TYPES, required=True)
    title = fields.String(required=True, validate=validate.Length(1, 200))
    description = fields.String(allow_none=True, validate=validate.Length(max=4000))
    partner_id = Id(allow_none=True)
    target_groups = fields.List(TargetGroup(), required=True,
                                validate=validate.Length(1, len(vocab.TARGET_GROUPS)))
    need_categories = fields.List(NeedCategory(),
                                  validate=validate.Length(max=len(vocab.NEED_CATEGORIES)))
    quantity = fields.Integer(strict=True, allow_none=True,
                              validate=validate.Range(min=0, max=10_000_000))
    unit = fields.String(allow_none=True, validate=validate.Length(1, 16))
    available_from = Day(allow_none=True)
    available_to = Day(allow_none=True)
    availability_note = fields.String(allow_none=True, validate=validate.Length(max=200))
    value_yuan = fields.Float(allow_nan=False, validate=validate.Range(min=0, max=1e9))
    unit_value_yuan = fields.Float(allow_none=True, allow_nan=False,
                                   validate=validate.Range(min=0, max=1e9))
    status = Code(RESOURCE_STATUSES)

    @validates_schema
    def _window(self, data, **_):
        start, end = data.get("available_from"), data.get("available_to")
        if start and end and end < start:
            raise ValidationError("must_not_be_before_available_from", "available_to")


class ResourceCreate(ResourceFields):
    description = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=4000))
    partner_id = Id(load_default=None, allow_none=True)
    need_categories = fields.List(NeedCategory(), load_default=list,
                                  validate=validate.Length(max=len(vocab.NEED_CATEGORIES)))
    quantity = fields.Integer(strict=True, load_default=None, allow_none=True,
                              validate=validate.Range(min=0, max=10_000_000))
    unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 16))
    available_from = Day(load_default=None, allow_none=True)
    available_to = Day(load_default=None, allow_none=True)
    availability_note = fields.String(load_default=None, allow_none=True,
                                      validate=validate.Length(max=200))
    value_yuan = fields.Float(load_default=0.0, allow_nan=False,
                              validate=validate.Range(min=0, max=1e9))
    unit_value_yuan = fields.Float(load_default=None, allow_none=True, allow_nan=False,
                                   validate=validate.Range(min=0, max=1e9))
    status = Code(RESOURCE_STATUSES, load_default="active")


class ResourceUpdate(Partial, ResourceFields):
    pass


class ResourceQuery(ListingQuery):
    type = Code(vocab.RESOURCE_TYPES)
    target_group = TargetGroup()
    category = NeedCategory()
    partner_id = QueryId()
    compound = vocab.Compound(metadata={"description": "resources whose provider serves "
                                                       "this compound"})
    q = fields.String(validate=validate.Length(1, 50))
    status = Code(list(RESOURCE_STATUSES) + ["all"], load_default="active")


class ExportQuery(Strict):
    format = Code(("csv", "xlsx"), load_default="csv")


class Resource(Schema):
    id = fields.Integer()
    type = fields.String()
    type_label = Label(vocab.RESOURCE_TYPES, "type")
    title = fields.String()
    description = fields.String(allow_none=True)
    partner_id = fields.Integer(allow_none=True)
    partner_name = fields.String(attribute="partner.name", allow_none=True, dump_default=None)
    target_groups = fields.List(fields.String())
    need_categories = fields.List(fields.String())
    quantity = fields.Integer(allow_none=True)
    quantity_left = fields.Integer(allow_none=True)
    unit = fields.String(allow_none=True)
    available_from = Day(allow_none=True)
    available_to = Day(allow_none=True)
    availability_note = fields.String(allow_none=True)
    value_yuan = Yuan()
    unit_value_yuan = Yuan(allow_none=True)
    status = fields.String()
    sample = fields.Boolean()
    created_at = Instant()
    updated_at = Instant()


# ---------------------------------------------------------------- venues and bookings

class OpeningHours(fields.Dict):
    """{"mon": [["08:30", "12:00"], ["14:30", "21:00"]], ...}: a missing day is closed."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        errors = []
        for day, spans in value.items():
            if day not in DAYS:
                errors.append(msg("unknown_day", day=day, days=", ".join(DAYS)))
                continue
            if not isinstance(spans, list):
                errors.append(msg("day_spans_list", day=day))
                continue
            previous_close = None
            for span in spans:
                if (not isinstance(span, (list, tuple)) or len(span) != 2
                        or not all(isinstance(t, str) and _HHMM.match(t) for t in span)):
                    errors.append(msg("day_span_format", day=day))
                    break
                if span[0] >= span[1]:
                    errors.append(msg("day_span_closes_before_opens", day=day, opens=span[0],
                                      closes=span[1]))
                    break
                if previous_close and span[0] < previous_close:
                    errors.append(msg("day_spans_overlap", day=day))
                    break
                previous_close = span[1]
        if errors:
            raise ValidationError(errors)
        return {day: [list(span) for span in value[day]] for day in DAYS if day in value}


STATION_HOURS = {day: [["08:30", "12:00"], ["14:30", "21:00"]] for day in DAYS}


class VenueCreate(Strict):
    code = fields.String(load_default=None, allow_none=True,
                         validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,32}$"))
    name = fields.String(required=True, validate=validate.Length(1, 100))
    wing = Code(VENUE_WINGS, required=True)
    kind = Code(VENUE_KINDS, required=True)
    capacity = fields.Integer(strict=True, required=True, validate=validate.Range(1, 5000))
    equipment = fields.List(fields.String(validate=validate.Length(1, 50)), load_default=list,
                            validate=validate.Length(max=50))
    opening_hours = OpeningHours(load_default=lambda: dict(STATION_HOURS))
    description = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=2000))
    status = Code(("active", "inactive"), load_default="active")


class VenueUpdate(Partial):
    name = fields.String(validate=validate.Length(1, 100))
    wing = Code(VENUE_WINGS)
    kind = Code(VENUE_KINDS)
    capacity = fields.Integer(strict=True, validate=validate.Range(1, 5000))
    equipment = fields.List(fields.String(validate=validate.Length(1, 50)),
                            validate=validate.Length(max=50))
    opening_hours = OpeningHours()
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))
    status = Code(("active", "inactive"))


LOCAL_WITHOUT_OFFSET = "ISO 8601; without an offset it is the community's local time"


class SlotFields(Strict):
    start = Instant(required=True, metadata={"description": LOCAL_WITHOUT_OFFSET})
    end = Instant(required=True, metadata={"description": LOCAL_WITHOUT_OFFSET})

    @validates_schema
    def _order(self, data, **_):
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and end <= start:
            raise ValidationError("must_be_after_start", "end")


class BookingCreate(SlotFields):
    """Body of POST /venues/{id}/bookings."""
    purpose = fields.String(required=True, validate=validate.Length(1, 200))
    event_id = Id(load_default=None, allow_none=True)


class BookVenue(BookingCreate):
    """Argument of the ``book_venue`` RPC (the events service calls it)."""
    venue_id = Id(required=True)
    booked_by = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(max=64))


class SeriesRule(Strict):
    """A recurrence rule, structured (RFC 5545 RRULE's FREQ, BYDAY, INTERVAL, UNTIL or
    COUNT): daily or weekly, ending on a date or after a number of occurrences."""
    freq = Code(("daily", "weekly"), required=True, metadata={"description": "daily or weekly"})
    by_weekday = fields.List(Code(DAYS), load_default=list,
                             validate=validate.Length(max=7), metadata={
                                 "description": "weekdays of a weekly rule (mon … sun); "
                                                "none: the first occurrence's weekday"})
    interval = fields.Integer(strict=True, load_default=1, validate=validate.Range(
        1, recurrence.MAX_INTERVAL), metadata={"description": "every n days or weeks"})
    until = Day(load_default=None, allow_none=True,
                metadata={"description": "last local date (included)"})
    count = fields.Integer(strict=True, load_default=None, allow_none=True,
                           validate=validate.Range(
        1, recurrence.MAX_OCCURRENCES), metadata={"description": "number of occurrences"})

    @validates_schema
    def _bounded(self, data, **_):
        if (data.get("until") is None) == (data.get("count") is None):
            raise ValidationError("until_or_count",
                                  "until")
        if len(set(data.get("by_weekday") or [])) != len(data.get("by_weekday") or []):
            raise ValidationError("names_day_twice", "by_weekday")
        if data.get("by_weekday") and data.get("freq") == "daily":
            raise ValidationError("only_with_freq_weekly", "by_weekday")


class RRule(fields.String):
    """RFC 5545 RRULE text, read strictly (recurrence.parse_rrule) into the structured
    rule of ``SeriesRule``."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not 1 <= len(text) <= 200:
            raise ValidationError("rrule_length")
        try:
            return recurrence.parse_rrule(text)
        except ValidationFailed as exc:
            raise ValidationError(exc.details["rrule"]) from None


class SeriesCreate(SlotFields):
    """Body of POST /venues/{id}/booking-series (and its preview): the first occurrence's
    slot (``start``, ``end``: its wall-clock times are kept for every occurrence) and the
    rule, structured (``rule``) or as RRULE text (``rrule``), exactly one of them."""
    purpose = fields.String(required=True, validate=validate.Length(1, 200))
    rule = fields.Nested(SeriesRule, load_default=None, allow_none=True)
    rrule = RRule(load_default=None, allow_none=True, metadata={
        "description": "RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270630 "
                       "(DAILY or WEEKLY; UNTIL or COUNT)"})
    exdates = fields.List(Day(), load_default=list, validate=validate.Length(max=100),
                          metadata={"description": "local dates skipped (EXDATE)"})

    @validates_schema
    def _one_rule(self, data, **_):
        if (data.get("rule") is None) == (data.get("rrule") is None):
            raise ValidationError("rule_or_rrule", "rule")


class BookSeries(SeriesCreate):
    """Argument of the ``book_venue_series`` and ``preview_venue_series`` RPCs."""
    venue_id = Id(required=True)
    booked_by = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(max=64))


class SeriesCancelQuery(Strict):
    from_booking_id = QueryId(metadata={
        "description": "cancel this occurrence and the later ones; none: the whole series"})


class VenueQuery(Strict):
    wing = Code(VENUE_WINGS)
    kind = Code(VENUE_KINDS)
    min_capacity = fields.Integer(validate=validate.Range(1, 100_000))
    free_from = Instant(metadata={"description": "with free_to: only rooms free and open for "
                                                 "the whole slot; " + LOCAL_WITHOUT_OFFSET})
    free_to = Instant(metadata={"description": LOCAL_WITHOUT_OFFSET})
    status = Code(("active", "inactive", "all"), load_default="active")

    @validates_schema
    def _slot(self, data, **_):
        start, end = data.get("free_from"), data.get("free_to")
        if (start is None) != (end is None):
            raise ValidationError("free_from_and_to_together",
                                  "free_to" if start is not None else "free_from")
        if start is not None and end is not None and end <= start:
            raise ValidationError("must_be_after_free_from", "free_to")


class BookingQuery(Strict):
    """Bookings of one venue that overlap [from, to). Not paged: a window holds at most
    a few hundred bookings (default: the next 31 days, at most 366)."""

    # "from" is a keyword: the field is from_, loaded as "from" like the parameter.
    from_ = Instant(date_ok=True, data_key="from", attribute="from", metadata={
        "description": "a date (its local day's start) or " + LOCAL_WITHOUT_OFFSET})
    to = Instant(date_ok=True, upper_bound=True, metadata={
        "description": "a date (that local day included) or " + LOCAL_WITHOUT_OFFSET})
    include_cancelled = fields.Boolean(load_default=False)

    @validates_schema
    def _range(self, data, **_):
        start, end = data.get("from"), data.get("to")
        if start is not None and end is not None and end <= start:
            raise ValidationError("must_be_after_from", "to")


class Venue(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    wing = fields.String()
    wing_label = Label(VENUE_WINGS, "wing")
    kind = fields.String()
    kind_label = Label(VENUE_KINDS, "kind")
    capacity = fields.Integer()
    equipment = fields.List(fields.String())
    opening_hours = fields.Dict()
    description = fields.String(allow_none=True)
    status = fields.String()


class Booking(Schema):
    id = fields.Integer()
    venue_id = fields.Integer()
    venue_name = fields.String(metadata={"description": "added from the venue"})
    start = Instant(attribute="start_at")
    end = Instant(attribute="end_at")
    minutes = fields.Integer()
    purpose = fields.String()
    event_id = fields.Integer(allow_none=True)
    series_id = fields.Integer(allow_none=True, metadata={
        "description": "the recurring booking this is an occurrence of"})
    status = fields.String()
    created_at = Instant()
    cancelled_at = Instant(allow_none=True)


class SeriesConflict(Schema):
    """Why one occurrence cannot be booked: another booking (or the event holding it) it
    overlaps, the opening hours, or a wall-clock time that does not exist that day."""
    start = fields.String(metadata={"description": "the occurrence's start (UTC, Z)"})
    end = fields.String()
    kind = fields.String(metadata={"description": "booking, opening_hours or local_time"})
    reason = fields.String()
    booking_id = fields.Integer(allow_none=True)
    event_id = fields.Integer(allow_none=True)
    conflicting_booking = fields.Dict(allow_none=True)


class SeriesOccurrence(Schema):
    start = fields.String()
    end = fields.String()
    conflicts = fields.List(fields.Nested(SeriesConflict))


class SeriesPreview(Schema):
    venue_id = fields.Integer()
    venue_name = fields.String()
    purpose = fields.String()
    rrule = fields.String(metadata={"description": "the rule as normalised RRULE text"})
    count = fields.Integer(metadata={"description": "number of occurrences"})
    conflict_count = fields.Integer(metadata={"description": "occurrences with a conflict"})
    occurrences = fields.List(fields.Nested(SeriesOccurrence))
    conflicts = fields.List(fields.Nested(SeriesConflict),
                            metadata={"description": "every conflict, in order"})


class BookingSeries(Schema):
    id = fields.Integer()
    venue_id = fields.Integer()
    venue_name = fields.String(metadata={"description": "added from the venue"})
    purpose = fields.String()
    rrule = fields.String()
    timezone = fields.String(metadata={"description": "the zone whose wall clock the rule "
                                                      "runs on"})
    exdates = fields.List(fields.String())
    start = Instant(attribute="first_start_at", metadata={"description": "first occurrence"})
    end = Instant(attribute="first_end_at")
    last_start = Instant(attribute="last_start_at")
    occurrences = fields.Integer(metadata={"description": "occurrences written"})
    active_occurrences = fields.Integer(metadata={"description": "added: not cancelled"})
    status = fields.String(metadata={"description": "active, or cancelled once every "
                                                    "occurrence is"})
    booked_by = fields.String(allow_none=True)
    created_at = Instant()
    cancelled_at = Instant(allow_none=True)
    bookings = fields.List(fields.Nested(Booking), metadata={"description": "added: its "
                                                                           "occurrences"})


# ---------------------------------------------------------------- needs

class NeedCreate(Strict):
    target_group = TargetGroup(required=True)
    category = NeedCategory(required=True)
    urgency = Code(URGENCIES, load_default="normal")
    compound = vocab.Compound(load_default=None, allow_none=True)
    description = fields.String(required=True, validate=validate.Length(1, 2000))
    resident_name = fields.String(load_default=None, allow_none=True,
                                  validate=validate.Length(1, 50))
    resident_phone = fields.String(load_default=None, allow_none=True,
                                   validate=validate.Length(max=20))
    reported_at = Instant(load_default=None, allow_none=True, metadata={
        "description": "when the need was taken in (staff entering a paper intake form "
                       "afterwards): the need counts in that month; not in the future; "
                       "default: now. " + LOCAL_WITHOUT_OFFSET})

    @validates("resident_phone")
    def _phone(self, value, **_):
        if value is not None:
            _resident_phone(value)

    @validates("reported_at")
    def _taken_already(self, value, **_):
        # A few minutes' grace for the clock of the browser that sent "now".
        if value is not None and value > times.now() + INTAKE_CLOCK_GRACE:
            raise ValidationError(msg("in_future_at_most_now", now=times.iso(times.now())))


class NeedQuery(ListingQuery):
    status = Code(NEED_STATUSES)
    target_group = TargetGroup()
    category = NeedCategory()
    urgency = Code(URGENCIES)
    compound = vocab.Compound()


class MatchCreate(Strict):
    resource_id = Id(load_default=None, allow_none=True)
    volunteer_id = Id(load_default=None, allow_none=True)
    quantity = fields.Integer(strict=True, load_default=1, validate=validate.Range(1, 100_000))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))

    @validates_schema
    def _something(self, data, **_):
        if data.get("resource_id") is None and data.get("volunteer_id") is None:
            raise ValidationError("resource_or_volunteer_required", "resource_id")


class NeedClose(Strict):
    outcome = Code(OUTCOMES, required=True)
    satisfaction = fields.Integer(strict=True, load_default=None, allow_none=True,
                                  validate=validate.Range(1, 5))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class SuggestionQuery(Strict):
    limit = fields.Integer(load_default=10, validate=validate.Range(1, 50))


class MatchOut(Schema):
    id = fields.Integer()
    need_id = fields.Integer()
    resource_id = fields.Integer(allow_none=True)
    resource_title = fields.String(allow_none=True,
                                   metadata={"description": "added from the resource"})
    volunteer_id = fields.Integer(allow_none=True)
    quantity = fields.Integer()
    value_yuan = Yuan()
    note = fields.String(allow_none=True)
    matched_by = fields.String(allow_none=True)
    created_at = Instant()
    sample = fields.Boolean(metadata={"description": "added: the resource is sample data, "
                                                     "so the match counts in no figure"})


MASKED = "masked unless revealed (?reveal=true, audited)"


class Need(Schema):
    id = fields.Integer()
    number = fields.String()
    target_group = fields.String()
    target_group_label = Label(vocab.TARGET_GROUPS, "target_group")
    category = fields.String()
    category_label = Label(vocab.NEED_CATEGORIES, "category")
    urgency = fields.String()
    compound = fields.String(allow_none=True)
    description = fields.String()
    resident_name = Personal("resident_name_enc", mask=pii.mask_name, allow_none=True,
                             metadata={"description": MASKED})
    resident_phone = Personal("resident_phone_enc", mask=pii.mask_phone, allow_none=True,
                              metadata={"description": MASKED})
    status = fields.String()
    status_label = Label(NEED_STATUSES, "status")
    outcome = fields.String(allow_none=True)
    outcome_note = fields.String(allow_none=True)
    satisfaction = fields.Integer(allow_none=True)
    created_at = Instant()
    matched_at = Instant(allow_none=True)
    in_service_at = Instant(allow_none=True)
    closed_at = Instant(allow_none=True)
    # Added by the domain from the need's matches, on a single need.
    matches = fields.List(fields.Nested(MatchOut))
    value_linked_yuan = Yuan()
    match = fields.Nested(MatchOut, metadata={"description": "the match just recorded"})
    open_needs_of_same_resident = fields.List(fields.Integer(), metadata={
        "description": "on intake: ids of this resident's needs not yet closed"})


class ResourceSuggestion(Schema):
    rank = fields.Integer()
    resource_id = fields.Integer()
    title = fields.String()
    type = fields.String()
    partner_name = fields.String(allow_none=True)
    score = fields.Integer()
    fit = fields.String(metadata={"description": "good | partial | weak"})
    reasons = fields.List(fields.String())
    quantity_left = fields.Integer(allow_none=True)
    unit_value_yuan = fields.Float()
    sample = fields.Boolean()


class VolunteerSuggestion(Schema):
    volunteer_id = fields.Integer()
    number = fields.String()
    skills = fields.List(fields.String())
    compound = fields.String(allow_none=True)
    matching_skills = fields.List(fields.String())
    talent = fields.Boolean()
    reasons = fields.List(fields.String())


class Suggestions(Schema):
    need_id = fields.Integer()
    need_number = fields.String()
    category = fields.String()
    target_group = fields.String()
    compound = fields.String(allow_none=True)
    status = fields.String()
    wanted_skills = fields.List(fields.String())
    resources = fields.List(fields.Nested(ResourceSuggestion))
    volunteers = fields.List(fields.Nested(VolunteerSuggestion))
    volunteers_unavailable = fields.Boolean(
        metadata={"description": "true when the volunteers service did not answer"})
