"""Community events, registration, attendance, feedback, joint meetings, ideas and action
items: plain functions over a unit of work (writes) or a session (reads), testable without
a broker. Venue booking over RPC is in ``booking.py``; nothing here does network I/O.

Status of an event: draft → published → completed, draft|published → cancelled; anything
else is a 409. Residents are pseudonymous (``residents`` keyed by the keyed hash of their
phone); names and phones are stored encrypted and leave only masked, never in a fact.
"""
import hmac
import secrets
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import and_, exists, func, insert, select
from sqlalchemy.exc import IntegrityError

from common import pii, times, vocab
from common.db import paginate
from common.errors import Conflict, NotFound, ValidationFailed, load_input
from common.schemas import MAX_ID
from common.messages import msg
from services.events import schemas
from services.events.models import (ActionItem, Attendance, BookingRelease, Decision, Event,
                                    EventTargetGroup, Feedback, Idea, IdeaVote, Registration,
                                    Resident, UncertainBooking, VolunteerRole)

TRANSITIONS = {
    "publish": ({"draft"}, "published"),
    "complete": ({"published"}, "completed"),
    "cancel": ({"draft", "published"}, "cancelled"),
}
ACTION_TRANSITIONS = {
    "open": {"in_progress", "done", "cancelled"},
    "in_progress": {"open", "done", "cancelled"},
    "done": set(),
    "cancelled": set(),
}
OPEN_ACTION_STATUSES = ("open", "in_progress")


# -- helpers -----------------------------------------------------------------------------

load = load_input  # common.errors: validate, or 422 naming the fields


def _today():
    """The community's date now (action items fall due by local days)."""
    return times.local_date(times.now())


def _row_id(value, what):
    """An id from a path or a call; one no row can have is simply not found."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= MAX_ID:
        raise NotFound("row_not_found", {f"{what}_id": value}, what=what, value=value)
    return value


# -- answers: records dumped with the output schemas (built once: listings are hot) -----

class Shown:
    """A record as its answer shows it: the record's own attributes, plus the values
    computed for the answer (counts, masked contacts, a waitlist position) given here."""

    def __init__(self, record, **computed):
        self._record = record
        self.__dict__.update(computed)

    def __getattr__(self, name):
        return getattr(self._record, name)


_EVENT_SHOWN = ("id", "title", "plan", "plan_label", "kind", "kind_label", "target_groups",
                "compounds", "series", "series_label", "description", "start", "end",
                "capacity", "venue_id", "status", "places_left")
_EVENT_STAFF = ("booking_id", "organiser", "counts", "roles", "volunteers", "created_at",
                "published_at", "completed_at", "cancelled_at", "cancel_reason")
_MEETING = ("agenda", "minutes", "attendees", "residents", "others", "five_society",
            "decisions")
_CHANGED = ("promoted_registration_ids",)  # only in the answer to a change

EVENT_PUBLIC = schemas.Event(only=_EVENT_SHOWN)
EVENT_STAFF = schemas.Event(only=_EVENT_SHOWN + _EVENT_STAFF + _CHANGED)
EVENT_MEETING = schemas.Event(only=_EVENT_SHOWN + _EVENT_STAFF + _MEETING + _CHANGED)
LISTED_PUBLIC = schemas.Event(only=schemas.LISTED_FIELDS, many=True)
LISTED_STAFF = schemas.Event(only=schemas.LISTED_STAFF_FIELDS, many=True)
ROLE = schemas.EventRole()
REGISTRATION = schemas.EventRegistration()
ATTENDANCE = schemas.EventAttendance()
FEEDBACK = schemas.EventFeedback()
IDEA = schemas.Idea()
ACTION_ITEM = schemas.ActionItem()
DECISION = schemas.MeetingDecision()

EVENT_QUERY = schemas.EventQuery()
REGISTRATION_QUERY = schemas.RegistrationQuery()
IDEA_QUERY = schemas.IdeaQuery()
ACTION_ITEM_QUERY = schemas.ActionItemQuery()


def get_event_row(session, event_id, lock=False):
    query = select(Event).where(Event.id == _row_id(event_id, "event"))
    if lock:
        query = query.with_for_update()
    event = session.execute(query).scalar_one_or_none()
    if event is None:
        raise NotFound("event_not_found", {"event_id": event_id}, event_id=event_id)
    return event


def _transition(event, action):
    allowed_from, to = TRANSITIONS[action]
    if event.status not in allowed_from:
        raise Conflict("event_transition_refused",
                       {"status": event.status, "action": action,
                        "allowed_from": sorted(allowed_from)}, action=action, status=event.status)
    event.status = to


def _require_status(event, statuses, action):
    if event.status not in statuses:
        raise Conflict("event_status_refuses",
                       {"status": event.status, "allowed": sorted(statuses)}, action=action,
                       status=event.status)


def resident_for_phone(session, crypto, phone):
    """The one pseudonymous resident of a phone number (created on first sight)."""
    phone_hash = crypto.lookup_hash(phone)
    resident = session.execute(select(Resident).where(
        Resident.phone_hash == phone_hash)).scalar_one_or_none()
    if resident is not None:
        return resident
    try:
        with session.begin_nested():
            resident = Resident(phone_hash=phone_hash, created_at=times.now())
            session.add(resident)
            session.flush()
    except IntegrityError:  # created by a concurrent request (PostgreSQL)
        resident = session.execute(select(Resident).where(
            Resident.phone_hash == phone_hash)).scalar_one()
    return resident


def find_resident(session, crypto, phone):
    return session.execute(select(Resident).where(
        Resident.phone_hash == crypto.lookup_hash(phone))).scalar_one_or_none()


def _anonymous_resident(session):
    resident = Resident(phone_hash=None, created_at=times.now())
    session.add(resident)
    session.flush()
    return resident


# -- events ------------------------------------------------------------------------------

def validate_new_event(data):
    """Input of create_event, validated before anything is booked or written."""
    return load(schemas.EventCreate, data)


def _booking_purpose(data):
    return f"{vocab.EVENT_KINDS.get(data['kind'], data['kind'])}: {data['title']}"[:200]


def booking_request(data, event_id=None):
    """What book_venue receives for an event's venue (ISO 8601 strings)."""
    request = {"venue_id": data["venue_id"], "start": times.iso(data["start"]),
               "end": times.iso(data["end"]), "purpose": _booking_purpose(data)}
    if event_id is not None:
        request["event_id"] = event_id
    return request


def create_event(uow, data, organiser, booking_id=None):
    """Schedule an event (draft). ``data`` is validate_new_event's output; the venue, if
    any, was booked before this unit of work (``booking_id``)."""
    session = uow.session
    if data.get("venue_id") and booking_id is None:
        raise ValidationFailed("venue_not_booked_first", {"venue_id": ["not_booked"]})
    event = Event(
        title=data["title"], plan=data["plan"], kind=data["kind"],
        target_groups=sorted(set(data["target_groups"])),
        compounds=sorted(set(data.get("compounds") or [])), series=data.get("series"),
        description=data.get("description"), start=data["start"], end=data["end"],
        capacity=data.get("capacity") or 0, venue_id=data.get("venue_id"),
        booking_id=booking_id, organiser=data.get("organiser") or organiser or "unknown",
        status="draft", agenda=data.get("agenda"), minutes=data.get("minutes"),
        meeting_attendees=_attendees(data.get("attendees") or []),
        meeting_residents=data.get("residents") or 0, meeting_others=data.get("others") or 0,
        created_at=times.now(), door_token=secrets.token_urlsafe(16))
    session.add(event)
    session.flush()
    _set_target_groups(session, event)
    uow.emit("event_scheduled", {
        "event_id": event.id, "plan": event.plan, "kind": event.kind,
        "target_groups": event.target_groups, "compounds": event.compounds,
        "start": event.start, "end": event.end, "capacity": event.capacity,
        "venue_id": event.venue_id, "booking_id": event.booking_id, "series": event.series})
    return event_answer(session, event)


def _attendees(items):
    """Attendees as stored; a partner's name and category were filled in from the
    resources service (``partners.resolve_attendees``) before the unit of work."""
    return [{"partner_id": a.get("partner_id"), "organisation": a["organisation"],
             "category": a["category"], "count": a.get("count", 1)} for a in items]


def _set_target_groups(session, event):
    session.query(EventTargetGroup).filter(EventTargetGroup.event_id == event.id).delete()
    for group in event.target_groups:
        session.add(EventTargetGroup(event_id=event.id, target_group=group))


MINUTES_FIELDS = {"minutes", "agenda"}


def _require_changeable(event, changes):
    """Drafts and published events change; a completed joint meeting may still get its
    minutes and agenda written up (nothing that its counts depend on)."""
    if event.status == "completed" and event.kind == "joint_meeting" \
            and set(changes) <= MINUTES_FIELDS:
        return
    _require_status(event, {"draft", "published"}, "change")


def plan_update(session, event_id, data):
    """Check an update before anything is booked. Returns (changes, rebooking, current):
    rebooking is the booking request for a new slot/venue (None if none is needed),
    current the event's booking as {"booking_id", "request"} (None if it has none)."""
    changes = load(schemas.EventUpdate, data)
    event = get_event_row(session, event_id)
    _require_changeable(event, changes)
    booked_start, booked_end = times.from_storage(event.start), times.from_storage(event.end)
    start = changes.get("start", booked_start)
    end = changes.get("end", booked_end)
    if end <= start:
        raise ValidationFailed("end_must_after_start", {"end": ["must_be_after_start"]})
    meeting_fields = ("attendees", "residents", "others", "minutes", "agenda")
    if any(f in changes for f in meeting_fields) and event.kind != "joint_meeting":
        field = next(f for f in meeting_fields if f in changes)
        raise ValidationFailed("only_joint_meeting_field",
                               {field: ["only_for_kind_joint_meeting"]}, field=field)
    venue_id = changes["venue_id"] if "venue_id" in changes else event.venue_id
    moved = start != booked_start or end != booked_end or venue_id != event.venue_id
    rebooking = None
    if venue_id and moved:
        rebooking = booking_request({"venue_id": venue_id, "start": start, "end": end,
                                     "kind": event.kind,
                                     "title": changes.get("title", event.title)}, event.id)
    current = None
    if event.booking_id:
        current = {"booking_id": event.booking_id, "request": booking_request(
            {"venue_id": event.venue_id, "start": booked_start, "end": booked_end,
             "kind": event.kind, "title": event.title}, event.id)}
    return changes, rebooking, current


def update_event(uow, event_id, changes, new_booking_id=None):
    """Apply plan_update's changes. A booking no longer used is queued for release in the
    same transaction (returned as ``release_booking_id``)."""
    session = uow.session
    event = get_event_row(session, event_id, lock=True)
    _require_changeable(event, changes)
    previous_start, previous_end = times.from_storage(event.start), times.from_storage(event.end)
    start = changes.get("start", previous_start)
    end = changes.get("end", previous_end)
    venue_id = changes["venue_id"] if "venue_id" in changes else event.venue_id
    moved = start != previous_start or end != previous_end or venue_id != event.venue_id
    old_booking = event.booking_id
    release = None
    if moved:
        if venue_id and new_booking_id is None:
            raise ValidationFailed("venue_not_booked_first", {"venue_id": ["not_booked"]})
        if old_booking and old_booking != new_booking_id:
            release = queue_release(session, old_booking, event.id, "event_changed")
        event.booking_id = new_booking_id if venue_id else None
    for field in ("title", "description", "compounds", "series", "start", "end", "agenda",
                  "minutes"):
        if field in changes:
            setattr(event, field, changes[field])
    event.venue_id = venue_id
    if "compounds" in changes:
        event.compounds = sorted(set(changes["compounds"]))
    if "target_groups" in changes:
        event.target_groups = sorted(set(changes["target_groups"]))
        _set_target_groups(session, event)
    if "attendees" in changes:
        event.meeting_attendees = _attendees(changes["attendees"])
    for field in ("residents", "others"):
        if field in changes:
            setattr(event, f"meeting_{field}", changes[field])
    promoted = []
    if "capacity" in changes:
        event.capacity = changes["capacity"]
        promoted = _fill_places(uow, event)
    if moved:
        uow.emit("event_rescheduled", {
            "event_id": event.id, "plan": event.plan, "kind": event.kind,
            "start": event.start, "end": event.end, "previous_start": previous_start,
            "previous_end": previous_end, "venue_id": event.venue_id,
            "booking_id": event.booking_id})
    elif set(changes) & set(schemas.LISTED_FIELDS):
        # A listed field changed: the listing's read model learns of it from this fact.
        _emit_updated(uow, event, sorted(set(changes) & set(schemas.LISTED_FIELDS)))
    session.flush()
    result = event_answer(session, event, promoted_registration_ids=promoted)
    result["release_booking_id"] = release
    return result


def restore_booking(uow, event_id, booking_id):
    """Point an event at a booking of its unchanged slot (after a failed move)."""
    event = get_event_row(uow.session, event_id, lock=True)
    event.booking_id = booking_id
    _emit_updated(uow, event, ["booking_id"])


def _emit_updated(uow, event, changed):
    uow.emit("event_updated", {"event_id": event.id, "plan": event.plan, "kind": event.kind,
                               "changed": list(changed)})


def publish_event(uow, event_id):
    event = get_event_row(uow.session, event_id, lock=True)
    _transition(event, "publish")
    event.published_at = times.now()
    uow.emit("event_published", {"event_id": event.id, "plan": event.plan,
                                 "kind": event.kind, "start": event.start,
                                 "series": event.series})
    return event_answer(uow.session, event)


def cancel_event(uow, event_id, data=None):
    """Cancel; its booking is queued for release in the same transaction
    (``release_booking_id`` in the answer: the caller releases it after commit)."""
    data = load(schemas.EventCancel, data or {})
    session = uow.session
    event = get_event_row(session, event_id, lock=True)
    _transition(event, "cancel")
    event.cancelled_at = times.now()
    event.cancel_reason = data.get("reason")
    release = None
    if event.booking_id:
        release = queue_release(session, event.booking_id, event.id, "event_cancelled")
    uow.emit("event_cancelled", {"event_id": event.id, "plan": event.plan,
                                 "kind": event.kind, "start": event.start,
                                 "booking_id": event.booking_id})
    result = event_answer(session, event)
    result["release_booking_id"] = release
    return result


def event_counts(session, event_id):
    regs = dict(session.execute(
        select(Registration.status, func.count()).where(Registration.event_id == event_id)
        .group_by(Registration.status)).all())
    walk_in_rows = dict(session.execute(
        select(Attendance.walk_in, func.count()).where(Attendance.event_id == event_id)
        .group_by(Attendance.walk_in)).all())
    attended = walk_in_rows.get(False, 0)
    walk_ins = walk_in_rows.get(True, 0)
    fb_count, fb_mean = session.execute(
        select(func.count(Feedback.id), func.avg(Feedback.score))
        .where(Feedback.event_id == event_id)).one()
    return {
        "confirmed": regs.get("confirmed", 0), "waitlisted": regs.get("waitlisted", 0),
        "cancelled": regs.get("cancelled", 0),
        "attended": attended, "walk_ins": walk_ins, "people_served": attended + walk_ins,
        "feedback_count": fb_count or 0,
        "satisfaction_mean": round(float(fb_mean), 2) if fb_mean is not None else None,
    }


def five_society_counts(event):
    if event.kind != "joint_meeting":
        return {}
    counts = {}
    for attendee in event.meeting_attendees or []:
        counts[attendee["category"]] = counts.get(attendee["category"], 0) + \
            int(attendee.get("count", 1))
    return counts


def complete_event(uow, event_id, data=None):
    """Close a held event and state its counts (no names): registered = confirmed
    registrations, attended = those of them who came, walk_ins, people_served (人次) =
    attended + walk_ins, volunteers (given, or the places of its roles), feedback so far."""
    data = load(schemas.EventComplete, data or {})
    session = uow.session
    event = get_event_row(session, event_id, lock=True)
    _transition(event, "complete")
    event.completed_at = times.now()
    volunteers = data.get("volunteers")
    if volunteers is None:
        volunteers = session.execute(select(func.coalesce(func.sum(VolunteerRole.places), 0))
                                     .where(VolunteerRole.event_id == event.id)).scalar_one()
    event.volunteers_served = int(volunteers)
    counts = event_counts(session, event.id)
    uow.emit("event_completed", {
        "event_id": event.id, "plan": event.plan, "kind": event.kind,
        "target_groups": event.target_groups, "compounds": event.compounds,
        "start": event.start, "end": event.end,
        "registered": counts["confirmed"], "attended": counts["attended"],
        "walk_ins": counts["walk_ins"], "people_served": counts["people_served"],
        "volunteers": event.volunteers_served, "feedback_count": counts["feedback_count"],
        "satisfaction_mean": counts["satisfaction_mean"],
        "five_society": five_society_counts(event), "series": event.series})
    return event_answer(session, event)


def event_answer(session, event, staff=True, **computed):
    """The event as staff see it (with its counts, roles and, for a joint meeting, its
    attendees and decisions) or as the public does."""
    counts = event_counts(session, event.id)
    if not staff:
        return EVENT_PUBLIC.dump(Shown(event, confirmed=counts["confirmed"], **computed))
    roles = session.execute(select(VolunteerRole).where(VolunteerRole.event_id == event.id)
                            .order_by(VolunteerRole.id)).scalars().all()
    if event.kind != "joint_meeting":
        return EVENT_STAFF.dump(Shown(event, confirmed=counts["confirmed"], counts=counts,
                                      roles=ROLE.dump(roles, many=True), **computed))
    decisions = session.execute(select(Decision).where(Decision.event_id == event.id)
                                .order_by(Decision.id)).scalars().all()
    today = _today()
    return EVENT_MEETING.dump(Shown(
        event, confirmed=counts["confirmed"], counts=counts, roles=ROLE.dump(roles, many=True),
        five_society=five_society_counts(event),
        decisions=[DECISION.dump(_decision_shown(session, d, today)) for d in decisions],
        **computed))


def get_event(session, event_id, staff=True):
    event = get_event_row(session, event_id)
    if not staff and event.status not in ("published", "completed"):
        # The public sees published events (and, for its feedback, completed ones);
        # drafts and cancelled events do not exist for it.
        raise NotFound("event_not_found", {"event_id": event_id}, event_id=event_id)
    return event_answer(session, event, staff)


def list_events(session, query=None, staff=True):
    """Events by start time, filtered by ``schemas.EventQuery``: those that overlap
    [``from``, ``to``). The public sees published events only, whatever it asks."""
    q = load_input(EVENT_QUERY, query)
    statement = _LISTING.order_by(Event.start, Event.id)
    status = q.get("status") if staff else "published"
    if status:
        statement = statement.where(Event.status == status)
    if q.get("plan"):
        statement = statement.where(Event.plan == q["plan"])
    if q.get("kind"):
        statement = statement.where(Event.kind == q["kind"])
    if q.get("series"):
        statement = statement.where(Event.series == q["series"])
    if q.get("target_group"):
        statement = statement.where(exists().where(and_(
            EventTargetGroup.event_id == Event.id,
            EventTargetGroup.target_group == q["target_group"])))
    if q.get("from"):
        statement = statement.where(Event.end >= q["from"])
    if q.get("to"):
        statement = statement.where(Event.start < q["to"])
    page = paginate(session, statement, q["page"], q["per_page"], lambda row: row,
                    scalars=False)
    page["items"] = _listed(session, page["items"], staff)
    return page


# Only the listed columns, as plain rows: the busiest read of the API skips the ORM's
# identity map and the long texts (agenda, minutes) it never shows.
_LISTING = select(Event.id, Event.title, Event.plan, Event.kind, Event.target_groups,
                  Event.compounds, Event.series, Event.description, Event.start, Event.end,
                  Event.capacity, Event.venue_id, Event.status, Event.organiser,
                  Event.booking_id)
# What the gateway's read model of the listing reads per call, at most.
LISTING_ENTRIES_MAX = 1000


def _listed(session, rows, staff):
    """Listing rows as the listing shows them, each with its confirmed places."""
    confirmed = {}
    if rows:
        confirmed = dict(session.execute(
            select(Registration.event_id, func.count()).where(
                Registration.event_id.in_([e.id for e in rows]),
                Registration.status == "confirmed").group_by(Registration.event_id)).all())
    listed = LISTED_STAFF if staff else LISTED_PUBLIC
    # Each row's columns copied beside its count: cheaper to read than a Shown view.
    return listed.dump([SimpleNamespace(**row._mapping, confirmed=confirmed.get(row.id, 0))
                        for row in rows])


def listing_entries(session, event_ids=None, after_id=0, limit=LISTING_ENTRIES_MAX):
    """Events as staff see them in the listing (the public's fields are a subset), for
    the gateway's read model: the events named (``event_ids``; an id that does not exist
    is absent), or a page of all events by id after ``after_id``. ``last`` is the page's
    last id (``None``: no more)."""
    limit = max(1, min(int(limit), LISTING_ENTRIES_MAX))
    statement = _LISTING.order_by(Event.id)
    if event_ids is not None:
        ids = sorted({int(i) for i in event_ids})[:LISTING_ENTRIES_MAX]
        statement = statement.where(Event.id.in_(ids))
    else:
        statement = statement.where(Event.id > int(after_id)).limit(limit)
    rows = session.execute(statement).all()
    last = rows[-1].id if rows and event_ids is None and len(rows) == limit else None
    return {"items": _listed(session, rows, staff=True), "last": last}


# -- volunteer roles ---------------------------------------------------------------------

def add_volunteer_role(uow, event_id, data):
    """A role asks for volunteers; the volunteers service opens a shift from the fact."""
    data = load(schemas.EventRoleCreate, data)
    session = uow.session
    event = get_event_row(session, event_id, lock=True)
    _require_status(event, {"draft", "published"}, "add a volunteer role")
    start = data.get("start") or times.from_storage(event.start)
    end = data.get("end") or times.from_storage(event.end)
    if end <= start:
        raise ValidationFailed("end_must_after_start", {"end": ["must_be_after_start"]})
    role = VolunteerRole(event_id=event.id, name=data["name"],
                         skills=sorted(set(data.get("skills") or [])), places=data["places"],
                         start=start, end=end, created_at=times.now())
    session.add(role)
    session.flush()
    uow.emit("volunteer_role_added", {
        "role_id": role.id, "event_id": event.id, "name": role.name, "skills": role.skills,
        "places": role.places, "start": start, "end": end})
    return ROLE.dump(role)


# -- registration ------------------------------------------------------------------------

def _code_hash(crypto, code):
    return crypto.lookup_hash("cancel:" + code)


def registration_answer(reg, crypto, reveal=False, position=None, **computed):
    """A registration, its name and phone masked unless ``reveal``."""
    name = crypto.decrypt(reg.name_enc)
    phone = crypto.decrypt(reg.phone_enc)
    return REGISTRATION.dump(Shown(
        reg, name=name if reveal else pii.mask_name(name),
        phone=phone if reveal else pii.mask_phone(phone), waitlist_position=position,
        **computed))


def _waitlist_position(session, reg):
    if reg.status != "waitlisted":
        return None
    return session.execute(select(func.count()).where(
        Registration.event_id == reg.event_id, Registration.status == "waitlisted",
        Registration.id <= reg.id)).scalar_one()


def register_participant(uow, crypto, event_id, data):
    """A resident registers for a published event: confirmed while places are left, then
    waitlisted in order. One active registration per phone per event (409)."""
    data = load(schemas.EventRegistrationCreate, data)
    session = uow.session
    event = get_event_row(session, event_id, lock=True)
    _require_status(event, {"published"}, "register")
    if times.from_storage(event.end) <= times.now():
        raise Conflict("event_over", {"status": event.status,
                                             "end": times.iso(event.end)})
    resident = resident_for_phone(session, crypto, data["phone"])
    active_key = f"{event.id}:{resident.id}"
    existing = session.execute(select(Registration.id, Registration.status).where(
        Registration.active_key == active_key)).first()
    if existing is not None:
        raise Conflict("phone_already_registered_event",
                       {"phone": ["already_registered"], "registration_id": existing[0],
                        "status": existing[1]})
    status = "waitlisted" if _places_left(session, event) == 0 else "confirmed"
    code = secrets.token_urlsafe(9)
    reg = Registration(
        event_id=event.id, resident_id=resident.id, name_enc=crypto.encrypt(data["name"]),
        phone_enc=crypto.encrypt(pii.normalise(data["phone"])),
        target_group=data["target_group"], compound=data.get("compound"), status=status,
        active_key=active_key, cancel_code_hash=_code_hash(crypto, code),
        created_at=times.now())
    session.add(reg)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a concurrent registration of the same phone (PostgreSQL)
        raise Conflict("phone_already_registered_event",
                       {"phone": ["already_registered"]}) from None
    uow.emit("participant_registered", {
        "registration_id": reg.id, "event_id": event.id, "resident_id": resident.id,
        "status": status, "target_group": reg.target_group, "compound": reg.compound,
        "plan": event.plan, "event_start": event.start})
    return registration_answer(reg, crypto, position=_waitlist_position(session, reg),
                               cancel_code=code)


def _fill_places(uow, event):
    """Promote waitlisted registrations, oldest first, while places are left."""
    session = uow.session
    free = _places_left(session, event)
    query = select(Registration).where(Registration.event_id == event.id,
                                       Registration.status == "waitlisted") \
        .order_by(Registration.id)
    if free is not None:
        if free <= 0:
            return []
        query = query.limit(free)
    promoted = session.execute(query).scalars().all()
    for reg in promoted:
        reg.status = "confirmed"
    return [reg.id for reg in promoted]


def cancel_registration(uow, crypto, registration_id, data=None, staff=False):
    """Cancel a registration (the resident with the code given at registration, or
    staff). A confirmed place goes to the first on the waitlist."""
    data = load(schemas.EventRegistrationCancel, data or {})
    session = uow.session
    reg = session.get(Registration, _row_id(registration_id, "registration"))
    if reg is None:
        raise NotFound("registration_not_found",
                       {"registration_id": registration_id}, registration_id=registration_id)
    if not staff:
        code = data.get("code")
        if not code:
            raise ValidationFailed("cancel_code_required", {"code": ["required"]})
        if not hmac.compare_digest(_code_hash(crypto, code), reg.cancel_code_hash):
            # Not 403: a wrong code does not say whether the registration exists.
            raise NotFound("registration_code_mismatch",
                           {"code": ["does_not_match"]})
    event = get_event_row(session, reg.event_id, lock=True)
    if reg.status == "cancelled":
        raise Conflict("registration_already_cancelled", {"registration_id": reg.id,
                                                          "status": reg.status})
    _require_status(event, {"published", "draft"}, "cancel a registration")
    attended = session.execute(select(Attendance.id).where(
        Attendance.registration_id == reg.id)).first()
    if attended:
        raise Conflict("participant_already_attended", {"attendance_id": attended[0]})
    was = reg.status
    reg.status = "cancelled"
    reg.active_key = None
    reg.cancelled_at = times.now()
    session.flush()
    promoted = _fill_places(uow, event) if was == "confirmed" else []
    uow.emit("participant_cancelled", {
        "registration_id": reg.id, "event_id": event.id, "was_status": was,
        "promoted_registration_id": promoted[0] if promoted else None,
        "event_start": event.start})
    return registration_answer(reg, crypto,
                               promoted_registration_id=promoted[0] if promoted else None)


def list_registrations(session, crypto, event_id, query=None, reveal=False):
    """An event's registrations (``schemas.RegistrationQuery``), masked unless
    ``reveal``."""
    q = load_input(REGISTRATION_QUERY, query)
    event = get_event_row(session, event_id)
    statement = select(Registration).where(Registration.event_id == event.id) \
        .order_by(Registration.id)
    if q.get("status"):
        statement = statement.where(Registration.status == q["status"])
    page = paginate(session, statement, q["page"], q["per_page"], lambda reg: reg)
    positions = {}
    if any(r.status == "waitlisted" for r in page["items"]):
        waitlist = session.execute(select(Registration.id).where(
            Registration.event_id == event.id, Registration.status == "waitlisted")
            .order_by(Registration.id)).scalars().all()
        positions = {reg_id: n for n, reg_id in enumerate(waitlist, 1)}
    page["items"] = [registration_answer(r, crypto, reveal, positions.get(r.id))
                     for r in page["items"]]
    return page


# -- attendance --------------------------------------------------------------------------

def record_attendance(uow, crypto, event_id, data):
    """A registered participant (by registration_id or phone) or a walk-in came. A
    walk-in whose phone has a registration is counted as that registration; a
    waitlisted participant who is let in becomes confirmed. One attendance per person
    per event (409)."""
    data = load(schemas.EventAttendanceCreate, data)
    session = uow.session
    event = get_event_row(session, event_id, lock=True)
    _require_status(event, {"published", "completed"}, "record attendance")
    attended_at = attendance_time(event, data.get("attended_at"))
    reg = None
    resident = None
    if data.get("registration_id"):
        reg = session.get(Registration, data["registration_id"])
        if reg is None or reg.event_id != event.id:
            raise ValidationFailed("registration_not_of_event",
                                   {"registration_id": ["not_registration_of_event"]})
        if reg.status == "cancelled":
            raise Conflict("registration_was_cancelled", {"registration_id": reg.id})
    elif data.get("phone"):
        resident = find_resident(session, crypto, data["phone"])
        if resident is not None:
            reg = session.execute(select(Registration).where(
                Registration.active_key == f"{event.id}:{resident.id}")).scalar_one_or_none()
        if reg is None and not data.get("walk_in"):
            raise ValidationFailed("phone_not_registered_record_walk_in",
                                   {"phone": ["not_registered_for_this_event"]})
    if reg is not None:
        resident_id = reg.resident_id
        if reg.status == "waitlisted" and _places_left(session, event) != 0:
            reg.status = "confirmed"  # let in at the door to a free place
        target_group, compound, walk_in, name_enc = reg.target_group, reg.compound, False, None
    else:
        if resident is None:
            resident = (resident_for_phone(session, crypto, data["phone"]) if data.get("phone")
                        else _anonymous_resident(session))
        resident_id = resident.id
        target_group, compound, walk_in = data["target_group"], data.get("compound"), True
        name_enc = crypto.encrypt(data["name"]) if data.get("name") else None
    duplicate = session.execute(select(Attendance.id).where(
        Attendance.event_id == event.id, Attendance.resident_id == resident_id)).first()
    if duplicate:
        raise Conflict("attendance_already_recorded",
                       {"attendance_id": duplicate[0]})
    att = Attendance(event_id=event.id, resident_id=resident_id,
                     registration_id=reg.id if reg else None, walk_in=walk_in,
                     name_enc=name_enc, target_group=target_group, compound=compound,
                     attended_at=attended_at)
    session.add(att)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("attendance_already_recorded", {}) from None
    uow.emit("attendance_recorded", {
        "attendance_id": att.id, "event_id": event.id, "resident_id": resident_id,
        "registration_id": att.registration_id, "walk_in": walk_in,
        "target_group": target_group, "compound": compound, "plan": event.plan,
        "kind": event.kind, "attended_at": att.attended_at, "event_start": event.start})
    return ATTENDANCE.dump(att)


def attendance_time(event, given, now=None):
    """When a person attended: ``given`` (staff entering a paper sign-in sheet after the
    event) must fall within the event's start and end (422 naming ``attended_at``);
    by default now while the event runs, else the event's start, so that the people of
    a sheet entered later count with their event, never in the month of typing."""
    start, end = times.from_storage(event.start), times.from_storage(event.end)
    if given is not None:
        given = times.utc(given)
        if not start <= given <= end:
            raise ValidationFailed("attendance_outside_event", {
                "attended_at": [msg("between_event_start_end", start=times.iso(start),
                                    end=times.iso(end))]})
        return given
    now = now or times.now()
    return now if start <= now <= end else start


def _places_left(session, event):
    """Confirmed places still free (None: no limit)."""
    if not event.capacity:
        return None
    confirmed = session.execute(select(func.count()).where(
        Registration.event_id == event.id, Registration.status == "confirmed")).scalar_one()
    return max(0, event.capacity - confirmed)


# -- door check-in (the QR code at the door) ------------------------------------------------

# The door opens a little before the event starts: people come early.
DOOR_OPENS_BEFORE = timedelta(minutes=30)
DOOR_EVENT = schemas.DoorEvent()
DOOR_CHECK_IN = schemas.DoorCheckInResult()
DOOR_CODES = schemas.DoorCodes()


def door_codes(session, event_id):
    """Staff: the event's door token (for the QR on the poster) and what the poster says."""
    event = get_event_row(session, event_id)
    _require_status(event, {"draft", "published"}, "print the door code")
    return DOOR_CODES.dump(Shown(event, event_id=event.id))


def _event_at_door(session, token):
    """The published event a door token opens; an unknown token (or an event no longer
    open) is 404 without saying which."""
    event = None
    if token:
        event = session.execute(select(Event).where(Event.door_token == token)) \
            .scalar_one_or_none()
    if event is None or event.status != "published":
        raise NotFound("door_code_unknown", {"token": ["unknown"]})
    return event


def door_window(event):
    start, end = times.from_storage(event.start), times.from_storage(event.end)
    return start - DOOR_OPENS_BEFORE, end


def door_event(session, token, now=None):
    """What the door page shows before the resident types anything: the event and
    whether check-in is open now. Nothing about any person."""
    event = _event_at_door(session, token)
    opens, closes = door_window(event)
    now = now or times.now()
    return DOOR_EVENT.dump(Shown(event, event_id=event.id, opens_at=opens,
                                 open=opens <= now <= closes))


def door_check_in(uow, crypto, token, data, now=None):
    """A resident checks in by the door code during the event (from DOOR_OPENS_BEFORE
    its start to its end): by the phone they registered with, or as a walk-in with a
    name and phone. The answer names the event only, never the person."""
    data = load(schemas.DoorCheckIn, data)
    event = _event_at_door(uow.session, token)
    opens, closes = door_window(event)
    now = now or times.now()
    if not opens <= now <= closes:
        when = times.local(opens).strftime("%m月%d日 %H:%M")
        until = times.local(closes).strftime("%m月%d日 %H:%M")
        raise ValidationFailed("door_check_in_closed",
                               {"time": [msg("door_check_in_window", when=when, until=until)]},
                               when=when, until=until)
    attendance = {"phone": data["phone"], "walk_in": data["walk_in"]}
    if data["walk_in"]:
        attendance.update(name=data["name"], target_group=data["target_group"],
                          compound=data.get("compound"))
    try:
        recorded = record_attendance(uow, crypto, event.id, attendance)
    except ValidationFailed as refused:
        if "phone" in (refused.details or {}):
            raise ValidationFailed("door_phone_not_registered",
                                   {"phone": ["not_registered_for_this_event"]}) from None
        raise
    except Conflict as refused:
        if refused.key != "attendance_already_recorded":
            raise
        raise Conflict("door_already_checked_in", {"phone": ["checked_in"]}) from None
    return DOOR_CHECK_IN.dump(SimpleNamespace(
        event_id=event.id, title=event.title, walk_in=recorded["walk_in"],
        attended_at=times.parse(recorded["attended_at"])))


# -- feedback ----------------------------------------------------------------------------

def submit_feedback(uow, crypto, event_id, data, staff=False):
    """Score 1–5 and a comment, once per attendee, after the event is completed."""
    data = load(schemas.EventFeedbackCreate, data)
    session = uow.session
    event = get_event_row(session, event_id)
    _require_status(event, {"completed"}, "give feedback")
    att = None
    if data.get("attendance_id"):
        if not staff:
            raise ValidationFailed("feedback_by_attendance_staff_only",
                                   {"attendance_id": ["staff_only_give_your_phone"]})
        att = session.get(Attendance, data["attendance_id"])
        if att is None or att.event_id != event.id:
            raise ValidationFailed("attendance_not_of_event",
                                   {"attendance_id": ["not_attendance_of_event"]})
    else:
        resident = find_resident(session, crypto, data["phone"])
        if resident is not None:
            att = session.execute(select(Attendance).where(
                Attendance.event_id == event.id,
                Attendance.resident_id == resident.id)).scalar_one_or_none()
        if att is None:
            raise ValidationFailed("feedback_attendees_only",
                                   {"phone": ["did_not_attend_this_event"]})
    existing = session.execute(select(Feedback.id).where(
        Feedback.attendance_id == att.id)).first()
    if existing:
        raise Conflict("feedback_already_given", {"feedback_id": existing[0]})
    feedback = Feedback(event_id=event.id, attendance_id=att.id, score=data["score"],
                        comment=data.get("comment"), created_at=times.now())
    session.add(feedback)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("feedback_already_given", {}) from None
    uow.emit("feedback_submitted", {"feedback_id": feedback.id, "event_id": event.id,
                                    "score": feedback.score, "plan": event.plan,
                                    "kind": event.kind, "event_start": event.start})
    return FEEDBACK.dump(feedback)


# -- ideas (金点子) ------------------------------------------------------------------------

def submit_idea(uow, crypto, data):
    data = load(schemas.IdeaCreate, data)
    session = uow.session
    resident = resident_for_phone(session, crypto, data["phone"])
    idea = Idea(title=data["title"], description=data.get("description"),
                category=data["category"], compound=data.get("compound"),
                resident_id=resident.id,
                name_enc=crypto.encrypt(data["name"]) if data.get("name") else None,
                status="submitted", votes=0, created_at=times.now())
    session.add(idea)
    session.flush()
    uow.emit("idea_submitted", {"idea_id": idea.id, "category": idea.category,
                                "compound": idea.compound, "submitted_at": idea.created_at})
    return IDEA.dump(idea)


def get_idea_row(session, idea_id, lock=False):
    query = select(Idea).where(Idea.id == _row_id(idea_id, "idea"))
    if lock:
        query = query.with_for_update()
    idea = session.execute(query).scalar_one_or_none()
    if idea is None:
        raise NotFound("idea_not_found", {"idea_id": idea_id}, idea_id=idea_id)
    return idea


def get_idea(session, idea_id):
    return IDEA.dump(get_idea_row(session, idea_id))


def list_ideas(session, query=None):
    """Ideas (``schemas.IdeaQuery``): the newest first, or the most voted."""
    q = load_input(IDEA_QUERY, query)
    order = (Idea.votes.desc(), Idea.id) if q["sort"] == "votes" else (Idea.id.desc(),)
    statement = select(Idea).order_by(*order)
    for field in ("status", "category", "compound"):
        if q.get(field):
            statement = statement.where(getattr(Idea, field) == q[field])
    return paginate(session, statement, q["page"], q["per_page"], IDEA.dump)


def vote_idea(uow, crypto, idea_id, data):
    """One vote per resident (by the keyed hash of their phone) per idea."""
    data = load(schemas.IdeaVoteCreate, data)
    session = uow.session
    idea = get_idea_row(session, idea_id, lock=True)
    if idea.status != "submitted":
        raise Conflict("voting_closed", {"status": idea.status}, status=idea.status)
    resident = resident_for_phone(session, crypto, data["phone"])
    voted = session.execute(select(IdeaVote.id).where(
        IdeaVote.idea_id == idea.id, IdeaVote.resident_id == resident.id)).first()
    if voted:
        raise Conflict("phone_already_voted",
                       {"phone": ["already_voted"], "idea_id": idea.id})
    try:
        with session.begin_nested():
            session.add(IdeaVote(idea_id=idea.id, resident_id=resident.id,
                                 created_at=times.now()))
            session.flush()
    except IntegrityError:
        raise Conflict("phone_already_voted",
                       {"phone": ["already_voted"], "idea_id": idea.id}) from None
    idea.votes = session.execute(select(func.count()).where(
        IdeaVote.idea_id == idea.id)).scalar_one()
    uow.emit("idea_voted", {"idea_id": idea.id, "votes": idea.votes})
    return {"idea_id": idea.id, "votes": idea.votes}


# -- joint meetings: decisions and action items ------------------------------------------

def is_overdue(item, today):
    return item.status in OPEN_ACTION_STATUSES and item.due_date < today


def _action_shown(item, event_id, today):
    return Shown(item, event_id=event_id, overdue=is_overdue(item, today))


def _decision_shown(session, decision, today):
    items = session.execute(select(ActionItem).where(ActionItem.decision_id == decision.id)
                            .order_by(ActionItem.id)).scalars().all()
    return Shown(decision, action_items=ACTION_ITEM.dump(
        [_action_shown(i, decision.event_id, today) for i in items], many=True))


def record_decision(uow, event_id, data, created_by="unknown",
                    schema=schemas.MeetingDecisionCreate):
    """A joint meeting's decision; it may adopt an idea, and creates its action items."""
    if schema is not None:
        data = load(schema, data)
    session = uow.session
    event = get_event_row(session, event_id, lock=True)
    if event.kind != "joint_meeting":
        raise Conflict("decisions_only_at_joint_meeting",
                       {"event_id": event.id, "kind": event.kind})
    _require_status(event, {"published", "completed"}, "record a decision")
    idea = None
    if data.get("idea_id"):
        try:
            idea = get_idea_row(session, data["idea_id"], lock=True)
        except NotFound:
            raise ValidationFailed("no_such_idea", {"idea_id": ["not_found"]}) from None
        if idea.status == "adopted":
            raise Conflict("idea_already_adopted",
                           {"idea_id": idea.id, "decision_id": idea.decision_id})
    decision = Decision(event_id=event.id, summary=data["summary"],
                        idea_id=idea.id if idea else None, created_by=created_by,
                        created_at=times.now())
    session.add(decision)
    session.flush()
    stamp = times.now()
    items = []
    for spec in data.get("action_items") or []:
        item = ActionItem(decision_id=decision.id, title=spec["title"], owner=spec["owner"],
                          due_date=spec["due_date"], status="open", created_at=stamp,
                          updated_at=stamp)
        session.add(item)
        items.append(item)
    session.flush()
    if idea is not None:
        idea.status = "adopted"
        idea.decision_id = decision.id
        idea.adopted_at = stamp
        uow.emit("idea_adopted", {"idea_id": idea.id, "decision_id": decision.id,
                                  "meeting_event_id": event.id, "adopted_at": stamp})
    uow.emit("decision_recorded", {"decision_id": decision.id, "meeting_event_id": event.id,
                                   "idea_id": decision.idea_id,
                                   "action_item_ids": [i.id for i in items]})
    for item in items:
        uow.emit("action_item_updated", {"action_item_id": item.id,
                                         "decision_id": decision.id, "status": "open",
                                         "previous_status": None, "due_date": item.due_date})
    return DECISION.dump(_decision_shown(session, decision, _today()))


def adopt_idea(uow, idea_id, data, created_by="unknown"):
    """POST /ideas/{id}/adopt: a decision of the given joint meeting that adopts the idea."""
    data = load(schemas.IdeaAdopt, data)
    get_idea_row(uow.session, idea_id)
    decision = {"summary": data["summary"], "idea_id": int(idea_id),
                "action_items": data.get("action_items") or []}
    return record_decision(uow, data["event_id"], decision, created_by, schema=None)


def list_action_items(session, query=None, today=None):
    """Action items by due date (``schemas.ActionItemQuery``); ``status`` may be
    ``overdue``: open or in progress and due before today (the community's day)."""
    q = load_input(ACTION_ITEM_QUERY, query)
    today = today or _today()
    statement = select(ActionItem, Decision.event_id).join(
        Decision, Decision.id == ActionItem.decision_id) \
        .order_by(ActionItem.due_date, ActionItem.id)
    if q.get("status") == "overdue":
        statement = statement.where(ActionItem.status.in_(OPEN_ACTION_STATUSES),
                                    ActionItem.due_date < today)
    elif q.get("status"):
        statement = statement.where(ActionItem.status == q["status"])
    if q.get("event_id"):
        statement = statement.where(Decision.event_id == q["event_id"])
    return paginate(session, statement, q["page"], q["per_page"],
                    lambda row: ACTION_ITEM.dump(_action_shown(row[0], row[1], today)),
                    scalars=False)


def update_action_item(uow, item_id, data, today=None):
    data = load(schemas.ActionItemUpdate, data)
    session = uow.session
    item = session.execute(select(ActionItem).where(
        ActionItem.id == _row_id(item_id, "action_item")).with_for_update()).scalar_one_or_none()
    if item is None:
        raise NotFound("action_item_not_found", {"action_item_id": item_id}, item_id=item_id)
    previous = item.status
    new_status = data.get("status", previous)
    if new_status != previous and new_status not in ACTION_TRANSITIONS[previous]:
        raise Conflict("action_item_transition_refused",
                       {"status": previous, "allowed": sorted(ACTION_TRANSITIONS[previous])},
                       previous=previous, new_status=new_status)
    if previous in ("done", "cancelled") and (set(data) - {"note"}):
        raise Conflict("action_item_is", {"status": previous}, previous=previous)
    due_changed = "due_date" in data and data["due_date"] != item.due_date
    for field in ("owner", "due_date", "note"):
        if field in data:
            setattr(item, field, data[field])
    item.status = new_status
    item.updated_at = times.now()
    if new_status in ("done", "cancelled") and previous != new_status:
        item.closed_at = item.updated_at
    session.flush()
    if new_status != previous or due_changed:
        uow.emit("action_item_updated", {"action_item_id": item.id,
                                         "decision_id": item.decision_id,
                                         "status": item.status, "previous_status": previous,
                                         "due_date": item.due_date})
    event_id = session.execute(select(Decision.event_id).where(
        Decision.id == item.decision_id)).scalar_one()
    return ACTION_ITEM.dump(_action_shown(item, event_id, today or _today()))


# -- booking releases (no orphan bookings) -----------------------------------------------

def queue_release(session, booking_id, event_id, reason):
    """Record that a booking must be released; idempotent per booking."""
    existing = session.execute(select(BookingRelease.id).where(
        BookingRelease.booking_id == booking_id)).first()
    if existing is None:
        session.execute(insert(BookingRelease).values(
            booking_id=booking_id, event_id=event_id, reason=reason, attempts=0,
            created_at=times.now()))
    return booking_id


def pending_releases(session, limit=50):
    return session.execute(select(BookingRelease.booking_id).where(
        BookingRelease.released_at.is_(None)).order_by(BookingRelease.id)
        .limit(limit)).scalars().all()


def mark_release(session, booking_id, released):
    release = session.execute(select(BookingRelease).where(
        BookingRelease.booking_id == booking_id)).scalar_one_or_none()
    if release is None:
        return
    release.attempts = (release.attempts or 0) + 1
    if released:
        release.released_at = times.now()


def record_uncertain_booking(session, request):
    """book_venue timed out for ``request``: remember it so the timer can find and release
    a booking that resources made after we stopped waiting."""
    session.add(UncertainBooking(
        venue_id=request["venue_id"], start=times.parse(request["start"]),
        end=times.parse(request["end"]), purpose=request["purpose"], attempts=0,
        created_at=times.now()))


def pending_uncertain_bookings(session, older_than, limit=20):
    return session.execute(select(UncertainBooking).where(
        UncertainBooking.resolved_at.is_(None), UncertainBooking.created_at < older_than)
        .order_by(UncertainBooking.id).limit(limit)).scalars().all()


def orphans_of(session, uncertain, bookings, window):
    """Which of the venue's bookings (as list_venue_bookings gives them) are the one the
    timed-out call made: same slot and purpose, made within ``window`` of the call, and
    not the booking of any event of ours."""
    found = []
    made_by = times.from_storage(uncertain.created_at) + window
    for booking in bookings:
        try:
            same = (times.parse(booking["start"]) == times.from_storage(uncertain.start)
                    and times.parse(booking["end"]) == times.from_storage(uncertain.end)
                    and booking.get("purpose") == uncertain.purpose
                    and not booking.get("event_id")
                    and booking.get("status", "active") == "active"
                    and times.parse(booking["created_at"]) <= made_by)
        except (KeyError, TypeError, ValueError):
            continue
        if same and session.execute(select(Event.id).where(
                Event.booking_id == int(booking["id"]))).first() is None:
            found.append(int(booking["id"]))
    return found


def note_uncertain(session, uncertain_id, resolved, max_attempts=5):
    row = session.get(UncertainBooking, uncertain_id)
    row.attempts = (row.attempts or 0) + 1
    if resolved or row.attempts >= max_attempts:
        row.resolved_at = times.now()
