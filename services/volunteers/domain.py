"""The volunteers service's logic: plain functions over a session (reads) or a unit of
work (writes and their facts), testable without a broker.

Concurrency: every write that depends on what it has just read takes a row lock on the
record it hangs off (the shift for sign-ups, the volunteer for clashes, the entry for
decisions): ``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every transaction begins
IMMEDIATE (common.db), which serialises writers anyway.
"""
import hmac
import re
import secrets
import uuid
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from common import pii
from common.errors import Conflict, Forbidden, NotFound, ValidationFailed, load_input
from services.volunteers import schemas
from services.volunteers.models import (Certificate, HoursEntry, Shift, Signup, Team,
                                        TeamMember, Volunteer)

# The communities are in China: local time is UTC+8 all year (no daylight saving).
LOCAL_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
AUTO_CLOSE_GRACE_MINUTES = 30
CHECK_IN_EARLY_MINUTES = 120
MAX_PAGE_SIZE = 100
ACTIVE_SIGNUP = ("confirmed", "waitlisted")
COMMUNITY_NAMES = {"hetong": "和通社区"}
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


# -- helpers -------------------------------------------------------------------------

_load = load_input  # common.errors: validate, or 422 naming the fields


def to_utc(value):
    """An input datetime → aware UTC (no offset: the community's local time)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(timezone.utc)


def from_db(value):
    """A stored datetime (SQLite gives it back naive; it was stored as UTC) → aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def iso(value):
    value = from_db(value)
    return value.isoformat().replace("+00:00", "Z") if value else None


def local_date(value):
    return from_db(value).astimezone(LOCAL_TZ).date()


def now_utc():
    return datetime.now(timezone.utc)


def _page(page, per_page):
    page = max(1, int(page or 1))
    per_page = max(1, min(int(per_page or 20), MAX_PAGE_SIZE))
    return page, per_page


def _paginate(query, session, page, per_page):
    page, per_page = _page(page, per_page)
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())
                            ).scalar_one()
    rows = session.execute(query.offset((page - 1) * per_page).limit(per_page)).scalars().all()
    return rows, {"total": total, "page": page, "per_page": per_page}


def _locked(session, model, ident, what):
    row = session.execute(select(model).where(model.id == ident).with_for_update()
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"{what} {ident} not found", {"id": ident})
    return row


def _get(session, model, ident, what):
    row = session.get(model, ident)
    if row is None:
        raise NotFound(f"{what} {ident} not found", {"id": ident})
    return row


def _flush_unique(session, message, field="phone"):
    """Flush; a unique constraint hit by a concurrent writer (PostgreSQL: the check
    before and the insert are not one step) is a 409, not a 500."""
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(message, {field: ["already registered"]}) from None


def community_name(community_id):
    """The issuer printed on certificates: the community's name from
    config/communities/<id>.yaml, else a known name, else the id."""
    import yaml

    from common.config import CONFIG_DIR

    path = CONFIG_DIR / "communities" / f"{community_id}.yaml"
    try:
        name = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("name")
    except (OSError, yaml.YAMLError):
        name = None
    return name or COMMUNITY_NAMES.get(community_id, community_id)


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


def to_dict(volunteer, crypto, reveal=False, team_ids=None):
    phone = crypto.decrypt(volunteer.phone_enc)
    id_number = crypto.decrypt(volunteer.id_number_enc)
    return {
        "id": volunteer.id, "number": volunteer.number,
        "name": crypto.decrypt(volunteer.name_enc),
        "phone": phone if reveal else pii.mask_phone(phone),
        "id_number": id_number if reveal else pii.mask_id_number(id_number),
        "gender": volunteer.gender, "birth_year": volunteer.birth_year,
        "compound": volunteer.compound, "skills": list(volunteer.skills or []),
        "talent": volunteer.talent, "availability": list(volunteer.availability or []),
        "status": volunteer.status, "team_ids": list(team_ids or []),
        "created_at": iso(volunteer.created_at),
    }


def _check_unique_pii(session, phone_hash=None, id_hash=None, exclude_id=None):
    for column, value, field in ((Volunteer.phone_hash, phone_hash, "phone"),
                                 (Volunteer.id_number_hash, id_hash, "id_number")):
        if value is None:
            continue
        query = select(Volunteer).where(column == value)
        if exclude_id is not None:
            query = query.where(Volunteer.id != exclude_id)
        existing = session.execute(query).scalar_one_or_none()
        if existing is not None:
            raise Conflict(f"{field} already registered to volunteer {existing.number}",
                           {field: ["already registered"], "volunteer_id": existing.id,
                            "volunteer_number": existing.number})


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
        availability=data["availability"], status="active", created_at=now_utc())
    session.add(volunteer)
    _flush_unique(session, "phone or id_number already registered (concurrently)")
    volunteer.number = f"V{volunteer.id:06d}"
    session.flush()
    uow.emit("volunteer_registered", {
        "volunteer_id": volunteer.id, "volunteer_number": volunteer.number,
        "compound": volunteer.compound, "skills": volunteer.skills,
        "talent": volunteer.talent, "registered_at": volunteer.created_at,
    })
    return to_dict(volunteer, crypto)


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
        volunteer.updated_at = now_utc()
        _flush_unique(session, "phone or id_number already registered (concurrently)")
        uow.emit("volunteer_updated", {
            "volunteer_id": volunteer.id, "changed_fields": changed,
            "status": volunteer.status, "compound": volunteer.compound,
            "skills": list(volunteer.skills or []), "talent": volunteer.talent,
        })
    return to_dict(volunteer, crypto, team_ids=_team_ids(session, [volunteer.id])[volunteer.id])


def get_volunteer(session, crypto, volunteer_id, reveal=False):
    volunteer = _get(session, Volunteer, volunteer_id, "volunteer")
    return to_dict(volunteer, crypto, reveal, _team_ids(session, [volunteer.id])[volunteer.id])


def list_volunteers(session, crypto, skill=None, compound=None, talent=None, page=1,
                    per_page=20, q=None, status=None):
    page, per_page = _page(page, per_page)
    query = select(Volunteer).order_by(Volunteer.id)
    if compound:
        query = query.where(Volunteer.compound == compound)
    if talent is not None:
        query = query.where(Volunteer.talent.is_(bool(talent)))
    if status:
        query = query.where(Volunteer.status == status)
    if q and pii.is_phone(q):
        query = query.where(Volunteer.phone_hash == crypto.lookup_hash(q))
        q = None
    elif q and re.fullmatch(r"[Vv]\d{1,10}", q.strip()):
        query = query.where(Volunteer.number == f"V{int(q.strip()[1:]):06d}")
        q = None
    rows = session.execute(query).scalars().all()
    if skill:
        rows = [v for v in rows if skill in (v.skills or [])]
    if q:
        # Names are encrypted at rest: a name search decrypts (a community has hundreds).
        needle = q.strip()
        rows = [v for v in rows if needle in crypto.decrypt(v.name_enc)]
    total = len(rows)
    chosen = rows[(page - 1) * per_page:page * per_page]
    teams = _team_ids(session, [v.id for v in chosen])
    return {"items": [to_dict(v, crypto, team_ids=teams[v.id]) for v in chosen],
            "total": total, "page": page, "per_page": per_page}


def _minutes_of(hhmm):
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def is_available(availability, start, end):
    """Does a weekly availability (local time) cover the window [start, end)? An empty
    availability means the volunteer declared none: flexible, always available."""
    if not availability:
        return True
    cursor = to_utc(start).astimezone(LOCAL_TZ)
    end_local = to_utc(end).astimezone(LOCAL_TZ)
    while cursor < end_local:
        day_end = datetime.combine(cursor.date() + timedelta(days=1), time(0), LOCAL_TZ)
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


def available_volunteers(session, crypto, skills, start, end, limit=50):
    """Active volunteers having every skill asked for, whose weekly availability covers
    the window and who have no sign-up in an overlapping shift."""
    start, end = to_utc(start), to_utc(end)
    if end <= start:
        raise ValidationFailed("end must be after start", {"end": ["must be after start"]})
    if end - start > schemas.MAX_AVAILABILITY_WINDOW:
        raise ValidationFailed("window too long", {"end": ["at most 31 days after start"]})
    skills = sorted(set(skills or []))
    busy = _busy_volunteer_ids(session, start, end)
    found = []
    for volunteer in session.execute(select(Volunteer).where(Volunteer.status == "active")
                                     .order_by(Volunteer.id)).scalars():
        if volunteer.id in busy or not set(skills) <= set(volunteer.skills or []):
            continue
        if not is_available(volunteer.availability, start, end):
            continue
        found.append(volunteer)
    found.sort(key=lambda v: (not v.talent, v.id))
    return {"items": [{
        "id": v.id, "number": v.number, "name": pii.mask_name(crypto.decrypt(v.name_enc)),
        "compound": v.compound, "skills": list(v.skills or []),
        "matching_skills": [s for s in skills if s in (v.skills or [])], "talent": v.talent,
    } for v in found[:max(1, min(int(limit), 200))]], "total": len(found),
        "start": iso(start), "end": iso(end), "skills": skills}


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

def team_to_dict(session, team):
    members = session.execute(
        select(Volunteer.id, Volunteer.number).join(TeamMember,
                                                    TeamMember.volunteer_id == Volunteer.id)
        .where(TeamMember.team_id == team.id).order_by(Volunteer.id)).all()
    leader = session.get(Volunteer, team.leader_id)
    return {"id": team.id, "name": team.name, "description": team.description,
            "leader_id": team.leader_id, "leader_number": leader.number,
            "members": [{"id": vid, "number": number} for vid, number in members],
            "created_at": iso(team.created_at)}


def create_team(uow, data):
    data = _load(schemas.TeamCreate, data)
    session = uow.session
    if session.execute(select(Team).where(Team.name == data["name"])).first():
        raise Conflict(f"team {data['name']} exists", {"name": ["already taken"]})
    member_ids = sorted(set(data["member_ids"]) | {data["leader_id"]})
    found = set(session.execute(select(Volunteer.id).where(Volunteer.id.in_(member_ids)))
                .scalars().all())
    missing = [vid for vid in member_ids if vid not in found]
    if missing:
        field = "leader_id" if data["leader_id"] in missing else "member_ids"
        raise ValidationFailed(f"unknown volunteers {missing}",
                               {field: [f"no volunteer {vid}" for vid in missing]})
    team = Team(name=data["name"], description=data["description"],
                leader_id=data["leader_id"], created_at=now_utc())
    session.add(team)
    _flush_unique(session, f"team {data['name']} exists", "name")
    for vid in member_ids:
        session.add(TeamMember(team_id=team.id, volunteer_id=vid))
    session.flush()
    return team_to_dict(session, team)


def list_teams(session, page=1, per_page=20):
    rows, meta = _paginate(select(Team).order_by(Team.id), session, page, per_page)
    return {"items": [team_to_dict(session, t) for t in rows], **meta}


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


def shift_to_dict(shift, counts=None):
    counts = counts or {"confirmed": 0, "waitlisted": 0}
    return {"id": shift.id, "name": shift.name, "event_id": shift.event_id,
            "role_id": shift.role_id, "skills": list(shift.skills or []),
            "places": shift.places, "start": iso(shift.start), "end": iso(shift.end),
            "location": shift.location, "status": shift.status,
            "confirmed": counts["confirmed"], "waitlisted": counts["waitlisted"]}


def _open_shift(uow, name, skills, places, start, end, event_id=None, role_id=None,
                location=None):
    shift = Shift(name=name, skills=list(skills), places=places, start=to_utc(start),
                  end=to_utc(end), event_id=event_id, role_id=role_id, location=location,
                  status="open", created_at=now_utc())
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
    return shift_to_dict(shift)


def open_shift_for_role(uow, payload):
    """The events service asked for volunteers (``volunteer_role_added``): open a shift
    for the role, once (a role that already has its shift is left as it is)."""
    existing = uow.session.execute(select(Shift).where(Shift.role_id == payload["role_id"])
                                   ).scalar_one_or_none()
    if existing is not None:
        return shift_to_dict(existing)
    start, end = to_utc(payload["start"]), to_utc(payload["end"])
    if end <= start:
        # Parked in the dead-letter queue for a person to look at, not silently dropped.
        raise ValueError(f"role {payload['role_id']} of event {payload['event_id']} ends "
                         f"before it starts")
    skills = sorted(set(s for s in payload["skills"] if s))
    shift = _open_shift(uow, payload["name"][:64], skills, payload["places"],
                        to_utc(payload["start"]), to_utc(payload["end"]),
                        payload["event_id"], payload["role_id"])
    return shift_to_dict(shift)


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
            signup.cancelled_at = now_utc()
            signup.cancel_reason = reason
            cancelled += 1
            uow.emit("shift_signup_cancelled", {
                "signup_id": signup.id, "shift_id": shift.id,
                "volunteer_id": signup.volunteer_id, "was_status": was,
                "event_id": shift.event_id})
        session.flush()
        uow.emit("shift_cancelled", {"shift_id": shift.id, "event_id": shift.event_id,
                                     "role_id": shift.role_id, "reason": reason,
                                     "signups_cancelled": len(signups)})
    return {"shifts_cancelled": len(shifts), "signups_cancelled": cancelled}


def get_shift(session, shift_id):
    shift = _get(session, Shift, shift_id, "shift")
    return shift_to_dict(shift, _counts(session, [shift.id])[shift.id])


def list_shifts(session, event_id=None, status=None, start_from=None, start_to=None,
                skill=None, page=1, per_page=20):
    query = select(Shift).order_by(Shift.start, Shift.id)
    if event_id is not None:
        query = query.where(Shift.event_id == event_id)
    if status:
        query = query.where(Shift.status == status)
    if start_from:
        query = query.where(Shift.end > to_utc(start_from))
    if start_to:
        query = query.where(Shift.start < to_utc(start_to))
    if skill:
        rows = [s for s in session.execute(query).scalars() if skill in (s.skills or [])]
        page, per_page = _page(page, per_page)
        meta = {"total": len(rows), "page": page, "per_page": per_page}
        rows = rows[(page - 1) * per_page:page * per_page]
    else:
        rows, meta = _paginate(query, session, page, per_page)
    counts = _counts(session, [s.id for s in rows])
    return {"items": [shift_to_dict(s, counts[s.id]) for s in rows], **meta}


# -- sign-ups ------------------------------------------------------------------------

def _waitlist_position(session, signup):
    if signup.status != "waitlisted":
        return None
    return session.execute(select(func.count()).select_from(Signup).where(
        Signup.shift_id == signup.shift_id, Signup.status == "waitlisted",
        Signup.id <= signup.id)).scalar_one()


def signup_to_dict(session, signup, **extra):
    result = {"id": signup.id, "shift_id": signup.shift_id,
              "volunteer_id": signup.volunteer_id, "status": signup.status,
              "waitlist_position": _waitlist_position(session, signup),
              "created_at": iso(signup.created_at), "promoted_at": iso(signup.promoted_at),
              "cancelled_at": iso(signup.cancelled_at),
              "checked_in_at": iso(signup.checked_in_at),
              "checked_out_at": iso(signup.checked_out_at),
              "auto_closed": bool(signup.auto_closed),
              "hours_entry_id": signup.hours_entry_id}
    result.update(extra)
    return result


def _check_owner(volunteer_id, only_volunteer_id):
    if only_volunteer_id is not None and int(volunteer_id) != int(only_volunteer_id):
        raise Forbidden("volunteers may only act on their own records")


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
        raise ValidationFailed(f"volunteer {data['volunteer_id']} not found",
                               {"volunteer_id": ["no such volunteer"]})
    if shift.status != "open":
        raise Conflict(f"shift {shift.id} is {shift.status}", {"shift_id": shift.id,
                                                               "status": shift.status})
    if only_volunteer_id is not None and from_db(shift.end) <= now_utc():
        raise Conflict(f"shift {shift.id} is over", {"shift_id": shift.id,
                                                     "end": iso(shift.end)})
    if volunteer.status != "active":
        raise Conflict(f"volunteer {volunteer.number} is {volunteer.status}",
                       {"volunteer_id": volunteer.id, "status": volunteer.status})
    existing = session.execute(select(Signup).where(
        Signup.shift_id == shift.id, Signup.volunteer_id == volunteer.id,
        Signup.status.in_(ACTIVE_SIGNUP))).scalar_one_or_none()
    if existing is not None:
        raise Conflict(f"volunteer {volunteer.number} is already signed up for this shift",
                       {"signup_id": existing.id, "shift_id": shift.id,
                        "status": existing.status})
    clash = session.execute(
        select(Signup, Shift).join(Shift, Shift.id == Signup.shift_id).where(
            Signup.volunteer_id == volunteer.id, Signup.status.in_(ACTIVE_SIGNUP),
            Shift.status == "open", Shift.id != shift.id,
            Shift.start < shift.end, Shift.end > shift.start).limit(1)).first()
    if clash is not None:
        other_signup, other_shift = clash
        raise Conflict(f"volunteer {volunteer.number} is signed up for overlapping shift "
                       f"{other_shift.id}",
                       {"shift_id": other_shift.id, "signup_id": other_signup.id,
                        "start": iso(other_shift.start), "end": iso(other_shift.end)})
    confirmed = session.execute(select(func.count()).select_from(Signup).where(
        Signup.shift_id == shift.id, Signup.status == "confirmed")).scalar_one()
    status = "confirmed" if confirmed < shift.places else "waitlisted"
    signup = Signup(shift_id=shift.id, volunteer_id=volunteer.id, status=status,
                    created_at=now_utc())
    session.add(signup)
    session.flush()
    uow.emit("shift_signed_up", {"signup_id": signup.id, "shift_id": shift.id,
                                 "volunteer_id": volunteer.id, "status": status,
                                 "event_id": shift.event_id})
    return signup_to_dict(session, signup)


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
    first.promoted_at = now_utc()
    session.flush()
    uow.emit("waitlist_promoted", {"signup_id": first.id, "shift_id": shift.id,
                                   "volunteer_id": first.volunteer_id,
                                   "event_id": shift.event_id})
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
        raise Conflict(f"sign-up {signup.id} is already {signup.status}",
                       {"signup_id": signup.id, "status": signup.status})
    if signup.checked_in_at is not None:
        raise Conflict("a sign-up that has checked in cannot be cancelled",
                       {"signup_id": signup.id,
                        "checked_in_at": iso(signup.checked_in_at)})
    was = signup.status
    signup.status = "cancelled"
    signup.cancelled_at = now_utc()
    signup.cancel_reason = "cancelled"
    session.flush()
    uow.emit("shift_signup_cancelled", {"signup_id": signup.id, "shift_id": shift.id,
                                        "volunteer_id": signup.volunteer_id,
                                        "was_status": was, "event_id": shift.event_id})
    promoted = _promote_first_waitlisted(uow, shift) if was == "confirmed" else None
    return signup_to_dict(session, signup,
                          promoted_signup_id=promoted.id if promoted else None)


def get_signup(session, signup_id, only_volunteer_id=None):
    signup = _get(session, Signup, signup_id, "sign-up")
    _check_owner(signup.volunteer_id, only_volunteer_id)
    return signup_to_dict(session, signup)


def list_signups(session, volunteer_id=None, shift_id=None, status=None, page=1,
                 per_page=20):
    query = select(Signup).order_by(Signup.id)
    if volunteer_id is not None:
        query = query.where(Signup.volunteer_id == volunteer_id)
    if shift_id is not None:
        query = query.where(Signup.shift_id == shift_id)
    if status:
        query = query.where(Signup.status == status)
    rows, meta = _paginate(query, session, page, per_page)
    return {"items": [signup_to_dict(session, s) for s in rows], **meta}


# -- hours ledger --------------------------------------------------------------------

def entry_to_dict(entry):
    return {c: getattr(entry, c) for c in (
        "id", "volunteer_id", "signup_id", "shift_id", "event_id", "minutes", "source",
        "description", "reason", "corrects_entry_id", "flag_reason", "status",
        "recorded_by", "decided_by", "decision_reason")} | {
        "flagged": bool(entry.flagged), "service_date": entry.service_date.isoformat(),
        "started_at": iso(entry.started_at), "ended_at": iso(entry.ended_at),
        "decided_at": iso(entry.decided_at), "created_at": iso(entry.created_at)}


def _record_entry(uow, **values):
    entry = HoursEntry(status="pending", created_at=now_utc(), **values)
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
        raise Conflict(f"only a confirmed sign-up can check in (this one is {signup.status})",
                       {"signup_id": signup.id, "status": signup.status})
    if shift.status != "open":
        raise Conflict(f"shift {shift.id} is {shift.status}", {"shift_id": shift.id})
    if signup.checked_in_at is not None:
        raise Conflict("already checked in", {"signup_id": signup.id,
                                              "checked_in_at": iso(signup.checked_in_at)})
    at = to_utc(data["at"]) if data["at"] else (now or now_utc())
    start, end = from_db(shift.start), from_db(shift.end)
    if at < start - timedelta(minutes=CHECK_IN_EARLY_MINUTES):
        raise ValidationFailed("too early to check in to this shift",
                               {"at": [f"at most {CHECK_IN_EARLY_MINUTES} minutes before "
                                       f"the shift starts ({iso(start)})"]})
    if at >= end:
        raise ValidationFailed("the shift is over", {"at": [f"must be before the shift "
                                                            f"ends ({iso(end)})"]})
    signup.checked_in_at = at
    session.flush()
    return signup_to_dict(session, signup)


def _close_attendance(uow, signup, shift, out_at, actor, grace_minutes):
    """Close a check-in: an hours entry, pending approval. A check-in still open past the
    shift's end plus the grace period is closed at the shift's end and flagged."""
    checked_in = from_db(signup.checked_in_at)
    end = from_db(shift.end)
    auto = out_at > end + timedelta(minutes=grace_minutes)
    if auto:
        out_at = max(end, checked_in)
    minutes = int((out_at - checked_in).total_seconds() // 60)
    signup.checked_out_at = out_at
    signup.auto_closed = auto
    entry = _record_entry(
        uow, volunteer_id=signup.volunteer_id, signup_id=signup.id, shift_id=shift.id,
        event_id=shift.event_id, minutes=minutes, service_date=local_date(checked_in),
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
        raise ValidationFailed("check-out before check-in",
                               {"checked_in_at": ["this sign-up has not checked in"]})
    if signup.checked_out_at is not None:
        raise Conflict("already checked out", {"signup_id": signup.id,
                                               "hours_entry_id": signup.hours_entry_id})
    at = to_utc(data["at"]) if data["at"] else (now or now_utc())
    if at <= from_db(signup.checked_in_at):
        raise ValidationFailed("check-out must come after check-in",
                               {"at": [f"must be after the check-in "
                                       f"({iso(signup.checked_in_at)})"]})
    entry = _close_attendance(uow, signup, shift, at, actor, grace_minutes)
    return signup_to_dict(session, signup, hours_entry=entry_to_dict(entry))


def auto_close_overdue(uow, now=None, grace_minutes=AUTO_CLOSE_GRACE_MINUTES):
    """Close every check-in still open past its shift's end plus the grace period (the
    service's timer calls this). Returns the entries recorded."""
    now = now or now_utc()
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
        entries.append(entry_to_dict(_close_attendance(uow, signup, shift, now, "system",
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
        raise ValidationFailed("a manual entry of no time",
                               {"minutes": ["at least 1 (0 only to correct an entry to "
                                            "nothing)"]})
    session = uow.session
    if session.get(Volunteer, data["volunteer_id"]) is None:
        raise ValidationFailed(f"volunteer {data['volunteer_id']} not found",
                               {"volunteer_id": ["no such volunteer"]})
    shift = None
    if data["shift_id"] is not None:
        shift = session.get(Shift, data["shift_id"])
        if shift is None:
            raise ValidationFailed(f"shift {data['shift_id']} not found",
                                   {"shift_id": ["no such shift"]})
    corrected = None
    if data["corrects_entry_id"] is not None:
        corrected = session.execute(select(HoursEntry).where(
            HoursEntry.id == data["corrects_entry_id"]).with_for_update()).scalar_one_or_none()
        if corrected is None:
            raise ValidationFailed(f"hours entry {data['corrects_entry_id']} not found",
                                   {"corrects_entry_id": ["no such entry"]})
        if corrected.volunteer_id != data["volunteer_id"]:
            raise ValidationFailed("a correction is for the same volunteer",
                                   {"volunteer_id": [f"entry {corrected.id} belongs to "
                                                     f"another volunteer"]})
        newer = _superseding(session, corrected.id)
        if newer is not None:
            raise Conflict(f"entry {corrected.id} was already corrected by entry {newer.id}; "
                           f"correct that one", {"corrects_entry_id": corrected.id,
                                                 "corrected_by": newer.id})
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
    return entry_to_dict(entry)


def _pending_entry(session, entry_id):
    entry = _locked(session, HoursEntry, entry_id, "hours entry")
    session.refresh(entry)
    if entry.status != "pending":
        raise Conflict(f"hours entry {entry.id} is already {entry.status}",
                       {"entry_id": entry.id, "status": entry.status,
                        "decided_by": entry.decided_by})
    return entry


def approve_hours(uow, entry_id, actor=None, reason=None):
    """Approve a pending entry. ``counted_minutes`` in the fact is what this approval
    changes in the volunteer's approved total: the entry's minutes, or for a correction
    the difference from the entry it corrects if that one was approved."""
    session = uow.session
    entry = _pending_entry(session, entry_id)
    newer = _superseding(session, entry.id)
    if newer is not None:
        raise Conflict(f"entry {entry.id} was replaced by correction {newer.id}",
                       {"entry_id": entry.id, "corrected_by": newer.id})
    counted = entry.minutes
    if entry.corrects_entry_id is not None:
        old = _locked(session, HoursEntry, entry.corrects_entry_id, "hours entry")
        session.refresh(old)
        other = _superseding(session, old.id)
        if other is not None:
            raise Conflict(f"entry {old.id} was already corrected by entry {other.id}",
                           {"corrects_entry_id": old.id, "corrected_by": other.id})
        if old.status == "approved":
            counted = entry.minutes - old.minutes
    entry.status = "approved"
    entry.decided_by = actor
    entry.decided_at = now_utc()
    entry.decision_reason = reason
    session.flush()
    uow.emit("hours_approved", {
        "entry_id": entry.id, "volunteer_id": entry.volunteer_id, "minutes": entry.minutes,
        "counted_minutes": counted, "corrects_entry_id": entry.corrects_entry_id,
        "event_id": entry.event_id, "service_date": entry.service_date})
    return entry_to_dict(entry) | {"counted_minutes": counted}


def reject_hours(uow, entry_id, actor=None, reason=None):
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("a rejection needs a reason", {"reason": ["required"]})
    session = uow.session
    entry = _pending_entry(session, entry_id)
    entry.status = "rejected"
    entry.decided_by = actor
    entry.decided_at = now_utc()
    entry.decision_reason = reason
    session.flush()
    uow.emit("hours_rejected", {"entry_id": entry.id, "volunteer_id": entry.volunteer_id,
                                "minutes": entry.minutes})
    return entry_to_dict(entry)


def list_hours(session, volunteer_id=None, status=None, flagged=None, page=1, per_page=20):
    query = select(HoursEntry).order_by(HoursEntry.id)
    if volunteer_id is not None:
        query = query.where(HoursEntry.volunteer_id == volunteer_id)
    if status:
        query = query.where(HoursEntry.status == status)
    if flagged is not None:
        query = query.where(HoursEntry.flagged.is_(bool(flagged)))
    rows, meta = _paginate(query, session, page, per_page)
    return {"items": [entry_to_dict(e) for e in rows], **meta}


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


def approved_minutes(session, volunteer_id):
    return sum(e.minutes for e in effective_approved_entries(session, volunteer_id))


# -- certificates --------------------------------------------------------------------

def _hours(minutes):
    return round(minutes / 60.0, 1)


def certificate_to_dict(cert, crypto, volunteer_number, with_code=True):
    result = {"number": cert.number, "volunteer_id": cert.volunteer_id,
              "volunteer_number": volunteer_number,
              "period_from": cert.period_from.isoformat(),
              "period_to": cert.period_to.isoformat(),
              "approved_minutes": cert.approved_minutes,
              "approved_hours": _hours(cert.approved_minutes),
              "services": list(cert.services or []), "issuer": cert.issuer,
              "issued_on": cert.issued_on.isoformat(),
              "pdf_url": f"/api/v1/certificates/{cert.number}/pdf"}
    if with_code:
        result["verification_code"] = crypto.decrypt(cert.code_enc)
    return result


def issue_certificate(uow, crypto, volunteer_id, data, issuer, community_id, actor=None,
                      today=None):
    """A 志愿服务证明 for a period: the approved hours that count, service by service."""
    data = _load(schemas.CertificateCreate, data)
    session = uow.session
    volunteer = _get(session, Volunteer, volunteer_id, "volunteer")
    entries = effective_approved_entries(session, volunteer.id, data["period_from"],
                                         data["period_to"])
    total = sum(e.minutes for e in entries)
    if total <= 0:
        raise ValidationFailed("no approved hours in this period",
                               {"period_from": ["no approved hours between period_from "
                                                "and period_to"]})
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    issued_on = today or datetime.now(LOCAL_TZ).date()
    cert = Certificate(
        number=uuid.uuid4().hex[:40], volunteer_id=volunteer.id,
        period_from=data["period_from"], period_to=data["period_to"],
        approved_minutes=total,
        services=[{"entry_id": e.id, "date": e.service_date.isoformat(),
                   "description": e.description or "志愿服务", "minutes": e.minutes}
                  for e in entries if e.minutes > 0],
        issuer=issuer, issued_on=issued_on, issued_at=now_utc(), issued_by=actor,
        code_enc=crypto.encrypt(code), code_hash=crypto.lookup_hash(code))
    session.add(cert)
    session.flush()
    cert.number = f"ZYFW-{community_id.upper()}-{issued_on.year}-{cert.id:06d}"
    session.flush()
    uow.emit("certificate_issued", {
        "certificate_number": cert.number, "volunteer_id": volunteer.id,
        "period_from": cert.period_from, "period_to": cert.period_to,
        "approved_minutes": total, "issued_at": cert.issued_at})
    return certificate_to_dict(cert, crypto, volunteer.number)


def _certificate(session, number):
    cert = session.execute(select(Certificate).where(Certificate.number == number)
                           ).scalar_one_or_none()
    if cert is None:
        raise NotFound(f"certificate {number} not found", {"number": number})
    return cert


def list_certificates(session, crypto, volunteer_id):
    volunteer = _get(session, Volunteer, volunteer_id, "volunteer")
    certs = session.execute(select(Certificate).where(Certificate.volunteer_id == volunteer_id)
                            .order_by(Certificate.id)).scalars().all()
    return {"items": [certificate_to_dict(c, crypto, volunteer.number) for c in certs],
            "total": len(certs), "page": 1, "per_page": max(len(certs), 1)}


def certificate_document(session, crypto, number, only_volunteer_id=None):
    """Everything the PDF shows (this one is for the volunteer and staff: it names the
    volunteer; the ID number is masked)."""
    cert = _certificate(session, number)
    _check_owner(cert.volunteer_id, only_volunteer_id)
    volunteer = session.get(Volunteer, cert.volunteer_id)
    doc = certificate_to_dict(cert, crypto, volunteer.number)
    doc["name"] = crypto.decrypt(volunteer.name_enc)
    doc["id_number_masked"] = pii.mask_id_number(crypto.decrypt(volunteer.id_number_enc))
    doc["gender"] = volunteer.gender
    return doc


def verify_certificate(session, crypto, number, code):
    """Public: valid or not. Reveals no personal information, and nothing at all unless
    the code is right."""
    cert = session.execute(select(Certificate).where(Certificate.number == number)
                           ).scalar_one_or_none()
    expected = cert.code_hash if cert is not None else crypto.lookup_hash("no-such-code")
    given = crypto.lookup_hash(code or "")
    valid = hmac.compare_digest(expected, given) and cert is not None
    if not valid:
        return {"number": number, "valid": False}
    volunteer = session.get(Volunteer, cert.volunteer_id)
    return {"number": cert.number, "valid": True, "volunteer_number": volunteer.number,
            "period_from": cert.period_from.isoformat(),
            "period_to": cert.period_to.isoformat(),
            "approved_hours": _hours(cert.approved_minutes), "issuer": cert.issuer,
            "issued_on": cert.issued_on.isoformat()}

