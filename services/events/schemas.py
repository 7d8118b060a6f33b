"""Input and output schemas of the events service; the gateway validates with the same
ones and publishes them in OpenAPI. Unknown fields are rejected everywhere. Times follow
the one time rule (``common.times``): a time without an offset is the community's local
time, and answers give instants in UTC with ``Z``."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from common import pii, vocab
from common.schemas import MAX_ID, Day, Id, Instant, PageQuery, Strict
from common.messages import msg

MAX_EVENT_DAYS = 31
EVENT_STATUSES = ("draft", "published", "completed", "cancelled")
ACTION_STATUSES = ("open", "in_progress", "done", "cancelled")
IDEA_STATUSES = ("submitted", "adopted")
# 金点子 categories (codes travel, labels are for people).
IDEA_CATEGORIES = {
    "environment": "环境美化", "safety": "平安建设", "facilities": "设施改善",
    "culture": "文化活动", "elderly_care": "养老服务", "children": "儿童友好",
    "governance": "社区治理", "services": "便民服务", "other": "其他",
}

Plan = lambda **kw: fields.String(validate=validate.OneOf(list(vocab.PLANS)), **kw)  # noqa: E731
Kind = lambda **kw: fields.String(  # noqa: E731
    validate=validate.OneOf(list(vocab.EVENT_KINDS)), **kw)
TargetGroup = lambda **kw: fields.String(  # noqa: E731
    validate=validate.OneOf(list(vocab.TARGET_GROUPS)), **kw)
# Compounds, skills and the service menu's series: codes of the community's lists
# (config/communities/, GET /vocabularies).
Compound = vocab.Compound
Series = vocab.Series  # the service menu (服务菜单)


def _check_phone(value):
    if not pii.is_phone(value):
        raise ValidationError("not_mobile_number")


Phone = lambda **kw: fields.String(validate=_check_phone, **kw)  # noqa: E731


def _check_window(data, max_days=MAX_EVENT_DAYS):
    start, end = data.get("start"), data.get("end")
    if start is None or end is None:
        return
    if end <= start:
        raise ValidationError("must_be_after_start", "end")
    if (end - start).days >= max_days:
        raise ValidationError(msg("event_too_long", max_days=max_days), "end")


class MeetingAttendee(Strict):
    """A partner (``partner_id``: its name and five-society category come from the
    resources service) or a guest named in free text with a category."""
    partner_id = Id(load_default=None, allow_none=True, metadata={
        "description": "a partner of the resources service (not archived); its name and "
                       "five-society category are taken from it"})
    organisation = fields.String(load_default=None, validate=validate.Length(1, 100),
                                 metadata={"description": "required for a guest"})
    category = fields.String(load_default=None,
                             validate=validate.OneOf(list(vocab.FIVE_SOCIETY)),
                             metadata={"description": "required for a guest"})
    count = fields.Integer(load_default=1, validate=validate.Range(1, 1000))

    @validates_schema
    def _guest(self, data, **_):
        if data.get("partner_id") is None:
            missing = {f: ["required_for_guest"]
                       for f in ("organisation", "category") if not data.get(f)}
            if missing:
                raise ValidationError(missing)


# Joint meetings: people who came other than the partners listed.
HEADCOUNT = dict(validate=validate.Range(0, 10000))


class EventCreate(Strict):
    title = fields.String(required=True, validate=validate.Length(1, 100))
    plan = Plan(required=True)
    kind = Kind(required=True)
    target_groups = fields.List(TargetGroup(), required=True, validate=validate.Length(1, 8))
    compounds = fields.List(Compound(), load_default=list, validate=validate.Length(max=20))
    series = Series(load_default=None, allow_none=True)
    description = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=4000))
    start = Instant(required=True)
    end = Instant(required=True)
    capacity = fields.Integer(load_default=0, validate=validate.Range(0, 100000),
                              metadata={"description": "confirmed places; 0 = no limit"})
    venue_id = Id(load_default=None, allow_none=True,
                  metadata={"description": "a venue of the resources service, "
                                           "booked when the event is scheduled"})
    organiser = fields.String(load_default=None, validate=validate.Length(1, 64))
    agenda = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=8000))
    minutes = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=20000),
                            metadata={"description": "joint meetings: the minutes (a meeting "
                                                     "recorded after it was held)"})
    attendees = fields.List(fields.Nested(MeetingAttendee), load_default=list,
                            validate=validate.Length(max=200),
                            metadata={"description": "joint meetings: attendees by "
                                                     "five-society category"})
    residents = fields.Integer(load_default=0, **HEADCOUNT, metadata={
        "description": "joint meetings: residents who attended"})
    others = fields.Integer(load_default=0, **HEADCOUNT, metadata={
        "description": "joint meetings: other attendees (not partners, not residents)"})

    @validates_schema
    def _window(self, data, **_):
        _check_window(data)
        if data.get("kind") != "joint_meeting":
            for field in ("attendees", "residents", "others", "minutes"):
                if data.get(field):
                    raise ValidationError(msg("only_joint_meeting_field", field=field), field)


class EventUpdate(Strict):
    title = fields.String(validate=validate.Length(1, 100))
    description = fields.String(allow_none=True, validate=validate.Length(max=4000))
    target_groups = fields.List(TargetGroup(), validate=validate.Length(1, 8))
    compounds = fields.List(Compound(), validate=validate.Length(max=20))
    series = Series(allow_none=True)
    capacity = fields.Integer(validate=validate.Range(0, 100000))
    start = Instant()
    end = Instant()
    venue_id = Id(allow_none=True)
    agenda = fields.String(allow_none=True, validate=validate.Length(max=8000))
    minutes = fields.String(allow_none=True, validate=validate.Length(max=20000))
    attendees = fields.List(fields.Nested(MeetingAttendee), validate=validate.Length(max=200))
    residents = fields.Integer(**HEADCOUNT)
    others = fields.Integer(**HEADCOUNT)

    @validates_schema
    def _some(self, data, **_):
        if not data:
            raise ValidationError("give_a_field_to_change", "_schema")
        _check_window(data)


class EventCancel(Strict):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class EventComplete(Strict):
    volunteers = fields.Integer(load_default=None, allow_none=True,
                                validate=validate.Range(0, 10000),
                                metadata={"description": "volunteers who served; default: "
                                                         "the places of the event's roles"})


class EventRoleCreate(Strict):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    skills = fields.List(vocab.Skill(), load_default=list, validate=validate.Length(max=20))
    places = fields.Integer(required=True, validate=validate.Range(1, 1000))
    start = Instant(load_default=None, metadata={"description": "default: the event's start"})
    end = Instant(load_default=None, metadata={"description": "default: the event's end"})

    @validates_schema
    def _window(self, data, **_):
        _check_window(data, max_days=2)


class EventRegistrationCreate(Strict):
    name = fields.String(required=True, validate=validate.Length(1, 50))
    phone = Phone(required=True)
    target_group = TargetGroup(required=True)
    compound = Compound(load_default=None, allow_none=True)


class EventRegistrationCancel(Strict):
    code = fields.String(load_default=None, validate=validate.Length(1, 64),
                         metadata={"description": "the cancel_code given at registration "
                                                  "(not needed by staff)"})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class EventAttendanceCreate(Strict):
    registration_id = Id()
    walk_in = fields.Boolean(load_default=False)
    name = fields.String(validate=validate.Length(1, 50))
    phone = Phone()
    target_group = TargetGroup()
    compound = Compound(allow_none=True)
    attended_at = Instant(load_default=None, metadata={
        "description": "when the person came (a paper sign-in sheet entered afterwards); "
                       "within the event's start and end; default: now while the event "
                       "runs, else the event's start"})

    @validates_schema
    def _who(self, data, **_):
        if data.get("walk_in"):
            if data.get("registration_id"):
                raise ValidationError("walk_in_has_no_registration", "registration_id")
            if not data.get("target_group"):
                raise ValidationError("required_for_walk_in", "target_group")
        elif not data.get("registration_id") and not data.get("phone"):
            raise ValidationError("registration_or_phone_required",
                                  "registration_id")


class DoorCheckIn(Strict):
    """A resident at the door (the door QR code): the phone they registered with, or a
    walk-in's name, phone and group."""
    phone = Phone(required=True, metadata={"description": "the phone used to register"})
    walk_in = fields.Boolean(load_default=False)
    name = fields.String(validate=validate.Length(1, 50),
                         metadata={"description": "a walk-in's name"})
    target_group = TargetGroup(metadata={"description": "a walk-in's group"})
    compound = Compound(allow_none=True)

    @validates_schema
    def _walk_in(self, data, **_):
        if data.get("walk_in"):
            if not data.get("name"):
                raise ValidationError("walk_in_name_required", "name")
            if not data.get("target_group"):
                raise ValidationError("walk_in_group_required", "target_group")


class EventFeedbackCreate(Strict):
    score = fields.Integer(required=True, validate=validate.Range(1, 5))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    phone = Phone(metadata={"description": "the attendee's phone"})
    attendance_id = Id(metadata={"description": "staff entering a paper form"})

    @validates_schema
    def _who(self, data, **_):
        if not data.get("phone") and not data.get("attendance_id"):
            raise ValidationError("attendee_phone_required", "phone")


class IdeaCreate(Strict):
    title = fields.String(required=True, validate=validate.Length(1, 100))
    description = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=2000))
    category = fields.String(required=True, validate=validate.OneOf(list(IDEA_CATEGORIES)))
    compound = Compound(load_default=None, allow_none=True)
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 50))
    phone = Phone(required=True)


class IdeaVoteCreate(Strict):
    phone = Phone(required=True)


class ActionItemCreate(Strict):
    title = fields.String(required=True, validate=validate.Length(1, 200))
    owner = fields.String(required=True, validate=validate.Length(1, 64))
    due_date = Day(required=True)


class MeetingDecisionCreate(Strict):
    summary = fields.String(required=True, validate=validate.Length(1, 4000))
    idea_id = Id(load_default=None, allow_none=True,
                 metadata={"description": "an idea (金点子) this decision adopts"})
    action_items = fields.List(fields.Nested(ActionItemCreate), load_default=list,
                               validate=validate.Length(max=50))


class IdeaAdopt(Strict):
    event_id = Id(required=True, metadata={"description": "the joint meeting that adopts it"})
    summary = fields.String(required=True, validate=validate.Length(1, 4000))
    action_items = fields.List(fields.Nested(ActionItemCreate), load_default=list,
                               validate=validate.Length(max=50))


class ActionItemUpdate(Strict):
    status = fields.String(validate=validate.OneOf(list(ACTION_STATUSES)))
    owner = fields.String(validate=validate.Length(1, 64))
    due_date = Day()
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def _some(self, data, **_):
        if not data:
            raise ValidationError("give_a_field_to_change", "_schema")


# -- consultations (意见征集) ----------------------------------------------------------------

QUESTION_KINDS = {"single": "单选", "multiple": "多选", "rating": "1–5 分评分", "text": "简答"}
CHOICE_KINDS = ("single", "multiple")
CONSULTATION_STATUSES = ("upcoming", "open", "closed")
MAX_QUESTIONS = 30
MAX_CONSULTATION_DAYS = 366


class ConsultationQuestion(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(list(QUESTION_KINDS)),
                         metadata={"description": "single | multiple | rating (1–5) | text"})
    text = fields.String(required=True, validate=validate.Length(1, 200))
    options = fields.List(fields.String(validate=validate.Length(1, 100)), load_default=list,
                          validate=validate.Length(max=12),
                          metadata={"description": "the choices (2–12) of a single or "
                                                   "multiple choice question; none otherwise"})
    required = fields.Boolean(load_default=True)

    @validates_schema
    def _options_fit_the_kind(self, data, **_):
        options = data.get("options") or []
        if data.get("kind") in CHOICE_KINDS:
            if len(options) < 2:
                raise ValidationError("choice_options_count", "options")
            if len(set(options)) != len(options):
                raise ValidationError("options_repeat", "options")
        elif options:
            raise ValidationError("options_only_for_choice", "options")


class ConsultationCreate(Strict):
    title = fields.String(required=True, validate=validate.Length(1, 100))
    description = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=2000))
    questions = fields.List(fields.Nested(ConsultationQuestion), required=True,
                            validate=validate.Length(1, MAX_QUESTIONS))
    opens_on = Day(required=True, metadata={"description": "first local day it is open"})
    closes_on = Day(required=True, metadata={"description": "last local day it is open"})
    compounds = fields.List(Compound(), load_default=list, validate=validate.Length(max=50),
                            metadata={"description": "target compounds (none: the whole "
                                                     "community)"})

    @validates_schema
    def _window(self, data, **_):
        opens, closes = data.get("opens_on"), data.get("closes_on")
        if opens and closes:
            if closes < opens:
                raise ValidationError("must_not_be_before_opens_on", "closes_on")
            if (closes - opens).days >= MAX_CONSULTATION_DAYS:
                raise ValidationError(msg("consultation_too_long", max_days=MAX_CONSULTATION_DAYS),
                                      "closes_on")


class ConsultationAnswerCreate(Strict):
    phone = Phone(required=True, metadata={"description": "kept only as a keyed hash: one "
                                                          "answer per phone"})
    answers = fields.List(fields.Raw(allow_none=True), required=True,
                          validate=validate.Length(max=MAX_QUESTIONS),
                          metadata={"description": "one per question, in order: single → "
                                    "the option's index; multiple → a list of indexes; "
                                    "rating → 1–5; text → a string (up to 500); null "
                                    "leaves an optional question blank"})


class ConsultationExportQuery(Strict):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx"]))


# -- listings: what the gateway validates and the service loads again ---------------------

class EventQuery(PageQuery):
    plan = Plan()
    kind = Kind()
    series = Series()
    target_group = TargetGroup()
    status = fields.String(validate=validate.OneOf(list(EVENT_STATUSES)),
                           metadata={"description": "staff only; the public sees published"})
    # "from" is a keyword in Python: loaded under its own name all the same, so the query
    # goes over RPC as the client wrote it.
    from_ = Instant(date_ok=True, data_key="from", attribute="from",
                    metadata={"description": "events ending at or after (a date: its start)"})
    to = Instant(date_ok=True, upper_bound=True,
                 metadata={"description": "events starting before (a date: through that day)"})


class RegistrationQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(["confirmed", "waitlisted", "cancelled"]))


class SignInSheetQuery(Strict):
    format = fields.String(load_default="pdf", validate=validate.OneOf(["xlsx", "pdf"]))


class IdeaQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(list(IDEA_STATUSES)))
    category = fields.String(validate=validate.OneOf(list(IDEA_CATEGORIES)))
    compound = Compound()
    sort = fields.String(load_default="recent", validate=validate.OneOf(["recent", "votes"]))


class ActionItemQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(list(ACTION_STATUSES) + ["overdue"]),
                           metadata={"description": "overdue: open or in progress and due "
                                                    "before today"})
    event_id = fields.Integer(validate=validate.Range(1, MAX_ID))


class ConsultationQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(list(CONSULTATION_STATUSES)),
                           metadata={"description": "by local today: upcoming, open or "
                                                    "closed (the public sees open ones)"})


# -- answers: the service dumps its records with these -------------------------------------

class Answer(Schema):
    """An answer read from a record's attributes: an ORM object, a plain row, or a view that
    adds what the record itself does not hold (counts, masked contacts, a position)."""

    def get_attribute(self, obj, attr, default):
        return getattr(obj, attr, default)


class EventRole(Answer):
    id = fields.Integer()
    event_id = fields.Integer()
    name = fields.String()
    skills = fields.List(fields.String())
    places = fields.Integer()
    start = Instant()
    end = Instant()


class ActionItem(Answer):
    id = fields.Integer()
    decision_id = fields.Integer()
    event_id = fields.Integer(metadata={"description": "the meeting that decided it"})
    title = fields.String()
    owner = fields.String()
    due_date = fields.Date()
    status = fields.String()
    overdue = fields.Boolean(metadata={"description": "open or in progress and due before "
                                                      "today"})
    note = fields.String(allow_none=True)
    updated_at = Instant()


class MeetingDecision(Answer):
    id = fields.Integer()
    event_id = fields.Integer()
    summary = fields.String()
    idea_id = fields.Integer(allow_none=True)
    action_items = fields.List(fields.Dict(), metadata={"description": "ActionItem objects"})
    created_at = Instant()


# The events listing's fields (GET /events): what the public sees of each event, and what
# staff see beside it. The gateway's read model keeps both (gateway/read_models.py).
LISTED_FIELDS = ("id", "title", "plan", "kind", "kind_label", "target_groups", "compounds",
                 "series", "series_label", "description", "start", "end", "capacity",
                 "venue_id", "status", "places_left")
LISTED_STAFF_FIELDS = LISTED_FIELDS + ("organiser", "booking_id", "confirmed")


class Event(Answer):
    id = fields.Integer()
    title = fields.String()
    plan = fields.String()
    plan_label = fields.Method("_plan_label", metadata={"type": "string"})
    kind = fields.String()
    kind_label = fields.Method("_kind_label", metadata={"type": "string"})
    target_groups = fields.List(fields.String())
    compounds = fields.List(fields.String())
    series = fields.String(allow_none=True)
    series_label = fields.Method("_series_label", metadata={"type": "string",
                                                            "nullable": True})
    description = fields.String(allow_none=True)
    start = Instant()
    end = Instant()
    capacity = fields.Integer()
    venue_id = fields.Integer(allow_none=True)
    status = fields.String()
    places_left = fields.Method("_places_left", metadata={
        "type": "integer", "nullable": True,
        "description": "capacity less the confirmed registrations; null: no limit"})
    booking_id = fields.Integer(allow_none=True, metadata={"description": "staff only"})
    organiser = fields.String(metadata={"description": "staff only"})
    confirmed = fields.Integer(metadata={"description": "in lists, staff only"})
    counts = fields.Dict(metadata={"description": "confirmed, waitlisted, cancelled, "
                                                  "attended, walk_ins, people_served, "
                                                  "feedback_count, satisfaction_mean "
                                                  "(staff only)"})
    roles = fields.List(fields.Dict(), metadata={"description": "EventRole objects"})
    volunteers = fields.Integer(attribute="volunteers_served", allow_none=True,
                                metadata={"description": "at completion"})
    created_at = Instant()
    published_at = Instant(allow_none=True)
    completed_at = Instant(allow_none=True)
    cancelled_at = Instant(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    agenda = fields.String(allow_none=True)
    minutes = fields.String(allow_none=True)
    attendees = fields.List(fields.Dict(), attribute="meeting_attendees",
                            metadata={"description": "joint meetings: partner_id (null for "
                                                     "a guest), organisation, five-society "
                                                     "category, count"})
    residents = fields.Integer(attribute="meeting_residents", metadata={
        "description": "joint meetings: residents who attended"})
    others = fields.Integer(attribute="meeting_others", metadata={
        "description": "joint meetings: other attendees"})
    five_society = fields.Dict(metadata={"description": "joint meetings: attendees by "
                                                       "five-society category"})
    decisions = fields.List(fields.Dict(), metadata={"description": "MeetingDecision "
                                                                    "objects"})
    promoted_registration_ids = fields.List(fields.Integer(), metadata={
        "description": "after a capacity change: registrations moved off the waitlist"})

    def _plan_label(self, event):
        return vocab.PLANS.get(event.plan)

    def _kind_label(self, event):
        return vocab.EVENT_KINDS.get(event.kind)

    def _series_label(self, event):
        return vocab.label("series", event.series)

    def _places_left(self, event):
        return None if not event.capacity else max(0, event.capacity - event.confirmed)


class EventRegistration(Answer):
    id = fields.Integer()
    event_id = fields.Integer()
    resident_id = fields.Integer()
    name = fields.String(metadata={"description": "masked unless revealed"})
    phone = fields.String(metadata={"description": "masked unless revealed"})
    target_group = fields.String()
    compound = fields.String(allow_none=True)
    status = fields.String()
    waitlist_position = fields.Integer(allow_none=True)
    created_at = Instant()
    cancel_code = fields.String(metadata={"description": "only in the answer to the "
                                                        "registration itself"})
    promoted_registration_id = fields.Integer(allow_none=True, metadata={
        "description": "after a cancellation: the registration moved off the waitlist"})


class EventAttendance(Answer):
    id = fields.Integer()
    event_id = fields.Integer()
    resident_id = fields.Integer()
    registration_id = fields.Integer(allow_none=True)
    walk_in = fields.Boolean()
    target_group = fields.String()
    compound = fields.String(allow_none=True)
    attended_at = Instant()


class DoorEvent(Answer):
    """The event a door code opens, and whether check-in is open now."""
    event_id = fields.Integer()
    title = fields.String()
    start = Instant()
    end = Instant()
    opens_at = Instant(metadata={"description": "check-in opens (a little before the start)"})
    open = fields.Boolean()


class DoorCheckInResult(Answer):
    """A check-in at the door: the event, never the person."""
    event_id = fields.Integer()
    title = fields.String()
    walk_in = fields.Boolean()
    attended_at = Instant()


class DoorCodes(Answer):
    """Staff: the event's door token and what its poster prints."""
    event_id = fields.Integer()
    title = fields.String()
    start = Instant()
    end = Instant()
    door_token = fields.String()


class EventFeedback(Answer):
    id = fields.Integer()
    event_id = fields.Integer()
    score = fields.Integer()
    comment = fields.String(allow_none=True)
    created_at = Instant()


class Idea(Answer):
    id = fields.Integer()
    title = fields.String()
    description = fields.String(allow_none=True)
    category = fields.String()
    category_label = fields.Method("_category_label", metadata={"type": "string"})
    compound = fields.String(allow_none=True)
    status = fields.String()
    votes = fields.Integer()
    decision_id = fields.Integer(allow_none=True)
    created_at = Instant()
    adopted_at = Instant(allow_none=True)

    def _category_label(self, idea):
        return IDEA_CATEGORIES.get(idea.category)


class IdeaVoteResult(Schema):
    idea_id = fields.Integer()
    votes = fields.Integer()


class ConsultationQuestionShown(Schema):
    kind = fields.String()
    text = fields.String()
    options = fields.List(fields.String())
    required = fields.Boolean()


class Consultation(Answer):
    id = fields.Integer()
    title = fields.String()
    description = fields.String(allow_none=True)
    questions = fields.List(fields.Nested(ConsultationQuestionShown))
    compounds = fields.List(fields.String())
    opens_on = fields.Date()
    closes_on = fields.Date()
    status = fields.String(metadata={"description": "upcoming | open | closed (local today)"})
    answers = fields.Integer(metadata={"description": "residents who answered"})
    created_by = fields.String()
    created_at = Instant()


class ConsultationAnswerResult(Schema):
    consultation_id = fields.Integer()
    answered_at = Instant()
    answers = fields.Integer(metadata={"description": "residents who have answered so far"})


class ChoiceCount(Schema):
    option = fields.String()
    count = fields.Integer()


class QuestionResult(Schema):
    number = fields.Integer(metadata={"description": "1-based, as the questionnaire shows"})
    kind = fields.String()
    text = fields.String()
    answered = fields.Integer(metadata={"description": "answers that filled it in"})
    choices = fields.List(fields.Nested(ChoiceCount),
                          metadata={"description": "choice questions: count per option"})
    ratings = fields.List(fields.Integer(), metadata={"description": "rating: count of 1…5"})
    mean = fields.Float(allow_none=True, metadata={"description": "rating: the mean score"})
    texts = fields.List(fields.String(), metadata={"description": "text: the answers"})


class ConsultationResults(Schema):
    consultation = fields.Nested(Consultation)
    answers = fields.Integer()
    questions = fields.List(fields.Nested(QuestionResult))
