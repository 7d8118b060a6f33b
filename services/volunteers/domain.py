"""The volunteers service's logic: plain functions over a session (reads) or a unit of
work (writes and their facts), testable without a broker. Inputs and list queries are
loaded with the schemas in schemas.py (list functions take one ``query`` dict); answers are
dumps of its output schemas; times follow ``common.times``.

Concurrency: every write that depends on what it has just read takes a row lock on the
record it hangs off (the shift for sign-ups, the volunteer for clashes and for the
certificates that must follow their ledger, the entry for decisions): ``SELECT ... FOR
UPDATE`` on PostgreSQL; on SQLite every transaction begins IMMEDIATE (common.db), which
serialises writers anyway.
"""
import hmac
import re
import secrets
import uuid
from datetime import datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from common import pii, times
from common.db import paginate
from common.errors import Conflict, Forbidden, NotFound, ValidationFailed, load_input
from common.schemas import RowAnswer as _Answer
from common.messages import msg
from services.volunteers import schemas
from services.volunteers.models import (Application, Certificate, HoursEntry, Shift, Signup,
                                        Team, TeamMember, Volunteer)

AUTO_CLOSE_GRACE_MINUTES = 30
CHECK_IN_EARLY_MINUTES = 120
ACTIVE_SIGNUP = ("confirmed", "waitlisted")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


# -- helpers -------------------------------------------------------------------------

_load = load_input  # common.errors: validate, or 422 naming the fields

# Answers are the output schemas' dumps (one instance of each, built once).
VOLUNTEER = schemas.Volunteer()
AVAILABLE_VOLUNTEER = schemas.AvailableVolunteer()
TEAM = schemas.Team()
SHIFT = schemas.Shift()
SIGNUP = schemas.Signup()
HOURS_ENTRY = schemas.HoursEntry()
CERTIFICATE = schemas.Certificate()
CERTIFICATE_DOCUMENT = schemas.CertificateDocument()
VERIFIED = schemas.CertificateVerification(
    exclude=("current_hours", "superseded_at", "replaced_by"))
SUPERSEDED = schemas.CertificateVerification()
APPLICATION = schemas.Application()
APPLICATION_RECEIPT = schemas.ApplicationReceipt()


def _where_in_python(session, statement, model, keep):
    """``statement`` narrowed by ``keep(row)``, a test the database cannot run (a skill in
    a JSON list, an encrypted name: a community has hundreds of rows), for ``paginate``."""
    ids = [row.id for row in session.execute(statement).scalars() if keep(row)]
    return statement.where(model.id.in_(ids))


def _locked(session, model, ident, what):
    row = session.execute(select(model).where(model.id == ident).with_for_update()
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:
        raise NotFound("record_not_found", {"id": ident}, what=what, ident=ident)
    return row


def _get(session, model, ident, what):
    row = session.get(model, ident)
    if row is None:
        raise NotFound("record_not_found", {"id": ident}, what=what, ident=ident)
    return row


def _flush_unique(session, message, field="phone"):
    """Flush; a unique constraint hit by a concurrent writer (PostgreSQL: the check
    before and the insert are not one step) is a 409, not a 500."""
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(message, {field: ["already_registered"]}) from None


# -- registry ------------------------------------------------------------------------

def _team_ids(session, volunteer_ids):
    result = {vid: [] for vid in volunteer_ids}
    if volunteer_ids:
        for team_id, vid in session.execute(
                select(TeamMember.team_id, TeamMember.volunteer_id)
                .where(TeamMember.volunteer_id.in_(volunteer_ids))
                .order_by(TeamMember.team_id)):
            result[vid].append(team_id)
    return result


def _volunteer_answer(volunteer, crypto, team_ids=(), reveal=False):
    """Personal data decrypted, phone and ID number masked unless revealed."""
    phone = crypto.decrypt(volunteer.phone_enc)
    id_number = crypto.decrypt(volunteer.id_number_enc)
    return VOLUNTEER.dump(_Answer(
        volunteer, name=crypto.decrypt(volunteer.name_enc),
        phone=phone if reveal else pii.mask_phone(phone),
        id_number=id_number if reveal else pii.mask_id_number(id_number),
        team_ids=list(team_ids)))


def _check_unique_pii(session, phone_hash=None, id_hash=None, exclude_id=None):
    for column, value, field in ((Volunteer.phone_hash, phone_hash, "phone"),
                                 (Volunteer.id_number_hash, id_hash, "id_number")):
        if value is None:
            continue
        # The two columns the answer names, not a whole volunteer: no object is built
        # for a check that finds nobody on almost every write.
        query = select(Volunteer.id, Volunteer.number).where(column == value)
        if exclude_id is not None:
            query = query.where(Volunteer.id != exclude_id)
        existing = session.execute(query).first()
        if existing is not None:
            raise Conflict("field_registered_to_volunteer",
                           {field: ["already_registered"], "volunteer_id": existing.id,
                            "volunteer_number": existing.number}, field=field,
                           number=existing.number)


def register_volunteer(uow, crypto, data):
    data = _load(schemas.VolunteerCreate, data)
    session = uow.session
    phone_hash = crypto.lookup_hash(data["phone"])
    id_hash = crypto.lookup_hash(data["id_number"]) if data.get("id_number") else None
    _check_unique_pii(session, phone_hash, id_hash)
    volunteer = Volunteer(
        number=uuid.uuid4().hex[:20],  # replaced by V<id> below, once the id is known
        name_enc=crypto.encrypt(data["name"].strip()),
        phone_enc=crypto.encrypt(pii.normalise(data["phone"])), phone_hash=phone_hash,
        id_number_enc=crypto.encrypt(pii.normalise(data["id_number"]))
        if data.get("id_number") else None,
        id_number_hash=id_hash, gender=data["gender"], birth_year=data["birth_year"],
        compound=data["compound"], skills=sorted(set(data["skills"])), talent=data["talent"],
        availability=data["availability"], status="active", created_at=times.now())
    session.add(volunteer)
    _flush_unique(session, msg("phone_or_id_number_already_registered"))
    volunteer.number = f"V{volunteer.id:06d}"
    session.flush()
    uow.emit("volunteer_registered", {
        "volunteer_id": volunteer.id, "volunteer_number": volunteer.number,
        "compound": volunteer.compound, "skills": volunteer.skills,
        "talent": volunteer.talent, "registered_at": volunteer.created_at,
    })
    return _volunteer_answer(volunteer, crypto)


def update_volunteer(uow, crypto, volunteer_id, data):
    data = _load(schemas.VolunteerUpdate, data)
    session = uow.session
    volunteer = _locked(session, Volunteer, volunteer_id, "volunteer")
    changed = []
    if "phone" in data:
        phone_hash = crypto.lookup_hash(data["phone"])
        if phone_hash != volunteer.phone_hash:
            _check_unique_pii(session, phone_hash=phone_hash, exclude_id=volunteer.id)
            volunteer.phone_hash = phone_hash
            volunteer.phone_enc = crypto.encrypt(pii.normalise(data["phone"]))
            changed.append("phone")
    if "id_number" in data:
        value = data["id_number"]
        id_hash = crypto.lookup_hash(value) if value else None
        if id_hash != volunteer.id_number_hash:
            _check_unique_pii(session, id_hash=id_hash, exclude_id=volunteer.id)
            volunteer.id_number_hash = id_hash
            volunteer.id_number_enc = crypto.encrypt(pii.normalise(value)) if value else None
            changed.append("id_number")
    if "name" in data:
        name = data["name"].strip()
        if name != crypto.decrypt(volunteer.name_enc):
            volunteer.name_enc = crypto.encrypt(name)
            changed.append("name")
    if "skills" in data:
        data["skills"] = sorted(set(data["skills"]))
    for field in ("gender", "birth_year", "compound", "skills", "talent", "availability",
                  "status"):
        if field in data and data[field] != getattr(volunteer, field):
            setattr(volunteer, field, data[field])
            changed.append(field)
    if changed:
        volunteer.updated_at = times.now()
        _flush_unique(session, msg("phone_or_id_number_already_registered"))
        uow.emit("volunteer_updated", {
            "volunteer_id": volunteer.id, "changed_fields": changed,
            "status": volunteer.status, "compound": volunteer.compound,
            "skills": list(volunteer.skills or []), "talent": volunteer.talent,
        })
    return _volunteer_answer(volunteer, crypto, _team_ids(session, [volunteer.id])[volunteer.id])


def get_volunteer(session, crypto, volunteer_id, reveal=False):
    volunteer = _get(session, Volunteer, volunteer_id, "volunteer")
    return _volunteer_answer(volunteer, crypto, _team_ids(session, [volunteer.id])[volunteer.id],
                             reveal)


def list_volunteers(session, crypto, query=None):
    q = _load(schemas.VolunteerQuery, query)
    statement = select(Volunteer).order_by(Volunteer.id)
    if q.get("compound"):
        statement = statement.where(Volunteer.compound == q["compound"])
    if q.get("talent") is not None:
        statement = statement.where(Volunteer.talent.is_(q["talent"]))
    if q.get("status"):
        statement = statement.where(Volunteer.status == q["status"])
    search = q.get("q")
    if search and pii.is_phone(search):
        statement = statement.where(Volunteer.phone_hash == crypto.lookup_hash(search))
        search = None
    elif search and re.fullmatch(r"[Vv]\d{1,10}", search.strip()):
        statement = statement.where(Volunteer.number == f"V{int(search.strip()[1:]):06d}")
        search = None
    skill, name = q.get("skill"), (search or "").strip()
    if skill or name:
        # Names are encrypted at rest: a name search decrypts.
        statement = _where_in_python(
            session, statement, Volunteer,
            lambda v: (not skill or skill in v.skills)
            and (not name or name in crypto.decrypt(v.name_enc)))
    page = paginate(session, statement, q["page"], q["per_page"], render=lambda row: row)
    teams = _team_ids(session, [v.id for v in page["items"]])
    page["items"] = [_volunteer_answer(v, crypto, teams[v.id]) for v in page["items"]]
    return page


def _minutes_of(hhmm):
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def is_available(availability, start, end):
    """Does a weekly availability (local time) cover the window [start, end)? An empty
    availability means the volunteer declared none: flexible, always available."""
    if not availability:
        return True
    zone = times.zone()
    cursor = times.parse(start).astimezone(zone)
    end_local = times.parse(end).astimezone(zone)
    while cursor < end_local:
        day_end = datetime.combine(cursor.date() + timedelta(days=1), time(0), zone)
        segment_end = min(day_end, end_local)
        seg_from = cursor.hour * 60 + cursor.minute
        if segment_end == day_end:
            seg_to = 24 * 60
        else:
            seg_to = segment_end.hour * 60 + segment_end.minute + \
                (1 if segment_end.second or segment_end.microsecond else 0)
        weekday = cursor.isoweekday()
        if not any(slot["weekday"] == weekday and _minutes_of(slot["start"]) <= seg_from
                   and _minutes_of(slot["end"]) >= seg_to for slot in availability):
            return False
        cursor = segment_end
    return True


def _busy_volunteer_ids(session, start, end, exclude_shift_id=None):
    query = (select(Signup.volunteer_id).join(Shift, Shift.id == Signup.shift_id)
             .where(Signup.status.in_(ACTIVE_SIGNUP), Shift.status == "open",
                    Shift.start < end, Shift.end > start))
    if exclude_shift_id is not None:
        query = query.where(Shift.id != exclude_shift_id)
    return set(session.execute(query).scalars().all())


def available_volunteers(session, crypto, query):
    """Active volunteers having every skill asked for, whose weekly availability covers
    the window and who have no sign-up in an overlapping shift."""
    q = _load(schemas.AvailableQuery, query)
    start, end, skills = q["start"], q["end"], sorted(set(q["skills"]))
    busy = _busy_volunteer_ids(session, start, end)
    found = []
    for volunteer in session.execute(select(Volunteer).where(Volunteer.status == "active")
                                     .order_by(Volunteer.id)).scalars():
        if volunteer.id in busy or not set(skills) <= set(volunteer.skills):
            continue
        if not is_available(volunteer.availability, start, end):
            continue
        found.append(volunteer)
    found.sort(key=lambda v: (not v.talent, v.id))
    return {"items": [AVAILABLE_VOLUNTEER.dump(_Answer(
        v, name=pii.mask_name(crypto.decrypt(v.name_enc)),
        matching_skills=[s for s in skills if s in v.skills])) for v in found[:q["limit"]]],
        "total": len(found), "start": times.iso(start), "end": times.iso(end),
        "skills": skills}


def suggest_volunteers(session, skills, compound=None, limit=10):
    """For the resources service's need matching: active volunteers ranked by the number
    of matching skills, then living in the same compound (then 能人骨干 first). No PII."""
    wanted = set(skills or [])
    ranked = []
    for volunteer in session.execute(select(Volunteer).where(Volunteer.status == "active")
                                     ).scalars():
        matching = sorted(wanted & set(volunteer.skills or []))
        same_compound = bool(compound) and volunteer.compound == compound
        if wanted and not matching:
            continue
        if not wanted and compound and not same_compound:
            continue
        ranked.append((-len(matching), not same_compound, not volunteer.talent, volunteer.id,
                       volunteer, matching))
    ranked.sort(key=lambda r: r[:4])
    limit = max(1, min(int(limit or 10), 100))
    return [{"volunteer_id": v.id, "number": v.number, "skills": list(v.skills or []),
             "compound": v.compound, "matching_skills": matching,
             "matching_count": len(matching), "same_compound": bool(compound) and
             v.compound == compound, "talent": v.talent}
            for *_key, v, matching in ranked[:limit]]


# -- teams ---------------------------------------------------------------------------

def _team_answer(session, team):
    members = session.execute(
        select(Volunteer.id, Volunteer.number).join(TeamMember,
                                                    TeamMember.volunteer_id == Volunteer.id)
        .where(TeamMember.team_id == team.id).order_by(Volunteer.id)).all()
    leader = session.get(Volunteer, team.leader_id)
    return TEAM.dump(_Answer(team, leader_number=leader.number,
                             members=[{"id": vid, "number": number}
                                      for vid, number in members]))


def create_team(uow, data):
    data = _load(schemas.TeamCreate, data)
    session = uow.session
    if session.execute(select(Team).where(Team.name == data["name"])).first():
        raise Conflict("team_exists", {"name": ["already_taken"]}, name=data['name'])
    member_ids = sorted(set(data["member_ids"]) | {data["leader_id"]})
    found = set(session.execute(select(Volunteer.id).where(Volunteer.id.in_(member_ids)))
                .scalars().all())
    missing = [vid for vid in member_ids if vid not in found]
    if missing:
        field = "leader_id" if data["leader_id"] in missing else "member_ids"
        raise ValidationFailed("unknown_volunteers",
                               {field: [msg("no_volunteer", id=vid) for vid in missing]},
                               missing=missing)
    team = Team(name=data["name"], description=data["description"],
                leader_id=data["leader_id"], created_at=times.now())
    session.add(team)
    _flush_unique(session, msg("team_exists", name=data['name']), "name")
    for vid in member_ids:
        session.add(TeamMember(team_id=team.id, volunteer_id=vid))
    session.flush()
    return _team_answer(session, team)


def list_teams(session, query=None):
    q = _load(schemas.PageQuery, query)
    return paginate(session, select(Team).order_by(Team.id), q["page"], q["per_page"],
                    lambda team: _team_answer(session, team))


# -- shifts --------------------------------------------------------------------------

def _counts(session, shift_ids):
    counts = {sid: {"confirmed": 0, "waitlisted": 0} for sid in shift_ids}
    if shift_ids:
        for sid, status, n in session.execute(
                select(Signup.shift_id, Signup.status, func.count())
                .where(Signup.shift_id.in_(shift_ids), Signup.status.in_(ACTIVE_SIGNUP))
                .group_by(Signup.shift_id, Signup.status)):
            counts[sid][status] = n
    return counts


def _shift_answer(shift, counts=None):
    return SHIFT.dump(_Answer(shift, **(counts or {"confirmed": 0, "waitlisted": 0})))


def _open_shift(uow, name, skills, places, start, end, event_id=None, role_id=None,
                location=None):
    """``start`` and ``end``: aware instants."""
    shift = Shift(name=name, skills=list(skills), places=places, start=start, end=end,
                  event_id=event_id, role_id=role_id, location=location, status="open",
                  created_at=times.now())
    uow.session.add(shift)
    uow.session.flush()
    uow.emit("shift_opened", {
        "shift_id": shift.id, "event_id": event_id, "role_id": role_id,
        "start": shift.start, "end": shift.end, "places": places,
        "skills": list(shift.skills)})
    return shift


def create_shift(uow, data):
    data = _load(schemas.ShiftCreate, data)
    shift = _open_shift(uow, data["name"], sorted(set(data["skills"])), data["places"],
                        data["start"], data["end"], data["event_id"],
                        location=data["location"])
    return _shift_answer(shift)


def open_shift_for_role(uow, payload):
    """The events service asked for volunteers (``volunteer_role_added``): open a shift
    for the role, once (a role that already has its shift is left as it is)."""
    existing = uow.session.execute(select(Shift).where(Shift.role_id == payload["role_id"])
                                   ).scalar_one_or_none()
    if existing is not None:
        return _shift_answer(existing)
    start, end = times.parse(payload["start"]), times.parse(payload["end"])
    if end <= start:
        # Parked in the dead-letter queue for a person to look at, not silently dropped.
        raise ValueError(f"role {payload['role_id']} of event {payload['event_id']} ends "
                         f"before it starts")
    skills = sorted(set(s for s in payload["skills"] if s))
    shift = _open_shift(uow, payload["name"][:64], skills, payload["places"], start, end,
                        payload["event_id"], payload["role_id"])
    return _shift_answer(shift)


def cancel_event_shifts(uow, event_id, reason="event_cancelled"):
    """The event was cancelled: its shifts close and every sign-up that has not checked
    in is cancelled (no promotions). Checked-in volunteers keep their place so their
    check-out still records their hours."""
    session = uow.session
    shifts = session.execute(select(Shift).where(Shift.event_id == event_id,
                                                 Shift.status == "open")
                             .order_by(Shift.id).with_for_update()).scalars().all()
    cancelled = 0
    for shift in shifts:
        shift.status = "cancelled"
        signups = session.execute(select(Signup).where(
            Signup.shift_id == shift.id, Signup.status.in_(ACTIVE_SIGNUP),
            Signup.checked_in_at.is_(None)).order_by(Signup.id)).scalars().all()
        for signup in signups:
            was = signup.status
            signup.status = "cancelled"
            signup.cancelled_at = times.now()
            signup.cancel_reason = reason
            cancelled += 1
            uow.emit("shift_signup_cancelled", {
                "signup_id": signup.id, "shift_id": shift.id,
                "volunteer_id": signup.volunteer_id, "was_status": was,
                "event_id": shift.event_id, "shift_start": shift.start})
        session.flush()
        uow.emit("shift_cancelled", {"shift_id": shift.id, "event_id": shift.event_id,
                                     "role_id": shift.role_id, "reason": reason,
                                     "signups_cancelled": len(signups)})
    return {"shifts_cancelled": len(shifts), "signups_cancelled": cancelled}


def get_shift(session, shift_id):
    shift = _get(session, Shift, shift_id, "shift")
    return _shift_answer(shift, _counts(session, [shift.id])[shift.id])


def list_shifts(session, query=None):
    q = _load(schemas.ShiftQuery, query)
    statement = select(Shift).order_by(Shift.start, Shift.id)
    if q.get("event_id") is not None:
        statement = statement.where(Shift.event_id == q["event_id"])
    if q.get("status"):
        statement = statement.where(Shift.status == q["status"])
    if q.get("from"):
        statement = statement.where(Shift.end > q["from"])
    if q.get("to"):
        statement = statement.where(Shift.start < q["to"])
    skill = q.get("skill")
    if skill:
        statement = _where_in_python(session, statement, Shift, lambda s: skill in s.skills)
    page = paginate(session, statement, q["page"], q["per_page"], render=lambda row: row)
    counts = _counts(session, [s.id for s in page["items"]])
    page["items"] = [_shift_answer(s, counts[s.id]) for s in page["items"]]
    return page


# -- sign-ups ------------------------------------------------------------------------

def _waitlist_position(session, signup):
    if signup.status != "waitlisted":
        return None
    return session.execute(select(func.count()).select_from(Signup).where(
        Signup.shift_id == signup.shift_id, Signup.status == "waitlisted",
        Signup.id <= signup.id)).scalar_one()


def _signup_answer(session, signup, **extra):
    """``extra``: ``promoted_signup_id`` on a cancellation, ``hours_entry`` on a check-out."""
    return SIGNUP.dump(_Answer(signup, waitlist_position=_waitlist_position(session, signup),
                               **extra))


def _check_owner(volunteer_id, only_volunteer_id):
    if only_volunteer_id is not None and int(volunteer_id) != int(only_volunteer_id):
        raise Forbidden("volunteer_own_records_act")


def sign_up(uow, shift_id, data, only_volunteer_id=None):
    """Confirmed while places are left, then waitlisted in arrival order. 409 when the
    volunteer is already on this shift or on an overlapping one."""
    data = _load(schemas.SignupCreate, data)
    _check_owner(data["volunteer_id"], only_volunteer_id)
    session = uow.session
    # Lock order everywhere: shift, then volunteer.
    shift = _locked(session, Shift, shift_id, "shift")
    volunteer = session.execute(select(Volunteer).where(Volunteer.id == data["volunteer_id"])
                                .with_for_update()).scalar_one_or_none()
    if volunteer is None:
        raise ValidationFailed("volunteer_not_found",
                               {"volunteer_id": ["no_such_volunteer"]},
                               volunteer_id=data['volunteer_id'])
    if shift.status != "open":
        raise Conflict("shift_status", {"shift_id": shift.id,
                                                               "status": shift.status},
                                                              id=shift.id, status=shift.status)
    if only_volunteer_id is not None and times.from_storage(shift.end) <= times.now():
        raise Conflict("shift_over", {"shift_id": shift.id,
                                                     "end": times.iso(shift.end)}, id=shift.id)
    if volunteer.status != "active":
        raise Conflict("volunteer_status",
                       {"volunteer_id": volunteer.id, "status": volunteer.status},
                       number=volunteer.number, status=volunteer.status)
    existing = session.execute(select(Signup).where(
        Signup.shift_id == shift.id, Signup.volunteer_id == volunteer.id,
        Signup.status.in_(ACTIVE_SIGNUP))).scalar_one_or_none()
    if existing is not None:
        raise Conflict("volunteer_already_signed_up",
                       {"signup_id": existing.id, "shift_id": shift.id,
                        "status": existing.status}, number=volunteer.number)
    clash = session.execute(
        select(Signup, Shift).join(Shift, Shift.id == Signup.shift_id).where(
            Signup.volunteer_id == volunteer.id, Signup.status.in_(ACTIVE_SIGNUP),
            Shift.status == "open", Shift.id != shift.id,
            Shift.start < shift.end, Shift.end > shift.start).limit(1)).first()
    if clash is not None:
        other_signup, other_shift = clash
        raise Conflict("volunteer_overlapping_shift",
                       {"shift_id": other_shift.id, "signup_id": other_signup.id,
                        "start": times.iso(other_shift.start),
                        "end": times.iso(other_shift.end)}, number=volunteer.number,
                       id=other_shift.id)
    confirmed = session.execute(select(func.count()).select_from(Signup).where(
        Signup.shift_id == shift.id, Signup.status == "confirmed")).scalar_one()
    status = "confirmed" if confirmed < shift.places else "waitlisted"
    signup = Signup(shift_id=shift.id, volunteer_id=volunteer.id, status=status,
                    created_at=times.now())
    session.add(signup)
    session.flush()
    uow.emit("shift_signed_up", {"signup_id": signup.id, "shift_id": shift.id,
                                 "volunteer_id": volunteer.id, "status": status,
                                 "event_id": shift.event_id, "shift_start": shift.start})
    return _signup_answer(session, signup)


def _promote_first_waitlisted(uow, shift):
    session = uow.session
    confirmed = session.execute(select(func.count()).select_from(Signup).where(
        Signup.shift_id == shift.id, Signup.status == "confirmed")).scalar_one()
    if confirmed >= shift.places:
        return None
    first = session.execute(select(Signup).where(
        Signup.shift_id == shift.id, Signup.status == "waitlisted")
        .order_by(Signup.id).limit(1)).scalar_one_or_none()
    if first is None:
        return None
    first.status = "confirmed"
    first.promoted_at = times.now()
    session.flush()
    uow.emit("waitlist_promoted", {"signup_id": first.id, "shift_id": shift.id,
                                   "volunteer_id": first.volunteer_id,
                                   "event_id": shift.event_id, "shift_start": shift.start})
    return first


def cancel_signup(uow, signup_id, only_volunteer_id=None):
    """Cancel a place; a confirmed place goes to the first on the waitlist (once: the
    shift's row lock makes a second cancellation of the same sign-up a 409)."""
    session = uow.session
    peek = _get(session, Signup, signup_id, "sign-up")
    _check_owner(peek.volunteer_id, only_volunteer_id)
    shift = _locked(session, Shift, peek.shift_id, "shift")
    signup = _locked(session, Signup, signup_id, "sign-up")
    session.refresh(signup)
    if signup.status not in ACTIVE_SIGNUP:
        raise Conflict("signup_already",
                       {"signup_id": signup.id, "status": signup.status}, id=signup.id,
                       status=signup.status)
    if signup.checked_in_at is not None:
        raise Conflict("checked_in_signup_not_cancellable",
                       {"signup_id": signup.id,
                        "checked_in_at": times.iso(signup.checked_in_at)})
    was = signup.status
    signup.status = "cancelled"
    signup.cancelled_at = times.now()
    signup.cancel_reason = "cancelled"
    session.flush()
    uow.emit("shift_signup_cancelled", {"signup_id": signup.id, "shift_id": shift.id,
                                        "volunteer_id": signup.volunteer_id,
                                        "was_status": was, "event_id": shift.event_id,
                                        "shift_start": shift.start})
    promoted = _promote_first_waitlisted(uow, shift) if was == "confirmed" else None
    return _signup_answer(session, signup,
                          promoted_signup_id=promoted.id if promoted else None)


def get_signup(session, signup_id, only_volunteer_id=None):
    signup = _get(session, Signup, signup_id, "sign-up")
    _check_owner(signup.volunteer_id, only_volunteer_id)
    return _signup_answer(session, signup)


def list_signups(session, query=None):
    q = _load(schemas.SignupQuery, query)
    statement = select(Signup).order_by(Signup.id)
    if q.get("volunteer_id") is not None:
        statement = statement.where(Signup.volunteer_id == q["volunteer_id"])
    if q.get("shift_id") is not None:
        statement = statement.where(Signup.shift_id == q["shift_id"])
    if q.get("status"):
        statement = statement.where(Signup.status == q["status"])
    return paginate(session, statement, q["page"], q["per_page"],
                    lambda signup: _signup_answer(session, signup))


# -- hours ledger --------------------------------------------------------------------

def _record_entry(uow, **values):
    entry = HoursEntry(status="pending", created_at=times.now(), **values)
    uow.session.add(entry)
    uow.session.flush()
    uow.emit("hours_recorded", {
        "entry_id": entry.id, "volunteer_id": entry.volunteer_id,
        "shift_id": entry.shift_id, "event_id": entry.event_id, "minutes": entry.minutes,
        "source": entry.source, "corrects_entry_id": entry.corrects_entry_id,
        "service_date": entry.service_date, "flagged": bool(entry.flagged)})
    return entry


def _signup_for_attendance(session, signup_id, only_volunteer_id):
    peek = _get(session, Signup, signup_id, "sign-up")
    _check_owner(peek.volunteer_id, only_volunteer_id)
    signup = _locked(session, Signup, signup_id, "sign-up")
    session.refresh(signup)
    return signup, session.get(Shift, signup.shift_id)


def check_in(uow, signup_id, data=None, actor=None, only_volunteer_id=None, now=None):
    data = _load(schemas.CheckTime, data)
    session = uow.session
    signup, shift = _signup_for_attendance(session, signup_id, only_volunteer_id)
    if signup.status != "confirmed":
        raise Conflict("only_confirmed_signup_checks_in",
                       {"signup_id": signup.id, "status": signup.status}, status=signup.status)
    if shift.status != "open":
        raise Conflict("shift_status", {"shift_id": shift.id}, id=shift.id, status=shift.status)
    if signup.checked_in_at is not None:
        raise Conflict("already_checked_in",
                       {"signup_id": signup.id, "checked_in_at": times.iso(signup.checked_in_at)})
    at = data["at"] or now or times.now()
    start, end = times.from_storage(shift.start), times.from_storage(shift.end)
    if at < start - timedelta(minutes=CHECK_IN_EARLY_MINUTES):
        raise ValidationFailed("too_early_to_check_in",
                               {"at": [msg("check_in_window_before",
                                           minutes=CHECK_IN_EARLY_MINUTES,
                                           start=times.iso(start))]})
    if at >= end:
        raise ValidationFailed("the_shift_is_over",
                               {"at": [msg("must_be_before_shift_end", end=times.iso(end))]})
    signup.checked_in_at = at
    session.flush()
    return _signup_answer(session, signup)


def _close_attendance(uow, signup, shift, out_at, actor, grace_minutes):
    """Close a check-in: an hours entry, pending approval. A check-in still open past the
    shift's end plus the grace period is closed at the shift's end and flagged."""
    checked_in = times.from_storage(signup.checked_in_at)
    end = times.from_storage(shift.end)
    auto = out_at > end + timedelta(minutes=grace_minutes)
    if auto:
        out_at = max(end, checked_in)
    minutes = int((out_at - checked_in).total_seconds() // 60)
    signup.checked_out_at = out_at
    signup.auto_closed = auto
    entry = _record_entry(
        uow, volunteer_id=signup.volunteer_id, signup_id=signup.id, shift_id=shift.id,
        event_id=shift.event_id, minutes=minutes, service_date=times.local_date(checked_in),
        started_at=checked_in, ended_at=out_at, description=shift.name,
        source="auto_closed" if auto else "check_out", flagged=auto,
        flag_reason=f"no check-out by shift end + {grace_minutes} min; closed at shift end"
        if auto else None, recorded_by=actor or "system")
    signup.hours_entry_id = entry.id
    uow.session.flush()
    return entry


def check_out(uow, signup_id, data=None, actor=None, only_volunteer_id=None, now=None,
              grace_minutes=AUTO_CLOSE_GRACE_MINUTES):
    data = _load(schemas.CheckTime, data)
    session = uow.session
    signup, shift = _signup_for_attendance(session, signup_id, only_volunteer_id)
    if signup.checked_in_at is None:
        raise ValidationFailed("check_out_before_check_in",
                               {"checked_in_at": ["signup_not_checked_in"]})
    if signup.checked_out_at is not None:
        raise Conflict("already_checked_out", {"signup_id": signup.id,
                                               "hours_entry_id": signup.hours_entry_id})
    at = data["at"] or now or times.now()
    if at <= times.from_storage(signup.checked_in_at):
        raise ValidationFailed("check_out_after_check_in",
                               {"at": [msg("must_be_after_check_in",
                                           checked_in_at=times.iso(signup.checked_in_at))]})
    entry = _close_attendance(uow, signup, shift, at, actor, grace_minutes)
    return _signup_answer(session, signup, hours_entry=entry)


def auto_close_overdue(uow, now=None, grace_minutes=AUTO_CLOSE_GRACE_MINUTES):
    """Close every check-in still open past its shift's end plus the grace period (the
    service's timer calls this). Returns the entries recorded."""
    now = now or times.now()
    cutoff = now - timedelta(minutes=grace_minutes)
    session = uow.session
    rows = session.execute(
        select(Signup, Shift).join(Shift, Shift.id == Signup.shift_id).where(
            Signup.checked_in_at.is_not(None), Signup.checked_out_at.is_(None),
            Shift.end < cutoff).order_by(Signup.id).with_for_update(of=Signup)).all()
    entries = []
    for signup, shift in rows:
        if signup.checked_out_at is not None:
            continue
        entries.append(HOURS_ENTRY.dump(_close_attendance(uow, signup, shift, now, "system",
                                                          grace_minutes)))
    return entries


def _superseding(session, entry_id):
    """The approved correction that replaced an entry, if any."""
    return session.execute(select(HoursEntry).where(
        HoursEntry.corrects_entry_id == entry_id, HoursEntry.status == "approved")
        .limit(1)).scalar_one_or_none()


def record_hours(uow, data, actor=None, only_volunteer_id=None):
    """A manual entry (it needs a reason) or a correction of an earlier entry: a new
    entry that references the old one; the old one is never changed."""
    data = _load(schemas.HoursCreate, data)
    _check_owner(data["volunteer_id"], only_volunteer_id)
    if data["minutes"] == 0 and data["corrects_entry_id"] is None:
        raise ValidationFailed("manual_entry_no_time",
                               {"minutes": ["at_least_one_minute"]})
    session = uow.session
    if session.get(Volunteer, data["volunteer_id"]) is None:
        raise ValidationFailed("volunteer_not_found",
                               {"volunteer_id": ["no_such_volunteer"]},
                               volunteer_id=data['volunteer_id'])
    shift = None
    if data["shift_id"] is not None:
        shift = session.get(Shift, data["shift_id"])
        if shift is None:
            raise ValidationFailed("shift_not_found",
                                   {"shift_id": ["no_such_shift"]}, shift_id=data['shift_id'])
    corrected = None
    if data["corrects_entry_id"] is not None:
        corrected = session.execute(select(HoursEntry).where(
            HoursEntry.id == data["corrects_entry_id"]).with_for_update()).scalar_one_or_none()
        if corrected is None:
            raise ValidationFailed("hours_entry_not_found",
                                   {"corrects_entry_id": ["no_such_entry"]},
                                   corrects_entry_id=data['corrects_entry_id'])
        if corrected.volunteer_id != data["volunteer_id"]:
            raise ValidationFailed("correction_for_same_volunteer",
                                   {"volunteer_id": [msg("entry_belongs_another_volunteer",
                                                         id=corrected.id)]})
        newer = _superseding(session, corrected.id)
        if newer is not None:
            raise Conflict("entry_already_corrected_correct_that",
                           {"corrects_entry_id": corrected.id,
                                                 "corrected_by": newer.id}, id=corrected.id,
                                                id_1=newer.id)
        if shift is None and corrected.shift_id:
            shift = session.get(Shift, corrected.shift_id)
    entry = _record_entry(
        uow, volunteer_id=data["volunteer_id"], signup_id=corrected.signup_id if corrected
        else None, shift_id=shift.id if shift else None,
        event_id=shift.event_id if shift else (corrected.event_id if corrected else None),
        minutes=data["minutes"], service_date=data["service_date"],
        description=data["description"] or (shift.name if shift else
                                             (corrected.description if corrected else None)),
        reason=data["reason"].strip(), corrects_entry_id=corrected.id if corrected else None,
        source="correction" if corrected else "manual", flagged=False, recorded_by=actor)
    return HOURS_ENTRY.dump(entry)


def _entry_to_decide(session, entry_id, actor, actor_volunteer_id):
    """A pending entry, locked, that this actor may decide. Separation of duties: nobody
    (an admin neither) decides an entry they recorded, or the service of the volunteer
    their own account is linked to."""
    entry = _locked(session, HoursEntry, entry_id, "hours entry")
    session.refresh(entry)
    if entry.status != "pending":
        raise Conflict("hours_entry_already",
                       {"entry_id": entry.id, "status": entry.status,
                        "decided_by": entry.decided_by}, id=entry.id, status=entry.status)
    if actor is not None and entry.recorded_by == actor:
        raise Forbidden("hours_entry_own_record", {"entry_id": entry.id, "recorded_by": actor},
                        id=entry.id)
    if actor_volunteer_id is not None and int(actor_volunteer_id) == entry.volunteer_id:
        raise Forbidden("hours_entry_own_service",
                        {"entry_id": entry.id, "volunteer_id": entry.volunteer_id}, id=entry.id)
    return entry


def approve_hours(uow, entry_id, actor=None, reason=None, actor_volunteer_id=None):
    """Approve a pending entry. ``counted_minutes`` in the fact is what this approval
    changes in the volunteer's approved total: the entry's minutes, or for a correction
    the difference from the entry it corrects if that one was approved. The volunteer's
    certificates covering a date whose count this changes are superseded."""
    session = uow.session
    entry = _entry_to_decide(session, entry_id, actor, actor_volunteer_id)
    newer = _superseding(session, entry.id)
    if newer is not None:
        raise Conflict("entry_replaced_by_correction",
                       {"entry_id": entry.id, "corrected_by": newer.id}, id=entry.id,
                       id_1=newer.id)
    counted = entry.minutes
    replaced = None  # the approved entry this one replaces in the count
    if entry.corrects_entry_id is not None:
        old = _locked(session, HoursEntry, entry.corrects_entry_id, "hours entry")
        session.refresh(old)
        other = _superseding(session, old.id)
        if other is not None:
            raise Conflict("entry_already_corrected",
                           {"corrects_entry_id": old.id, "corrected_by": other.id}, id=old.id,
                           id_1=other.id)
        if old.status == "approved":
            counted = entry.minutes - old.minutes
            replaced = old
    entry.status = "approved"
    entry.decided_by = actor
    entry.decided_at = times.now()
    entry.decision_reason = reason
    session.flush()
    uow.emit("hours_approved", {
        "entry_id": entry.id, "volunteer_id": entry.volunteer_id, "minutes": entry.minutes,
        "counted_minutes": counted, "corrects_entry_id": entry.corrects_entry_id,
        "event_id": entry.event_id, "service_date": entry.service_date})
    _supersede_certificates(uow, entry, replaced)
    return HOURS_ENTRY.dump(_Answer(entry, counted_minutes=counted))


def reject_hours(uow, entry_id, actor=None, reason=None, actor_volunteer_id=None):
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("rejection_needs_reason", {"reason": ["required"]})
    session = uow.session
    entry = _entry_to_decide(session, entry_id, actor, actor_volunteer_id)
    entry.status = "rejected"
    entry.decided_by = actor
    entry.decided_at = times.now()
    entry.decision_reason = reason
    session.flush()
    uow.emit("hours_rejected", {"entry_id": entry.id, "volunteer_id": entry.volunteer_id,
                                "minutes": entry.minutes, "service_date": entry.service_date})
    return HOURS_ENTRY.dump(entry)


def list_hours(session, query=None):
    q = _load(schemas.HoursQuery, query)
    statement = select(HoursEntry).order_by(HoursEntry.id)
    if q.get("volunteer_id") is not None:
        statement = statement.where(HoursEntry.volunteer_id == q["volunteer_id"])
    if q.get("status"):
        statement = statement.where(HoursEntry.status == q["status"])
    if q.get("flagged") is not None:
        statement = statement.where(HoursEntry.flagged.is_(q["flagged"]))
    return paginate(session, statement, q["page"], q["per_page"], HOURS_ENTRY.dump)


def effective_approved_entries(session, volunteer_id, period_from=None, period_to=None):
    """Approved entries that count now: an approved entry replaced by an approved
    correction no longer does (its correction does instead)."""
    replaced = select(HoursEntry.corrects_entry_id).where(
        HoursEntry.status == "approved", HoursEntry.corrects_entry_id.is_not(None))
    query = select(HoursEntry).where(HoursEntry.volunteer_id == volunteer_id,
                                     HoursEntry.status == "approved",
                                     HoursEntry.id.not_in(replaced))
    if period_from:
        query = query.where(HoursEntry.service_date >= period_from)
    if period_to:
        query = query.where(HoursEntry.service_date <= period_to)
    return session.execute(query.order_by(HoursEntry.service_date, HoursEntry.id)
                           ).scalars().all()


def approved_minutes(session, volunteer_id, period_from=None, period_to=None):
    return sum(e.minutes for e in effective_approved_entries(session, volunteer_id,
                                                             period_from, period_to))


# -- certificates --------------------------------------------------------------------

def _certificate_answer(cert, crypto, volunteer, schema=CERTIFICATE, **extra):
    return schema.dump(_Answer(cert, volunteer_number=volunteer.number,
                               verification_code=crypto.decrypt(cert.code_enc), **extra))


def _period_minutes(session, cert):
    """The approved minutes the ledger counts for a certificate's volunteer and period now."""
    return approved_minutes(session, cert.volunteer_id, cert.period_from, cert.period_to)


def _supersede_certificates(uow, entry, replaced=None):
    """An approval changes what the ledger counts on the entry's service date (and, for a
    correction of a counted entry, on that entry's date): every valid certificate of the
    volunteer covering one of those dates no longer states the ledger's figure. The
    volunteer's lock serialises this with issuing, so no certificate escapes."""
    session = uow.session
    _locked(session, Volunteer, entry.volunteer_id, "volunteer")
    dates = {entry.service_date} | ({replaced.service_date} if replaced is not None else set())
    covering = or_(*[and_(Certificate.period_from <= day, Certificate.period_to >= day)
                     for day in sorted(dates)])
    certificates = session.execute(select(Certificate).where(
        Certificate.volunteer_id == entry.volunteer_id, Certificate.status == "valid",
        covering).order_by(Certificate.id).execution_options(populate_existing=True)
    ).scalars().all()
    now = times.now()
    why = f"hours entry {entry.id} approved" + (
        f", correcting entry {replaced.id}" if replaced is not None else "")
    for cert in certificates:
        current = _period_minutes(session, cert)
        cert.status = "superseded"
        cert.superseded_at = now
        cert.superseded_by_entry_id = entry.id
        cert.superseded_reason = (f"{why}: the ledger counts {current} min for the period, "
                                  f"the certificate states {cert.approved_minutes}")
        uow.emit("certificate_superseded", {
            "certificate_number": cert.number, "volunteer_id": cert.volunteer_id,
            "period_from": cert.period_from, "period_to": cert.period_to,
            "approved_minutes": cert.approved_minutes, "current_minutes": current,
            "entry_id": entry.id, "superseded_at": now})
    session.flush()


def _issue(uow, crypto, volunteer, period_from, period_to, issuer, community_id, actor,
           today, replaces=None):
    """A certificate of the approved hours the ledger counts in the period, entry by
    entry with who recorded and who approved each. The caller holds the volunteer's lock."""
    session = uow.session
    entries = effective_approved_entries(session, volunteer.id, period_from, period_to)
    total = sum(e.minutes for e in entries)
    if total <= 0:
        raise ValidationFailed("no_approved_hours_in_this_period",
                               {"period_from": ["no_approved_hours_between"]})
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    issued_on = today or times.local_today()
    cert = Certificate(
        number=uuid.uuid4().hex[:40], volunteer_id=volunteer.id,
        period_from=period_from, period_to=period_to, approved_minutes=total,
        services=[{"entry_id": e.id, "date": e.service_date.isoformat(),
                   "description": e.description or "志愿服务", "minutes": e.minutes,
                   "recorded_by": e.recorded_by, "decided_by": e.decided_by}
                  for e in entries if e.minutes > 0],
        issuer=issuer, issued_on=issued_on, issued_at=times.now(), issued_by=actor,
        code_enc=crypto.encrypt(code), code_hash=crypto.lookup_hash(code), status="valid",
        replaces=replaces)
    session.add(cert)
    session.flush()
    cert.number = f"ZYFW-{community_id.upper()}-{issued_on.year}-{cert.id:06d}"
    session.flush()
    uow.emit("certificate_issued", {
        "certificate_number": cert.number, "volunteer_id": volunteer.id,
        "period_from": cert.period_from, "period_to": cert.period_to,
        "approved_minutes": total, "issued_at": cert.issued_at, "replaces": replaces})
    return cert


def issue_certificate(uow, crypto, volunteer_id, data, issuer, community_id, actor=None,
                      today=None):
    """A 志愿服务证明 for a period: the approved hours that count, service by service."""
    data = _load(schemas.CertificateCreate, data)
    volunteer = _locked(uow.session, Volunteer, volunteer_id, "volunteer")
    cert = _issue(uow, crypto, volunteer, data["period_from"], data["period_to"], issuer,
                  community_id, actor, today)
    return _certificate_answer(cert, crypto, volunteer)


def reissue_certificate(uow, crypto, number, issuer, community_id, actor=None, today=None):
    """A superseded certificate's replacement: the same period at the hours the ledger
    counts now, the two linked (``replaces`` / ``replaced_by``). Once per certificate."""
    session = uow.session
    volunteer = _locked(session, Volunteer, _certificate(session, number).volunteer_id,
                        "volunteer")
    old = _certificate(session, number, fresh=True)
    if old.status == "valid":
        raise Conflict("certificate_still_current", {"number": number, "status": old.status},
                       number=number)
    if old.replaced_by:
        raise Conflict("certificate_already_reissued",
                       {"number": number, "replaced_by": old.replaced_by}, number=number,
                       replaced_by=old.replaced_by)
    cert = _issue(uow, crypto, volunteer, old.period_from, old.period_to, issuer,
                  community_id, actor, today, replaces=old.number)
    old.replaced_by = cert.number
    session.flush()
    return _certificate_answer(cert, crypto, volunteer)


def _certificate(session, number, fresh=False):
    statement = select(Certificate).where(Certificate.number == number)
    if fresh:  # read again after taking the volunteer's lock
        statement = statement.execution_options(populate_existing=True)
    cert = session.execute(statement).scalar_one_or_none()
    if cert is None:
        raise NotFound("certificate_not_found", {"number": number}, number=number)
    return cert


def list_certificates(session, crypto, volunteer_id):
    volunteer = _get(session, Volunteer, volunteer_id, "volunteer")
    certs = session.execute(select(Certificate).where(Certificate.volunteer_id == volunteer_id)
                            .order_by(Certificate.id)).scalars().all()
    return {"items": [_certificate_answer(c, crypto, volunteer) for c in certs],
            "total": len(certs), "page": 1, "per_page": max(len(certs), 1)}


def certificate_document(session, crypto, number, only_volunteer_id=None):
    """Everything the PDF shows (this one is for the volunteer and staff: it names the
    volunteer; the ID number is masked), with the ledger's figure for the period now."""
    cert = _certificate(session, number)
    _check_owner(cert.volunteer_id, only_volunteer_id)
    volunteer = session.get(Volunteer, cert.volunteer_id)
    return _certificate_answer(
        cert, crypto, volunteer, CERTIFICATE_DOCUMENT, name=crypto.decrypt(volunteer.name_enc),
        id_number_masked=pii.mask_id_number(crypto.decrypt(volunteer.id_number_enc)),
        gender=volunteer.gender, current_minutes=_period_minutes(session, cert))


def verify_certificate(session, crypto, number, code):
    """Public: valid or superseded, with the volunteer's name masked. Nothing at all
    unless the code is right: a wrong code is the same 404 as an unknown number, so that
    sequential numbers reveal nothing. A superseded certificate is not valid: the answer
    gives the hours it states, what the ledger counts for its period now, and its
    replacement once reissued."""
    cert = session.execute(select(Certificate).where(Certificate.number == number)
                           ).scalar_one_or_none()
    expected = cert.code_hash if cert is not None else crypto.lookup_hash("no-such-code")
    given = crypto.lookup_hash(code or "")
    genuine = hmac.compare_digest(expected, given) and cert is not None
    if not genuine:
        raise NotFound("certificate_code_mismatch",
                       {"number": number}, number=number)
    volunteer = session.get(Volunteer, cert.volunteer_id)
    seen = dict(volunteer_number=volunteer.number,
                name_masked=pii.mask_name(crypto.decrypt(volunteer.name_enc)))
    if cert.status == "valid":
        return VERIFIED.dump(_Answer(cert, valid=True, **seen))
    return SUPERSEDED.dump(_Answer(cert, valid=False, current_minutes=_period_minutes(
        session, cert), **seen))


# -- applications (志愿者申请) ------------------------------------------------------------

def _application_answer(application, crypto):
    """Staff see an application masked: the personal data is the volunteer's once
    approved (and revealed there, audited)."""
    return APPLICATION.dump(_Answer(
        application, name=pii.mask_name(crypto.decrypt(application.name_enc)),
        phone=pii.mask_phone(crypto.decrypt(application.phone_enc))))


def submit_application(uow, crypto, data):
    """A resident applies from the public form. A second pending application from the
    same phone is 409 (found by the phone's keyed hash), and so is a phone already
    registered as a volunteer. The answer carries nothing of what was sent."""
    data = _load(schemas.ApplicationCreate, data)
    session = uow.session
    phone_hash = crypto.lookup_hash(data["phone"])
    if session.execute(select(Application.id).where(
            Application.phone_hash == phone_hash, Application.status == "pending")).first():
        raise Conflict("application_pending_for_phone",
                       {"phone": ["application_pending_for_phone"]})
    if session.execute(select(Volunteer.id).where(Volunteer.phone_hash == phone_hash)).first():
        raise Conflict("phone_already_volunteer",
                       {"phone": ["already_registered"]})
    now = times.now()
    application = Application(
        name_enc=crypto.encrypt(data["name"].strip()),
        phone_enc=crypto.encrypt(pii.normalise(data["phone"])), phone_hash=phone_hash,
        compound=data["compound"], skills=sorted(set(data["skills"])),
        availability=data["availability"], consent_at=now, status="pending", created_at=now)
    session.add(application)
    session.flush()
    uow.emit("application_submitted", {
        "application_id": application.id, "compound": application.compound,
        "skills": application.skills, "submitted_at": now})
    return APPLICATION_RECEIPT.dump(application)


def list_applications(session, crypto, query=None):
    q = _load(schemas.ApplicationQuery, query)
    statement = (select(Application).where(Application.status == q["status"])
                 .order_by(Application.id))
    return paginate(session, statement, q["page"], q["per_page"],
                    render=lambda row: _application_answer(row, crypto))


def approve_application(uow, crypto, application_id, actor=None):
    """Staff approve: the volunteer is registered from the application (the same path
    as staff registering one) and linked to it. Approving an approved application again
    answers the same volunteer without creating another: the gateway, which creates the
    volunteer's login after this call, may retry when that step failed. A declined one
    is 409. The answer adds the volunteer's number."""
    application = _locked(uow.session, Application, application_id, "application")
    if application.status == "declined":
        raise Conflict("application_was_declined",
                       {"status": ["declined"], "application_id": application_id},
                       application_id=application_id)
    if application.status == "pending":
        volunteer = register_volunteer(uow, crypto, {
            "name": crypto.decrypt(application.name_enc),
            "phone": crypto.decrypt(application.phone_enc),
            "compound": application.compound, "skills": list(application.skills),
            "availability": list(application.availability)})
        application.status = "approved"
        application.volunteer_id = volunteer["id"]
        application.decided_by = actor
        application.decided_at = times.now()
        uow.session.flush()
        uow.emit("application_approved", {
            "application_id": application.id, "volunteer_id": application.volunteer_id,
            "decided_at": application.decided_at})
    volunteer = _get(uow.session, Volunteer, application.volunteer_id, "volunteer")
    answer = _application_answer(application, crypto)
    answer["volunteer_number"] = volunteer.number
    return answer


def decline_application(uow, crypto, application_id, data, actor=None):
    data = _load(schemas.ApplicationDecline, data)
    application = _locked(uow.session, Application, application_id, "application")
    if application.status != "pending":
        raise Conflict("application_status",
                       {"status": [application.status], "application_id": application_id},
                       application_id=application_id, status=application.status)
    application.status = "declined"
    application.decline_reason = data["reason"].strip()
    application.decided_by = actor
    application.decided_at = times.now()
    uow.session.flush()
    uow.emit("application_declined", {"application_id": application.id,
                                      "decided_at": application.decided_at})
    return _application_answer(application, crypto)


def open_shifts_for(session, query=None):
    """Open shifts still to come that a volunteer may take: every skill the shift asks
    for is theirs, their weekly availability covers it, and they hold no place on it yet
    (a full shift is listed: signing up puts them on its waitlist)."""
    q = _load(schemas.OpenShiftQuery, query)
    if q.get("volunteer_id") is None:
        raise ValidationFailed("volunteer_id_required",
                               {"volunteer_id": ["required"]})
    volunteer = _get(session, Volunteer, q["volunteer_id"], "volunteer")
    taken = set(session.execute(select(Signup.shift_id).where(
        Signup.volunteer_id == volunteer.id, Signup.status.in_(ACTIVE_SIGNUP))).scalars())
    skills = set(volunteer.skills or [])
    statement = (select(Shift).where(Shift.status == "open", Shift.start > times.now())
                 .order_by(Shift.start, Shift.id))
    statement = _where_in_python(
        session, statement, Shift,
        lambda s: s.id not in taken and set(s.skills or []) <= skills
        and is_available(volunteer.availability, times.from_storage(s.start),
                                         times.from_storage(s.end)))
    page = paginate(session, statement, q["page"], q["per_page"], render=lambda row: row)
    counts = _counts(session, [s.id for s in page["items"]])
    page["items"] = [_shift_answer(s, counts[s.id]) for s in page["items"]]
    return page
