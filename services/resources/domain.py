"""Resources: partners, the resource library, venues and bookings, needs and matching.

Plain functions over a session (reads) or a unit of work (writes, whose facts go to the
outbox in the same transaction); they raise ``common.errors`` and never touch the network.
Input is validated with the schemas of schemas.py (``load_input``); answers are dumped
with its output schemas, the ones the gateway publishes. Times follow ``common.times``:
stored as naive UTC, a time without an offset coming in is the community's local time,
answers give instants in UTC with ``Z``.
"""
import json
import uuid
from datetime import time, timedelta

from sqlalchemy import and_, exists, func, or_, select

from common import messages, pii, times, vocab
from common.db import paginate
from common.errors import Conflict, NotFound, ValidationFailed, load_input
from common.schemas import MAX_ID
from common.messages import msg
from services.resources import recurrence, schemas
from services.resources.models import (Booking, BookingSeries, Match, Need, Partner, Resource,
                                       ResourceNeedCategory, ResourceTargetGroup, Venue,
                                       utcnow)


# The answers: one schema instance each, built once (listings dump many rows).
PARTNER = schemas.Partner()
RESOURCE = schemas.Resource()
VENUE = schemas.Venue()
BOOKING = schemas.Booking()
SERIES = schemas.BookingSeries()
MATCH = schemas.MatchOut()
NEED = schemas.Need()


# ---------------------------------------------------------------- helpers

def _like(text):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _known_id(value):
    """Ids from URLs may be any size; one beyond INTEGER cannot exist (and would overflow
    the driver), so it is simply not found."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


# ---------------------------------------------------------------- partners

def _partner_answer(partner, crypto, resource_count, reveal=False):
    with schemas.personal_data(crypto, reveal):
        answer = PARTNER.dump(partner)
    answer["resource_count"] = resource_count
    return answer


def _partner_event(partner):
    return {"partner_id": partner.id, "kind": partner.kind,
            "five_society": partner.five_society, "compounds": list(partner.compounds or []),
            "registered_at": partner.created_at, "sample": bool(partner.sample),
            "status": partner.status}


def register_partner(uow, crypto, data, sample=False):
    data = load_input(schemas.PartnerCreate, data)
    phone = pii.normalise(data["contact_phone"]) if data["contact_phone"] else None
    partner = Partner(
        name=data["name"].strip(), kind=data["kind"], five_society=data["five_society"],
        description=data["description"],
        contact_name_enc=crypto.encrypt(data["contact_name"]),
        contact_phone_enc=crypto.encrypt(phone), contact_phone_hash=crypto.lookup_hash(phone),
        compounds=sorted(set(data["compounds"])), status=data["status"], sample=sample)
    uow.session.add(partner)
    uow.session.flush()
    uow.emit("partner_registered", _partner_event(partner))
    return _partner_answer(partner, crypto, resource_count=0)


def _get_row(session, model, row_id, what, lock=False):
    """One row by id, or 404 naming it; ``lock`` takes its row lock (PostgreSQL) for a
    check-then-write."""
    row = _find_row(session, model, row_id, lock) if _known_id(row_id) else None
    if row is None:
        raise NotFound("row_id_not_found", {"id": row_id}, what=what, row_id=row_id)
    return row


def _find_row(session, model, row_id, lock):
    """The row or None. With ``lock``: PostgreSQL serialises check-then-write on the row
    (SELECT ... FOR UPDATE); SQLite already holds the database's write lock (BEGIN
    IMMEDIATE) and drops FOR UPDATE."""
    query = select(model).where(model.id == row_id)
    return session.execute(query.with_for_update() if lock else query).scalar_one_or_none()


def _get_partner(session, partner_id, lock=False):
    return _get_row(session, Partner, partner_id, "partner", lock)


def _resource_count(session, partner_id):
    return session.execute(select(func.count(Resource.id)).where(
        Resource.partner_id == partner_id, Resource.status == "active")).scalar_one()


def get_partner(session, crypto, partner_id, reveal=False):
    partner = _get_partner(session, partner_id)
    return _partner_answer(partner, crypto, _resource_count(session, partner_id), reveal)


def update_partner(uow, crypto, partner_id, data):
    data = load_input(schemas.PartnerUpdate, data)
    partner = _get_partner(uow.session, partner_id, lock=True)
    changed = []
    for key, value in data.items():
        if key == "contact_name":
            if value != crypto.decrypt(partner.contact_name_enc):
                partner.contact_name_enc = crypto.encrypt(value)
                changed.append(key)
        elif key == "contact_phone":
            value = pii.normalise(value) if value else None
            if crypto.lookup_hash(value) != partner.contact_phone_hash:
                partner.contact_phone_enc = crypto.encrypt(value)
                partner.contact_phone_hash = crypto.lookup_hash(value)
                changed.append(key)
        else:
            if key == "compounds":
                value = sorted(set(value or []))
            if key == "name":
                value = value.strip()
            if getattr(partner, key) != value:
                setattr(partner, key, value)
                changed.append(key)
    if changed:
        partner.updated_at = utcnow()
        uow.session.flush()
        # Field names only: the values of contact fields are personal information.
        uow.emit("partner_updated", {
            "partner_id": partner.id, "changed_fields": changed, "kind": partner.kind,
            "five_society": partner.five_society, "compounds": list(partner.compounds or []),
            "status": partner.status, "sample": bool(partner.sample)})
    return _partner_answer(partner, crypto, _resource_count(uow.session, partner.id))


def _partners_serving(session, compound, stmt=None):
    """Ids of the partners (of ``stmt``, or all) serving a compound. compounds is a JSON
    list: picked in Python (a small table), the caller pages in SQL."""
    stmt = select(Partner) if stmt is None else stmt
    return [partner_id for partner_id, compounds
            in session.execute(stmt.with_only_columns(Partner.id, Partner.compounds))
            if compound in (compounds or [])]


def list_partners(session, crypto, query=None):
    q = load_input(schemas.PartnerQuery, query)
    stmt = select(Partner).order_by(Partner.id)
    if q["status"] != "all":
        stmt = stmt.where(Partner.status == q["status"])
    if q.get("kind"):
        stmt = stmt.where(Partner.kind == q["kind"])
    if q.get("five_society"):
        stmt = stmt.where(Partner.five_society == q["five_society"])
    if q.get("q"):
        pattern = _like(q["q"])
        stmt = stmt.where(or_(Partner.name.ilike(pattern, escape="\\"),
                              Partner.description.ilike(pattern, escape="\\")))
    if q.get("compound"):
        stmt = stmt.where(Partner.id.in_(_partners_serving(session, q["compound"], stmt)))
    with schemas.personal_data(crypto):
        return paginate(session, stmt, q["page"], q["per_page"], PARTNER.dump)


def archive_partner(uow, crypto, partner_id):
    """Kept for history (its resources and their matches still name it), out of the
    current listing; no new resource may name it. Idempotent."""
    partner = _get_partner(uow.session, partner_id)
    if partner.status == "archived":
        return _partner_answer(partner, crypto, _resource_count(uow.session, partner.id))
    return update_partner(uow, crypto, partner_id, {"status": "archived"})


def delete_partner(uow, crypto, partner_id):
    """Erase a partner nothing refers to (Conflict naming its resources, archived ones
    included, otherwise). Answers the partner as it was."""
    session = uow.session
    partner = _get_partner(session, partner_id, lock=True)
    resources = session.execute(select(Resource.id).where(Resource.partner_id == partner.id)
                                .order_by(Resource.id)).scalars().all()
    if resources:
        raise Conflict(
            "partner_has_resources",
            {"partner_id": partner.id, "resources": resources}, id=partner.id,
            resources=', '.join(map(str, resources)))
    answer = _partner_answer(partner, crypto, resource_count=0)
    _erase_partner(uow, partner)
    return answer


def _erase_partner(uow, partner):
    payload, _registered_at = _deletion(uow.session, partner, "partner_registered",
                                        "partner_id", _partner_event)
    uow.emit("partner_deleted", payload)
    uow.session.delete(partner)
    uow.session.flush()


def _deletion(session, record, registered_type, id_field, current_fact):
    """(payload, registered_at) of a record's deletion: the payload of its registration,
    read back from this service's event log, so that the figures take back exactly what
    they counted (whatever changed since), and the time that fact occurred."""
    fact = _registered_fact(session, registered_type, id_field, record.id)
    if fact is None:  # the log is never pruned; a fallback, not a path
        payload, registered_at = current_fact(record), record.created_at
    else:
        payload, registered_at = fact["payload"], fact["occurred_at"]
    return dict(payload, sample=bool(record.sample)), registered_at


def _registered_fact(session, event_type, id_field, record_id):
    """The envelope of the fact that registered a record, read back from the outbox
    (every fact this service ever published), or None."""
    outbox = session.info["outbox_table"]
    rows = session.execute(select(outbox.c.envelope).where(
        outbox.c.event_type == event_type, outbox.c.envelope.contains(str(record_id)))
        .order_by(outbox.c.seq)).scalars()
    for text in rows:
        envelope = json.loads(text)
        if envelope["payload"].get(id_field) == record_id:
            return envelope
    return None


# ---------------------------------------------------------------- resources

def unit_value(resource):
    """Value linked by one unit of a match: the unit value if given, else the whole value
    spread over the quantity, else the whole value (an uncounted resource, used once)."""
    if resource.unit_value_yuan is not None:
        return float(resource.unit_value_yuan)
    if resource.quantity:
        return float(resource.value_yuan or 0) / resource.quantity
    return float(resource.value_yuan or 0)


def _check_partner(session, partner_id):
    if partner_id is None:
        return None
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise ValidationFailed("unknown_partner",
                               {"partner_id": [msg("unknown_partner", partner_id=partner_id)]},
                               partner_id=partner_id)
    if partner.status != "active":
        raise ValidationFailed("partner_status",
                               {"partner_id": [msg("partner_status", partner_id=partner_id,
                                                   status=partner.status)]},
                               partner_id=partner_id, status=partner.status)
    return partner


def _set_codes(resource, attr, row_cls, codes):
    rows = getattr(resource, attr)
    rows.clear()
    seen = []
    for code in codes:
        if code not in seen:
            seen.append(code)
    for position, code in enumerate(seen):
        rows.append(row_cls(code=code, position=position))


def register_resource(uow, data, sample=False):
    data = load_input(schemas.ResourceCreate, data)
    session = uow.session
    partner = _check_partner(session, data["partner_id"])
    resource = Resource(
        type=data["type"], title=data["title"].strip(), description=data["description"],
        partner_id=data["partner_id"], quantity=data["quantity"],
        quantity_left=data["quantity"], unit=data["unit"],
        available_from=data["available_from"], available_to=data["available_to"],
        availability_note=data["availability_note"], value_yuan=data["value_yuan"],
        unit_value_yuan=data["unit_value_yuan"], status=data["status"], sample=sample)
    resource.partner = partner
    _set_codes(resource, "target_group_rows", ResourceTargetGroup, data["target_groups"])
    _set_codes(resource, "need_category_rows", ResourceNeedCategory, data["need_categories"])
    session.add(resource)
    session.flush()
    uow.emit("resource_registered", _resource_event(resource))
    return RESOURCE.dump(resource)


def _resource_event(resource):
    return {"resource_id": resource.id, "partner_id": resource.partner_id,
            "type": resource.type, "target_groups": resource.target_groups,
            "need_categories": resource.need_categories, "quantity": resource.quantity,
            "value_yuan": float(resource.value_yuan), "status": resource.status,
            "sample": bool(resource.sample)}


def _get_resource(session, resource_id, lock=False):
    return _get_row(session, Resource, resource_id, "resource", lock)


def get_resource(session, resource_id):
    return RESOURCE.dump(_get_resource(session, resource_id))


def _emit_resource_updated(uow, resource, changed):
    uow.emit("resource_updated", {
        "resource_id": resource.id, "changed_fields": changed, "status": resource.status,
        "quantity_left": resource.quantity_left, "value_yuan": float(resource.value_yuan),
        "sample": bool(resource.sample)})


def update_resource(uow, resource_id, data):
    data = load_input(schemas.ResourceUpdate, data)
    session = uow.session
    resource = _get_resource(session, resource_id, lock=True)
    start = data.get("available_from", resource.available_from)
    end = data.get("available_to", resource.available_to)
    if start and end and end < start:
        raise ValidationFailed("available_to_before_from",
                               {"available_to": ["must_not_be_before_available_from"]})
    changed = []
    if "partner_id" in data and data["partner_id"] != resource.partner_id:
        resource.partner = _check_partner(session, data["partner_id"])
        resource.partner_id = data["partner_id"]
        changed.append("partner_id")
    if "quantity" in data and data["quantity"] != resource.quantity:
        new = data["quantity"]
        if new is None:
            resource.quantity_left = None
        else:
            used = 0 if resource.quantity is None else resource.quantity - resource.quantity_left
            if new < used:
                raise ValidationFailed("quantity_below_matched",
                                       {"quantity": [msg("quantity_at_least_matched", used=used)]})
            resource.quantity_left = new - used
        resource.quantity = new
        changed += ["quantity", "quantity_left"]
    for key in ("target_groups", "need_categories"):
        if key in data and list(dict.fromkeys(data[key])) != getattr(resource, key):
            row_cls = ResourceTargetGroup if key == "target_groups" else ResourceNeedCategory
            attr = "target_group_rows" if key == "target_groups" else "need_category_rows"
            _set_codes(resource, attr, row_cls, data[key])
            session.flush()
            changed.append(key)
    for key, value in data.items():
        if key in ("partner_id", "quantity", "target_groups", "need_categories"):
            continue
        if key == "title":
            value = value.strip()
        if getattr(resource, key) != value:
            setattr(resource, key, value)
            changed.append(key)
    if changed:
        resource.updated_at = utcnow()
        session.flush()
        _emit_resource_updated(uow, resource, changed)
    return RESOURCE.dump(resource)


def archive_resource(uow, resource_id):
    """Kept for history (its matches still name it), out of the library's current
    listing, suggestions and the resource list; no longer matched. Idempotent."""
    resource = _get_resource(uow.session, resource_id, lock=True)
    if resource.status != "archived":
        resource.status = "archived"
        resource.updated_at = utcnow()
        uow.session.flush()
        _emit_resource_updated(uow, resource, ["status"])
    return RESOURCE.dump(resource)


def delete_resource(uow, resource_id):
    """Erase a resource no match refers to (Conflict naming the needs and matches that
    do, otherwise). Answers the resource as it was."""
    session = uow.session
    resource = _get_resource(session, resource_id, lock=True)
    matches = session.execute(select(Match.id, Match.need_id).where(
        Match.resource_id == resource.id).order_by(Match.id)).all()
    if matches:
        needs = sorted({need_id for _id, need_id in matches})
        raise Conflict(
            "resource_matched_archive_instead", {"resource_id": resource.id, "needs": needs,
                                   "matches": [match_id for match_id, _need in matches]},
                                  id=resource.id, needs=', '.join(map(str, needs)))
    answer = RESOURCE.dump(resource)
    _erase_resource(uow, resource)
    return answer


def _erase_resource(uow, resource):
    payload, registered_at = _deletion(uow.session, resource, "resource_registered",
                                       "resource_id", _resource_event)
    uow.emit("resource_deleted", dict(payload, registered_at=registered_at))
    uow.session.delete(resource)
    uow.session.flush()


def _resource_filter(q):
    stmt = select(Resource).order_by(Resource.id)
    if q.get("status", "active") != "all":
        stmt = stmt.where(Resource.status == q.get("status", "active"))
    if q.get("type"):
        stmt = stmt.where(Resource.type == q["type"])
    if q.get("partner_id"):
        stmt = stmt.where(Resource.partner_id == q["partner_id"])
    if q.get("target_group"):
        stmt = stmt.where(exists().where(and_(ResourceTargetGroup.resource_id == Resource.id,
                                              ResourceTargetGroup.code == q["target_group"])))
    if q.get("category"):
        stmt = stmt.where(exists().where(and_(ResourceNeedCategory.resource_id == Resource.id,
                                              ResourceNeedCategory.code == q["category"])))
    if q.get("q"):
        pattern = _like(q["q"].strip())
        stmt = stmt.where(or_(
            Resource.title.ilike(pattern, escape="\\"),
            Resource.description.ilike(pattern, escape="\\"),
            Resource.availability_note.ilike(pattern, escape="\\"),
            exists().where(and_(Partner.id == Resource.partner_id,
                                Partner.name.ilike(pattern, escape="\\")))))
    return stmt


def list_resources(session, query=None):
    q = load_input(schemas.ResourceQuery, query)
    stmt = _resource_filter(q)
    if q.get("compound"):
        stmt = stmt.where(Resource.partner_id.in_(_partners_serving(session, q["compound"])))
    return paginate(session, stmt, q["page"], q["per_page"], RESOURCE.dump)


def resource_list(session):
    """The resource list (资源清单) the district and the funder get: active resources,
    sample data left out, each with the compounds its provider serves."""
    stmt = _resource_filter({"status": "active"}).where(Resource.sample.is_(False))
    return [dict(RESOURCE.dump(r), partner_compounds=list(r.partner.compounds or [])
                 if r.partner else [])
            for r in session.execute(stmt).unique().scalars().all()]


# ---------------------------------------------------------------- venues and bookings

def _booking_answer(booking, venue):
    return dict(BOOKING.dump(booking), venue_name=venue.name)


def register_venue(uow, data):
    data = load_input(schemas.VenueCreate, data)
    session = uow.session
    code = data["code"]
    if code and session.execute(select(Venue.id).where(Venue.code == code)).first():
        raise Conflict("venue_code_taken", {"code": [msg("code_taken", code=code)]}, code=code)
    venue = Venue(code=code or f"tmp-{uuid.uuid4().hex[:24]}", name=data["name"].strip(),
                  wing=data["wing"], kind=data["kind"], capacity=data["capacity"],
                  equipment=data["equipment"], opening_hours=data["opening_hours"],
                  description=data["description"], status=data["status"])
    session.add(venue)
    session.flush()
    if not code:
        code = f"V{venue.id:03d}"
        if session.execute(select(Venue.id).where(Venue.code == code)).first():
            code = f"{code}-{uuid.uuid4().hex[:6]}"  # someone chose this code by hand
        venue.code = code
        session.flush()
    uow.emit("venue_registered", {
        "venue_id": venue.id, "wing": venue.wing, "kind": venue.kind,
        "capacity": venue.capacity})
    return VENUE.dump(venue)


def update_venue(uow, venue_id, data):
    """Change a room's details, hours or status. Existing bookings stay as they are (a
    social worker moves or cancels those that no longer fit)."""
    data = load_input(schemas.VenueUpdate, data)
    venue = _get_venue(uow.session, venue_id, lock=True)
    if venue is None:
        raise NotFound("venue_not_found", {"id": venue_id}, venue_id=venue_id)
    for key, value in data.items():
        setattr(venue, key, value.strip() if key == "name" else value)
    uow.session.flush()
    return VENUE.dump(venue)


def _get_venue(session, venue_id, lock=False):
    # Bookings of one venue serialise on its row (lock=True): no interleaved overlap.
    return _find_row(session, Venue, venue_id, lock) if _known_id(venue_id) else None


def get_venue(session, venue_id):
    venue = _get_venue(session, venue_id)
    if venue is None:
        raise NotFound("venue_not_found", {"id": venue_id}, venue_id=venue_id)
    return VENUE.dump(venue)


def _parse_hhmm(text):
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def opening_problem(venue, start, end):
    """None if [start, end) lies inside one opening span of one local day, else why not."""
    start, end = times.local(start), times.local(end)
    day = schemas.DAYS[start.weekday()]
    spans = (venue.opening_hours or {}).get(day, [])
    hours = ", ".join(f"{a}-{b}" for a, b in spans) or msg("closed_all_day")
    reason = msg("outside_opening_hours", name=venue.name, day=day, hours=hours,
                 start=f"{start:%Y-%m-%d %H:%M}", end=f"{end:%H:%M}")
    if start.date() != end.date():
        return msg("booking_ends_another_day", day=f"{start:%Y-%m-%d}")
    for open_text, close_text in spans:
        if _parse_hhmm(open_text) <= start.time() and end.time() <= _parse_hhmm(close_text):
            return None
    return reason


def _overlapping(session, venue_id, start, end, exclude_id=None):
    query = select(Booking).where(
        Booking.venue_id == venue_id, Booking.status == "active",
        Booking.start_at < end, Booking.end_at > start).order_by(Booking.start_at)
    if exclude_id is not None:
        query = query.where(Booking.id != exclude_id)
    return session.execute(query.limit(1)).scalar_one_or_none()


def book_venue(uow, data):
    """The ``book_venue`` contract: {venue_id, start, end, purpose, event_id?} → booking;
    Conflict naming the booking it overlaps, ValidationFailed outside opening hours or
    when end <= start, NotFound for an unknown venue."""
    data = load_input(schemas.BookVenue, data)
    session = uow.session
    venue = _get_venue(session, data["venue_id"], lock=True)
    if venue is None:
        raise NotFound("venue_not_found",
                       {"venue_id": [msg("unknown_venue_id", venue_id=data['venue_id'])]},
                       venue_id=data['venue_id'])
    if venue.status != "active":
        raise Conflict("venue_not_in_use", {"venue_id": venue.id,
                                                             "status": venue.status},
                                                            name=venue.name)
    start, end = times.to_storage(data["start"]), times.to_storage(data["end"])
    problem = opening_problem(venue, start, end)
    if problem:
        raise ValidationFailed(problem, {"start": [problem],
                                         "opening_hours": venue.opening_hours})
    clash = _overlapping(session, venue.id, start, end)
    if clash is not None:
        raise Conflict(
            "venue_already_booked",
            {"booking_id": clash.id, "venue_id": venue.id,
             "conflicting_booking": _booking_answer(clash, venue)}, name=venue.name,
            start_at=times.iso(clash.start_at), end_at=times.iso(clash.end_at), id=clash.id)
    booking = Booking(venue_id=venue.id, start_at=start, end_at=end,
                      purpose=data["purpose"].strip(), event_id=data["event_id"],
                      booked_by=data["booked_by"])
    session.add(booking)
    session.flush()
    uow.emit("venue_booked", _booking_event(booking))
    return _booking_answer(booking, venue)


def _booking_event(booking):
    return {"booking_id": booking.id, "venue_id": booking.venue_id,
            "start": booking.start_at, "end": booking.end_at, "minutes": booking.minutes,
            "event_id": booking.event_id, "series_id": booking.series_id}


def _get_booking(session, booking_id, lock=False):
    return _get_row(session, Booking, booking_id, "booking", lock)


def get_booking(session, booking_id):
    booking = _get_booking(session, booking_id)
    return _booking_answer(booking, session.get(Venue, booking.venue_id))


def cancel_booking(uow, booking_id):
    """Cancel and free the slot; cancelling a cancelled booking returns it unchanged."""
    booking = _get_booking(uow.session, booking_id, lock=True)
    venue = uow.session.get(Venue, booking.venue_id)
    if booking.status == "cancelled":
        return _booking_answer(booking, venue)
    _cancel(uow, booking)
    if booking.series_id is not None:
        _settle_series(uow.session, uow.session.get(BookingSeries, booking.series_id))
    return _booking_answer(booking, venue)


def _cancel(uow, booking):
    booking.status = "cancelled"
    booking.cancelled_at = utcnow()
    uow.session.flush()
    uow.emit("venue_booking_cancelled", _booking_event(booking))


def link_booking_to_event(uow, booking_id, event_id):
    if not _known_id(event_id):
        raise ValidationFailed("event_id_must_positive_integer",
                               {"event_id": ["must_be_positive_integer"]})
    booking = _get_booking(uow.session, booking_id, lock=True)
    venue = uow.session.get(Venue, booking.venue_id)
    if booking.event_id == event_id:
        return _booking_answer(booking, venue)
    if booking.status != "active":
        raise Conflict("booking_cancelled",
                       {"booking_id": booking_id, "status": booking.status}, booking_id=booking_id)
    if booking.event_id is not None:
        raise Conflict("booking_of_other_event",
                       {"booking_id": booking_id, "event_id": booking.event_id},
                       booking_id=booking_id, event_id=booking.event_id)
    booking.event_id = event_id
    uow.session.flush()
    return _booking_answer(booking, venue)


# ---------------------------------------------------------------- recurring bookings

def _series_plan(session, data, lock=False):
    """A ``BookSeries`` → (venue, loaded data, normalised RRULE text, occurrences): each
    occurrence ``{"start", "end", "conflicts"}`` in storage form, its conflicts listing
    every booking it overlaps (and the event holding it), the opening-hours problem, or
    a wall-clock time missing that day. Nothing is written."""
    data = load_input(schemas.BookSeries, data)
    venue = _get_venue(session, data["venue_id"], lock=lock)
    if venue is None:
        raise NotFound("venue_not_found",
                       {"venue_id": [msg("unknown_venue_id", venue_id=data['venue_id'])]},
                       venue_id=data['venue_id'])
    if venue.status != "active":
        raise Conflict("venue_not_in_use", {"venue_id": venue.id,
                                                             "status": venue.status},
                                                            name=venue.name)
    rule, rule_field = (data["rule"], "rule") if data["rule"] else (data["rrule"], "rrule")
    slots = recurrence.occurrences(data["start"], data["end"], rule, data["exdates"],
                                   rule_field)
    slots = [(times.to_storage(start), times.to_storage(end), problem)
             for start, end, problem in slots]
    # One read of the venue's active bookings over the whole series, matched in memory.
    existing = session.execute(select(Booking).where(
        Booking.venue_id == venue.id, Booking.status == "active",
        Booking.start_at < slots[-1][1], Booking.end_at > slots[0][0])
        .order_by(Booking.start_at, Booking.id)).scalars().all()
    plan = []
    for start, end, problem in slots:
        conflicts = []
        slot = {"start": times.iso(start), "end": times.iso(end)}
        if problem:
            conflicts.append(dict(slot, kind="local_time", reason=problem))
        else:
            hours = opening_problem(venue, start, end)
            if hours:
                conflicts.append(dict(slot, kind="opening_hours", reason=hours))
        for other in existing:
            if other.start_at < end and other.end_at > start:
                booked = dict(name=venue.name, start_at=times.iso(other.start_at),
                              end_at=times.iso(other.end_at), id=other.id,
                              purpose=other.purpose)
                conflicts.append(dict(
                    slot, kind="booking", booking_id=other.id, event_id=other.event_id,
                    conflicting_booking=_booking_answer(other, venue),
                    reason=msg("booked_for_event", event_id=other.event_id, **booked)
                    if other.event_id else msg("booked_for", **booked)))
        plan.append({"start": start, "end": end, "conflicts": conflicts})
    return venue, data, recurrence.to_rrule_text(rule), plan


def _preview_answer(venue, data, rrule_text, plan, shown=None):
    """``shown`` turns each conflict's reason (a message) into what the answer carries:
    Chinese text in a preview (data a person reads), the message itself in an error."""
    shown = shown or (lambda reason: messages.render(reason.key, reason.params, "zh"))
    plan = [dict(item, conflicts=[dict(c, reason=shown(c["reason"]))
                                  for c in item["conflicts"]]) for item in plan]
    conflicts = [c for item in plan for c in item["conflicts"]]
    return {"venue_id": venue.id, "venue_name": venue.name, "purpose": data["purpose"],
            "rrule": rrule_text, "count": len(plan),
            "conflict_count": sum(1 for item in plan if item["conflicts"]),
            "occurrences": [{"start": times.iso(item["start"]), "end": times.iso(item["end"]),
                             "conflicts": item["conflicts"]} for item in plan],
            "conflicts": conflicts}


def preview_venue_series(session, data):
    """The ``preview_venue_series`` RPC: a recurring booking's occurrences and, for each,
    what it conflicts with; nothing is written."""
    return _preview_answer(*_series_plan(session, data))


def book_venue_series(uow, data):
    """The ``book_venue_series`` RPC: a ``BookSeries`` → the series with its bookings,
    written whole in this unit of work; Conflict listing every conflicting occurrence
    (and nothing written) otherwise."""
    session = uow.session
    venue, data, rrule_text, plan = _series_plan(session, data, lock=True)
    preview = _preview_answer(venue, data, rrule_text, plan, shown=messages.Msg.wire)
    if preview["conflicts"]:
        first = preview["conflicts"][0]
        raise Conflict(
            "series_conflicts",
            {"venue_id": venue.id, "count": preview["count"],
             "conflict_count": preview["conflict_count"], "conflicts": preview["conflicts"],
             "booking_id": first.get("booking_id")}, conflict_count=preview['conflict_count'],
            count=preview['count'], start=first['start'], reason=first['reason'])
    series = BookingSeries(
        venue_id=venue.id, purpose=data["purpose"].strip(), rrule=rrule_text,
        timezone=times.zone().key, exdates=[d.isoformat() for d in data["exdates"]],
        first_start_at=plan[0]["start"], first_end_at=plan[0]["end"],
        last_start_at=plan[-1]["start"], occurrences=len(plan), booked_by=data["booked_by"])
    session.add(series)
    session.flush()
    bookings = [Booking(venue_id=venue.id, series_id=series.id, start_at=item["start"],
                        end_at=item["end"], purpose=series.purpose, booked_by=series.booked_by)
                for item in plan]
    session.add_all(bookings)
    session.flush()
    uow.emit("venue_series_booked", {
        "series_id": series.id, "venue_id": venue.id, "rrule": rrule_text,
        "first_start": series.first_start_at, "last_start": series.last_start_at,
        "occurrences": len(bookings), "minutes": bookings[0].minutes})
    # One venue_booked per occurrence: room use counts each as a booking of its own.
    for booking in bookings:
        uow.emit("venue_booked", _booking_event(booking))
    return _series_answer(session, series, venue, bookings)


def _series_bookings(session, series_id):
    return session.execute(select(Booking).where(Booking.series_id == series_id)
                           .order_by(Booking.start_at, Booking.id)).scalars().all()


def _series_answer(session, series, venue=None, bookings=None):
    venue = venue or session.get(Venue, series.venue_id)
    bookings = _series_bookings(session, series.id) if bookings is None else bookings
    return dict(SERIES.dump(series), venue_name=venue.name,
                active_occurrences=sum(1 for b in bookings if b.status == "active"),
                bookings=[_booking_answer(b, venue) for b in bookings])


def _get_series(session, series_id, lock=False):
    return _get_row(session, BookingSeries, series_id, "booking series", lock)


def get_booking_series(session, series_id):
    return _series_answer(session, _get_series(session, series_id))


def _settle_series(session, series):
    """A series none of whose occurrences is active any more is cancelled."""
    active = session.execute(select(func.count()).select_from(Booking).where(
        Booking.series_id == series.id, Booking.status == "active")).scalar_one()
    if not active and series.status != "cancelled":
        series.status = "cancelled"
        series.cancelled_at = utcnow()
        session.flush()


def cancel_booking_series(uow, series_id, from_booking_id=None):
    """Cancel a series's active occurrences: all of them, or ``from_booking_id`` (one of
    its occurrences) and those after it. Idempotent: what is cancelled stays so."""
    session = uow.session
    series = _get_series(session, series_id, lock=True)
    bookings = _series_bookings(session, series.id)
    cut = None
    if from_booking_id is not None:
        first = next((b for b in bookings if b.id == from_booking_id), None)
        if first is None:
            reason = msg("booking_not_of_series", booking_id=from_booking_id,
                         series_id=series.id)
            raise ValidationFailed(reason, {"from_booking_id": [reason]})
        cut = first.start_at
    cancelled = [b for b in bookings if b.status == "active"
                 and (cut is None or b.start_at >= cut)]
    for booking in cancelled:
        _cancel(uow, booking)
    _settle_series(session, series)
    if cancelled:
        uow.emit("venue_series_cancelled", {
            "series_id": series.id, "venue_id": series.venue_id,
            "from_start": cancelled[0].start_at if cut is not None else None,
            "occurrences_cancelled": len(cancelled), "status": series.status})
    return _series_answer(session, series, bookings=bookings)


def _window(start, end, default_days=31, max_days=366):
    """[start, end) in storage form: from today's local start, ``default_days`` long,
    unless given; at most ``max_days``."""
    start = start or times.day_start(times.local_today())
    end = end or start + timedelta(days=default_days)
    if end - start > timedelta(days=max_days):
        raise ValidationFailed("range_at_most_days",
                               {"to": [msg("at_most_days_after_from", max_days=max_days)]},
                               max_days=max_days)
    return times.to_storage(start), times.to_storage(end)


def list_venue_bookings(session, venue_id, query=None):
    """The ``list_venue_bookings`` RPC: a venue's bookings overlapping [from, to) (a
    ``BookingQuery``: dates or instants), in order of start."""
    q = load_input(schemas.BookingQuery, query)
    venue = _get_venue(session, venue_id)
    if venue is None:
        raise NotFound("venue_not_found", {"id": venue_id}, venue_id=venue_id)
    start, end = _window(q.get("from"), q.get("to"))
    stmt = select(Booking).where(Booking.venue_id == venue_id, Booking.start_at < end,
                                 Booking.end_at > start).order_by(Booking.start_at, Booking.id)
    if not q["include_cancelled"]:
        stmt = stmt.where(Booking.status == "active")
    bookings = session.execute(stmt.limit(2000)).scalars().all()
    return {"venue": VENUE.dump(venue), "from": times.iso(start), "to": times.iso(end),
            "items": [_booking_answer(b, venue) for b in bookings]}


def list_venues(session, query=None):
    q = load_input(schemas.VenueQuery, query)
    stmt = select(Venue).order_by(Venue.wing, Venue.kind.desc(), Venue.code)
    if q["status"] != "all":
        stmt = stmt.where(Venue.status == q["status"])
    if q.get("wing"):
        stmt = stmt.where(Venue.wing == q["wing"])
    if q.get("kind"):
        stmt = stmt.where(Venue.kind == q["kind"])
    if q.get("min_capacity"):
        stmt = stmt.where(Venue.capacity >= q["min_capacity"])
    venues = session.execute(stmt).scalars().all()
    if q.get("free_from") is not None:
        start, end = times.to_storage(q["free_from"]), times.to_storage(q["free_to"])
        venues = [v for v in venues if v.status == "active"
                  and opening_problem(v, start, end) is None
                  and _overlapping(session, v.id, start, end) is None]
    return [VENUE.dump(v) for v in venues]


# ---------------------------------------------------------------- needs

def _match_answer(match, resource):
    return dict(MATCH.dump(match),
                resource_title=resource.title if resource is not None else None,
                sample=_is_sample(resource))


def _is_sample(resource):
    """A match is sample data when the resource it used is."""
    return bool(resource is not None and resource.sample)


def _need_answer(session, need, crypto, reveal=False):
    """A need with its matches and the value they linked."""
    with schemas.personal_data(crypto, reveal):
        answer = NEED.dump(need)
    rows = session.execute(
        select(Match, Resource).outerjoin(Resource, Resource.id == Match.resource_id)
        .where(Match.need_id == need.id).order_by(Match.id)).unique().all()
    answer["matches"] = [_match_answer(m, r) for m, r in rows]
    answer["value_linked_yuan"] = round(sum(float(m.value_yuan or 0) for m, r in rows
                                            if not _is_sample(r)), 2)
    return answer


def register_need(uow, crypto, data, actor=None):
    data = load_input(schemas.NeedCreate, data)
    session = uow.session
    phone = pii.normalise(data["resident_phone"]) if data["resident_phone"] else None
    phone_hash = crypto.lookup_hash(phone)
    need = Need(
        target_group=data["target_group"], category=data["category"],
        urgency=data["urgency"], compound=data["compound"],
        # Contact details belong in the encrypted fields, not in free text.
        description=pii.redact(data["description"].strip()),
        resident_name_enc=crypto.encrypt(data["resident_name"]),
        resident_phone_enc=crypto.encrypt(phone), resident_phone_hash=phone_hash,
        status="open", registered_by=actor,
        # Taken on paper earlier: the need counts from its intake, in the month taken.
        created_at=times.to_storage(data["reported_at"] or times.now()))
    session.add(need)
    session.flush()
    uow.emit("need_registered", {
        "need_id": need.id, "target_group": need.target_group, "category": need.category,
        "urgency": need.urgency, "compound": need.compound, "registered_at": need.created_at})
    result = _need_answer(session, need, crypto)
    # Same resident (by keyed hash), still-open needs: a hint against double intake.
    if phone_hash:
        others = session.execute(select(Need.id).where(
            Need.resident_phone_hash == phone_hash, Need.id != need.id,
            Need.status != "closed").order_by(Need.id)).scalars().all()
        result["open_needs_of_same_resident"] = list(others)
    return result


def _get_need(session, need_id, lock=False):
    return _get_row(session, Need, need_id, "need", lock)


def get_need(session, crypto, need_id, reveal=False):
    return _need_answer(session, _get_need(session, need_id), crypto, reveal)


def list_needs(session, crypto, query=None):
    q = load_input(schemas.NeedQuery, query)
    stmt = select(Need).order_by(Need.id.desc())
    for key in ("status", "target_group", "category", "urgency", "compound"):
        if q.get(key):
            stmt = stmt.where(getattr(Need, key) == q[key])
    with schemas.personal_data(crypto):
        return paginate(session, stmt, q["page"], q["per_page"], NEED.dump)


def _transition_refused(need, action, allowed_from):
    return Conflict(
        "need_transition_refused",
        {"status": need.status, "action": action, "allowed_from": list(allowed_from)},
        number=need.number, status=need.status, action=action,
        allowed_from=' or '.join(allowed_from))


def match_need(uow, crypto, need_id, data, actor=None):
    """Record who matched what; consume the resource's capacity; open → matched."""
    data = load_input(schemas.MatchCreate, data)
    session = uow.session
    need = _get_need(session, need_id, lock=True)
    if need.status == "closed":
        raise _transition_refused(need, "match", ("open", "matched", "in_service"))
    resource = None
    quantity = 0
    value = 0.0
    if data["resource_id"] is not None:
        resource = session.execute(select(Resource).where(Resource.id == data["resource_id"])
                                   .with_for_update(of=Resource)).unique().scalar_one_or_none()
        if resource is None:
            raise ValidationFailed("unknown_resource",
                                   {"resource_id": [msg("unknown_resource",
                                                        resource_id=data['resource_id'])]},
                                   resource_id=data['resource_id'])
        if resource.status != "active":
            raise Conflict("resource_status",
                           {"resource_id": resource.id, "status": resource.status}, id=resource.id,
                           status=resource.status)
        if resource.available_to is not None and resource.available_to < times.local_today():
            raise Conflict("resource_available_until",
                           {"resource_id": resource.id,
                            "available_to": resource.available_to.isoformat()}, id=resource.id,
                           available_to=resource.available_to)
        quantity = data["quantity"]
        if resource.quantity_left is not None:
            if resource.quantity_left < quantity:
                raise Conflict(
                    "resource_quantity_short",
                    {"resource_id": resource.id, "quantity_left": resource.quantity_left,
                     "quantity": [msg("at_most_quantity", quantity_left=resource.quantity_left)]},
                    id=resource.id, quantity_left=resource.quantity_left, quantity=quantity)
            resource.quantity_left -= quantity
            resource.updated_at = utcnow()
        value = round(unit_value(resource) * quantity, 2)
    now = utcnow()
    sample = _is_sample(resource)
    # The figures count a need as matched at its first match that counts.
    first_counted = not sample and not _has_counted_match(session, need.id)
    if need.status == "open":
        need.status = "matched"
    if need.matched_at is None:
        need.matched_at = now
    match = Match(need_id=need.id, resource_id=resource.id if resource else None,
                  volunteer_id=data["volunteer_id"], quantity=quantity, value_yuan=value,
                  note=data["note"], matched_by=actor, created_at=now)
    session.add(match)
    session.flush()
    uow.emit("need_matched", {
        "need_id": need.id, "match_id": match.id, "resource_id": match.resource_id,
        "volunteer_id": match.volunteer_id, "quantity": quantity, "value_yuan": value,
        "category": need.category, "target_group": need.target_group,
        "first_match": first_counted,
        "hours_to_match": round(max(0.0, (now - need.created_at).total_seconds()) / 3600, 3),
        "matched_at": now, "sample": sample})
    if resource is not None and resource.quantity_left is not None:
        _emit_resource_updated(uow, resource, ["quantity_left"])
    result = _need_answer(session, need, crypto)
    result["match"] = _match_answer(match, resource)
    return result


def _has_counted_match(session, need_id):
    """Whether a need has a match that is not sample data."""
    return session.execute(
        select(Match.id).outerjoin(Resource, Resource.id == Match.resource_id)
        .where(Match.need_id == need_id,
               or_(Match.resource_id.is_(None), Resource.sample.is_(False))).limit(1)
    ).first() is not None


def start_service(uow, crypto, need_id, actor=None):
    """matched → in_service."""
    need = _get_need(uow.session, need_id, lock=True)
    if need.status != "matched":
        raise _transition_refused(need, "start service", ("matched",))
    need.status = "in_service"
    need.in_service_at = utcnow()
    uow.session.flush()
    uow.emit("need_service_started", {
        "need_id": need.id, "category": need.category, "target_group": need.target_group,
        "started_at": need.in_service_at})
    return _need_answer(uow.session, need, crypto)


# A need not yet served may still be closed when the resident withdrew or was referred.
CLOSE_UNSERVED_OUTCOMES = ("withdrawn", "referred")


def close_need(uow, crypto, need_id, data, actor=None):
    """in_service → closed with an outcome and satisfaction (1–5); open or matched →
    closed only as withdrawn or referred."""
    data = load_input(schemas.NeedClose, data)
    need = _get_need(uow.session, need_id, lock=True)
    if need.status == "closed":
        raise _transition_refused(need, "close", ("open", "matched", "in_service"))
    if need.status != "in_service" and data["outcome"] not in CLOSE_UNSERVED_OUTCOMES:
        raise Conflict(
            "need_close_outcome_refused",
            {"status": need.status, "action": "close", "allowed_from": ["in_service"],
             "outcome": data["outcome"]}, number=need.number, status=need.status,
            outcome=data['outcome'])
    need.status = "closed"
    need.outcome = data["outcome"]
    need.outcome_note = pii.redact(data["note"]) if data["note"] else None
    need.satisfaction = data["satisfaction"]
    need.closed_at = utcnow()
    uow.session.flush()
    uow.emit("need_closed", {
        "need_id": need.id, "outcome": need.outcome, "satisfaction": need.satisfaction,
        "category": need.category, "target_group": need.target_group,
        "closed_at": need.closed_at})
    return _need_answer(uow.session, need, crypto)


# ---------------------------------------------------------------- matching (精准帮扶)

def _said(key, **params):
    """A reason as people read it: Chinese from the message catalogue, codes shown by
    their labels (the answer is data, the same for every reader)."""
    return messages.render(key, params, "zh")


def _labels(vocabulary, codes):
    return "、".join(vocab.label(vocabulary, c) for c in codes)


def score_resource(resource, need, partner_compounds=(), today=None):
    """(score, fit, reasons) of one resource for one need; None if it cannot serve now
    (nothing left, or its window has passed)."""
    today = today or times.local_today()
    if resource.quantity_left is not None and resource.quantity_left <= 0:
        return None
    if resource.available_to is not None and resource.available_to < today:
        return None
    score, reasons = 0, []
    category = vocab.label("need_categories", need.category)
    category_fit = need.category in resource.need_categories
    if category_fit:
        score += 50
        reasons.append(_said("suggest_answers_category", category=category))
    elif resource.need_categories:
        reasons.append(_said("suggest_other_categories", category=category,
                             listed=_labels("need_categories", resource.need_categories)))
    else:
        reasons.append(_said("suggest_not_category", category=category))
    groups = resource.target_groups
    group = vocab.label("target_groups", need.target_group)
    if need.target_group in groups:
        group_fit = "exact"
        score += 30
        reasons.append(_said("suggest_serves_group", group=group))
    elif "all_residents" in groups:
        group_fit = "general"
        score += 15
        reasons.append(_said("suggest_serves_all_residents"))
    else:
        group_fit = None
        score -= 10
        reasons.append(_said("suggest_serves_other_groups", group=group,
                             groups=_labels("target_groups", groups)))
    if resource.quantity_left is None:
        score += 5
        reasons.append(_said("suggest_no_quantity_limit"))
    else:
        score += 10 if resource.quantity_left >= 5 else 5
        reasons.append(_said("suggest_quantity_left", quantity=resource.quantity_left,
                             unit=resource.unit or _said("suggest_default_unit")))
    if resource.available_from is not None and resource.available_from > today:
        reasons.append(_said("suggest_available_from", day=resource.available_from.isoformat()))
    else:
        score += 10
        reasons.append(_said("suggest_available_until", day=resource.available_to.isoformat())
                       if resource.available_to is not None
                       else _said("suggest_available_now"))
    if need.compound and need.compound in partner_compounds:
        score += 5
        reasons.append(_said("suggest_provider_serves_compound",
                             compound=vocab.label("compounds", need.compound)))
    if category_fit and group_fit == "exact":
        fit = "good"
    elif category_fit or group_fit:
        fit = "partial"
    else:
        fit = "weak"
    return score, fit, reasons


def suggest_resources(session, need_id, limit=10):
    """Active resources ranked by fit to a need, each with the reasons for its place,
    and the volunteer skills the need calls for (the entrypoint asks volunteers)."""
    limit = load_input(schemas.SuggestionQuery, {"limit": limit})["limit"]
    need = _get_need(session, need_id)
    resources = session.execute(
        select(Resource).where(Resource.status == "active")).unique().scalars().all()
    today = times.local_today()
    ranked = []
    for resource in resources:
        if resource.partner is not None and resource.partner.status != "active":
            continue  # the partner no longer cooperates
        compounds = resource.partner.compounds if resource.partner else ()
        scored = score_resource(resource, need, compounds or (), today)
        if scored is None:
            continue
        score, fit, reasons = scored
        ranked.append({
            "resource_id": resource.id, "title": resource.title, "type": resource.type,
            "partner_name": resource.partner.name if resource.partner else None,
            "score": score, "fit": fit, "reasons": reasons,
            "quantity_left": resource.quantity_left,
            "unit_value_yuan": round(unit_value(resource), 2), "sample": resource.sample})
    ranked.sort(key=lambda s: (-s["score"], s["resource_id"]))
    for rank, suggestion in enumerate(ranked, 1):
        suggestion["rank"] = rank
    return {"need_id": need.id, "need_number": need.number,
            "category": need.category, "target_group": need.target_group,
            "compound": need.compound, "status": need.status,
            # The community's skills that answer the category (config/communities/).
            "wanted_skills": vocab.skills_for_need(need.category),
            "resources": ranked[:limit]}


def explain_volunteers(volunteers, compound=None):
    """Reasons for the volunteers the volunteers service suggested (no names or phones
    travel here: ids, numbers, skills and compounds only)."""
    explained = []
    for v in volunteers or []:
        matching = list(v.get("matching_skills") or [])
        reasons = []
        if matching:
            reasons.append(_said("suggest_volunteer_skills", skills=_labels("skills", matching)))
        if compound and v.get("compound") == compound:
            reasons.append(_said("suggest_volunteer_compound",
                                 compound=vocab.label("compounds", compound)))
        if v.get("talent"):
            reasons.append(_said("suggest_volunteer_talent"))
        explained.append({
            "volunteer_id": v.get("volunteer_id"), "number": v.get("number"),
            "skills": list(v.get("skills") or []), "compound": v.get("compound"),
            "matching_skills": matching, "talent": bool(v.get("talent")), "reasons": reasons})
    return explained


# ---------------------------------------------------------------- sample data

def _matches_of_sample_resources():
    return select(Match).join(Resource, Resource.id == Match.resource_id).where(
        Resource.sample.is_(True)).order_by(Match.id)


def count_sample_data(session):
    """How many sample records there are: partners, resources and the matches that used
    sample resources."""
    def count(statement):
        return session.execute(select(func.count()).select_from(statement.subquery())
                               ).scalar_one()

    return {"partners": count(select(Partner.id).where(Partner.sample.is_(True))),
            "resources": count(select(Resource.id).where(Resource.sample.is_(True))),
            "matches": count(_matches_of_sample_resources())}


def clear_sample_data(uow):
    """Delete every sample record: the matches of sample resources (a need left with
    none is open again), the sample resources, then the sample partners, each deletion a
    fact; then ``sample_data_cleared``. Conflict, changing nothing, while a real
    resource names a sample partner as its provider. The station's rooms stay: they are
    not sample data."""
    session = uow.session
    # Locked first: a match racing the clearing waits, then finds its resource gone.
    resources = session.execute(select(Resource).where(Resource.sample.is_(True))
                                .order_by(Resource.id).with_for_update(of=Resource)
                                ).unique().scalars().all()
    partners = session.execute(select(Partner).where(Partner.sample.is_(True))
                               .order_by(Partner.id)).scalars().all()
    provided = session.execute(select(Resource.id, Resource.partner_id).where(
        Resource.partner_id.in_([p.id for p in partners]), Resource.sample.is_(False))
        .order_by(Resource.id)).all()
    if provided:
        raise Conflict(
            "real_resources_name_sample_partner",
            {"resources": [rid for rid, _p in provided],
             "partners": sorted({pid for _r, pid in provided})})
    matches = session.execute(_matches_of_sample_resources()).scalars().all()
    needs = sorted({m.need_id for m in matches})
    for match in matches:
        session.delete(match)
    session.flush()
    reopened = []
    for need in session.execute(select(Need).where(Need.id.in_(needs)).order_by(Need.id)
                                ).scalars():
        if need.status == "matched" and not session.execute(
                select(Match.id).where(Match.need_id == need.id).limit(1)).first():
            need.status, need.matched_at = "open", None
            reopened.append(need.id)
    for resource in resources:
        _erase_resource(uow, resource)
    for partner in partners:
        _erase_partner(uow, partner)
    cleared = {"partners": len(partners), "resources": len(resources),
               "matches": len(matches)}
    if any(cleared.values()):
        uow.emit("sample_data_cleared", dict(cleared, needs_reopened=reopened))
    return cleared
