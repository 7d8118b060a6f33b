"""Facts published by the events service. Residents appear only as ``resident_id`` (a
pseudonymous id of the events service), never by name or phone."""
from marshmallow import Schema, fields, validate

from common.contracts import event_type
from common.contracts._fields import Count, EventKind, FiveSociety, Id, Plan, TargetGroup

# The service menu's series (服务菜单) an event belongs to: a code of the community's file
# (GET /vocabularies: series), or null. Not checked here: a consumer may run with another
# release of that file.
Series = lambda **kw: fields.String(validate=validate.Length(1, 32), metadata={  # noqa: E731
    "description": "code of the service menu's series (GET /vocabularies: series)"}, **kw)


def EventStart():  # noqa: N802 - a field, named like the others
    """The start of the event a fact belongs to: reports counts registrations,
    attendance and feedback in the event's month, whenever they were typed in. Absent
    from facts recorded before it was carried (reports then uses the fact's own time)."""
    return fields.DateTime(allow_none=True, load_default=None)


@event_type("event_scheduled", "events", "A community event was scheduled (draft).")
class EventScheduled(Schema):
    event_id = Id(required=True)
    plan = Plan(required=True)
    kind = EventKind(required=True)
    target_groups = fields.List(TargetGroup(), required=True)
    compounds = fields.List(fields.String(), required=True)
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)
    capacity = Count(required=True)
    venue_id = Id(allow_none=True, load_default=None)
    booking_id = Id(allow_none=True, load_default=None)
    series = Series(allow_none=True, load_default=None)


@event_type("event_published", "events", "An event was published (open for registration).")
class EventPublished(Schema):
    event_id = Id(required=True)
    plan = Plan(required=True)
    kind = EventKind(required=True)
    start = fields.DateTime(required=True)
    series = Series(allow_none=True, load_default=None)


@event_type("event_cancelled", "events", "An event was cancelled; its room and shifts are freed.",
            consumers=("volunteers", "reports"))
class EventCancelled(Schema):
    event_id = Id(required=True)
    plan = Plan(required=True)
    kind = EventKind(required=True)
    start = fields.DateTime(required=True)
    booking_id = Id(allow_none=True, load_default=None)


@event_type("event_completed", "events", "An event was held and closed, with its counts.")
class EventCompleted(Schema):
    event_id = Id(required=True)
    plan = Plan(required=True)
    kind = EventKind(required=True)
    target_groups = fields.List(TargetGroup(), required=True)
    compounds = fields.List(fields.String(), required=True)
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)
    registered = Count(required=True)
    attended = Count(required=True)       # registered participants who came
    walk_ins = Count(required=True)
    people_served = Count(required=True)  # 人次: attended + walk_ins
    volunteers = Count(required=True)
    feedback_count = Count(required=True)
    satisfaction_mean = fields.Float(allow_none=True, load_default=None,
                                     validate=validate.Range(1, 5))
    # Joint meetings: attendees per five-society category.
    five_society = fields.Dict(keys=FiveSociety(), values=Count(), load_default=dict)
    # The service menu's series (菜单化) the event belongs to: activities are counted per
    # series in the event's month.
    series = Series(allow_none=True, load_default=None)


@event_type("volunteer_role_added", "events",
            "An event asked for volunteers; the volunteers service opens a shift for it.",
            consumers=("volunteers", "reports"))
class VolunteerRoleAdded(Schema):
    role_id = Id(required=True)
    event_id = Id(required=True)
    name = fields.String(required=True, validate=validate.Length(1, 64))
    skills = fields.List(fields.String(), required=True)
    places = Count(required=True)
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)


@event_type("participant_registered", "events", "A resident registered for an event.")
class ParticipantRegistered(Schema):
    registration_id = Id(required=True)
    event_id = Id(required=True)
    resident_id = Id(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["confirmed", "waitlisted"]))
    target_group = TargetGroup(required=True)
    compound = fields.String(allow_none=True, load_default=None)
    plan = Plan(required=True)
    event_start = EventStart()


@event_type("participant_cancelled", "events", "A registration was cancelled.")
class ParticipantCancelled(Schema):
    registration_id = Id(required=True)
    event_id = Id(required=True)
    was_status = fields.String(required=True)
    promoted_registration_id = Id(allow_none=True, load_default=None)
    event_start = EventStart()


@event_type("attendance_recorded", "events",
            "A person attended an event: a registered participant or a walk-in.")
class AttendanceRecorded(Schema):
    attendance_id = Id(required=True)
    event_id = Id(required=True)
    resident_id = Id(required=True)
    registration_id = Id(allow_none=True, load_default=None)
    walk_in = fields.Boolean(required=True)
    target_group = TargetGroup(required=True)
    compound = fields.String(allow_none=True, load_default=None)
    plan = Plan(required=True)
    kind = EventKind(required=True)
    attended_at = fields.DateTime(required=True)
    event_start = EventStart()


@event_type("feedback_submitted", "events", "An attendee scored a completed event.")
class FeedbackSubmitted(Schema):
    feedback_id = Id(required=True)
    event_id = Id(required=True)
    score = fields.Integer(required=True, validate=validate.Range(1, 5))
    plan = Plan(required=True)
    kind = EventKind(required=True)
    event_start = EventStart()


@event_type("idea_submitted", "events", "A resident's idea (金点子) was submitted.")
class IdeaSubmitted(Schema):
    idea_id = Id(required=True)
    category = fields.String(required=True)
    compound = fields.String(allow_none=True, load_default=None)
    submitted_at = fields.DateTime(required=True)


@event_type("idea_voted", "events", "A resident voted for an idea.")
class IdeaVoted(Schema):
    idea_id = Id(required=True)
    votes = Count(required=True)


@event_type("idea_adopted", "events", "An idea was adopted by a joint-meeting decision.")
class IdeaAdopted(Schema):
    idea_id = Id(required=True)
    decision_id = Id(required=True)
    meeting_event_id = Id(required=True)
    adopted_at = fields.DateTime(required=True)


@event_type("consultation_created", "events",
            "Staff opened a consultation (意见征集) for a span of local days.")
class ConsultationCreated(Schema):
    consultation_id = Id(required=True)
    opens_on = fields.Date(required=True)
    closes_on = fields.Date(required=True)
    questions = Count(required=True)
    compounds = fields.List(fields.String(), required=True)


@event_type("consultation_answered", "events",
            "A resident answered a consultation (once per resident); the answers stay in "
            "the events service.")
class ConsultationAnswered(Schema):
    consultation_id = Id(required=True)
    answer_id = Id(required=True)
    resident_id = Id(required=True)
    answered_at = fields.DateTime(required=True)
    answers = Count(required=True, metadata={"description": "residents who have answered "
                                                            "the consultation so far"})


@event_type("decision_recorded", "events", "A joint meeting recorded a decision.")
class DecisionRecorded(Schema):
    decision_id = Id(required=True)
    meeting_event_id = Id(required=True)
    idea_id = Id(allow_none=True, load_default=None)
    action_item_ids = fields.List(Id(), required=True)


@event_type("action_item_updated", "events",
            "An action item was created or changed status (open → in_progress → done).")
class ActionItemUpdated(Schema):
    action_item_id = Id(required=True)
    decision_id = Id(required=True)
    status = fields.String(required=True, validate=validate.OneOf(
        ["open", "in_progress", "done", "cancelled"]))
    previous_status = fields.String(allow_none=True, load_default=None)
    due_date = fields.Date(required=True)


@event_type("event_rescheduled", "events",
            "A draft or published event moved (time and/or venue); its old booking is "
            "released. Informational: in the event log, no consumer yet.", consumers=())
class EventRescheduled(Schema):
    event_id = Id(required=True)
    plan = Plan(required=True)
    kind = EventKind(required=True)
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)
    previous_start = fields.DateTime(required=True)
    previous_end = fields.DateTime(required=True)
    venue_id = Id(allow_none=True, load_default=None)
    booking_id = Id(allow_none=True, load_default=None)



@event_type("event_updated", "events",
            "A listed detail of an event changed without a move (title, description, "
            "audience, capacity, series) or its booking was restored. Read by the "
            "gateway's listing, which reads the event again; in the event log.",
            consumers=())
class EventUpdated(Schema):
    event_id = Id(required=True)
    plan = Plan(required=True)
    kind = EventKind(required=True)
    changed = fields.List(fields.String(validate=validate.Length(1, 32)), required=True,
                          metadata={"description": "names of the fields that changed"})

# -- evidence attachments (佐证材料) -------------------------------------------------------

AttachmentOwnerKind = lambda **kw: fields.String(  # noqa: E731
    validate=validate.Length(1, 16), metadata={
        "description": "what the attachment belongs to: event, meeting (a joint meeting), "
                       "expenditure"}, **kw)
AttachmentKind = lambda **kw: fields.String(  # noqa: E731
    validate=validate.OneOf(["image", "document"]), **kw)


@event_type("attachment_added", "events",
            "Evidence (a photo or a file) was attached to an event, a joint meeting or an "
            "expenditure. The file's name and bytes stay in the events service.")
class AttachmentAdded(Schema):
    attachment_id = Id(required=True)
    owner_kind = AttachmentOwnerKind(required=True)
    owner_id = Id(required=True)
    event_id = Id(allow_none=True, load_default=None, metadata={
        "description": "the event or joint meeting it belongs to (null for other owners)"})
    kind = AttachmentKind(required=True)
    content_type = fields.String(required=True, validate=validate.Length(1, 100))
    size = Count(required=True)
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    owner_time = fields.DateTime(required=True, metadata={
        "description": "when the owner's service happened (an event's start): reports "
                       "counts the attachment in that month"})


@event_type("attachment_removed", "events", "Staff removed an attachment.")
class AttachmentRemoved(Schema):
    attachment_id = Id(required=True)
    owner_kind = AttachmentOwnerKind(required=True)
    owner_id = Id(required=True)
    event_id = Id(allow_none=True, load_default=None)
    kind = AttachmentKind(required=True)
    owner_time = fields.DateTime(required=True)


@event_type("expenditure_recorded", "events",
            "Staff recorded money spent on a budget line of the contract's project year "
            "(the payee and the note stay in the events service).")
class ExpenditureRecorded(Schema):
    expenditure_id = Id(required=True)
    project_year = Id(required=True, metadata={
        "description": "the contract's project year the date falls in"})
    budget_line = fields.String(required=True, validate=validate.Length(1, 32), metadata={
        "description": "code of the year's budget line (config/targets/<community>-year<N>)"})
    plan = Plan(required=True)
    event_id = Id(allow_none=True, load_default=None)
    spent_on = fields.Date(required=True, metadata={"description": "local day of the spending"})
    amount_fen = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                                metadata={"description": "exact amount in fen (1/100 yuan)"})
    over_budget = fields.Boolean(required=True, metadata={
        "description": "it took the line past its amount, accepted by an admin with a reason"})
