"""Volunteer registry: plain functions over a session, testable without a broker."""
from marshmallow import ValidationError
from sqlalchemy import func, select

from common import pii
from common.errors import Conflict, NotFound, validation_error
from services.volunteers import schemas
from services.volunteers.models import Volunteer


def _load(schema_cls, data):
    try:
        return schema_cls().load(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


def _next_number(session):
    last = session.execute(select(func.max(Volunteer.id))).scalar() or 0
    return f"V{last + 1:06d}"


def to_dict(volunteer, crypto, reveal=False):
    phone = crypto.decrypt(volunteer.phone_enc)
    name = crypto.decrypt(volunteer.name_enc)
    return {
        "id": volunteer.id, "number": volunteer.number,
        "name": name,
        "phone": phone if reveal else pii.mask_phone(phone),
        "compound": volunteer.compound, "skills": list(volunteer.skills or []),
        "talent": volunteer.talent, "status": volunteer.status,
        "created_at": volunteer.created_at.isoformat(),
    }


def register_volunteer(uow, crypto, data):
    data = _load(schemas.VolunteerCreate, data)
    session = uow.session
    phone_hash = crypto.lookup_hash(data["phone"])
    existing = session.execute(
        select(Volunteer).where(Volunteer.phone_hash == phone_hash)).scalar_one_or_none()
    if existing is not None:
        raise Conflict(f"phone already registered to volunteer {existing.number}",
                       {"phone": ["already registered"], "volunteer_id": existing.id,
                        "volunteer_number": existing.number})
    volunteer = Volunteer(
        number=_next_number(session),
        name_enc=crypto.encrypt(data["name"]),
        phone_enc=crypto.encrypt(pii.normalise(data["phone"])), phone_hash=phone_hash,
        compound=data["compound"], skills=sorted(set(data["skills"])), talent=data["talent"])
    session.add(volunteer)
    session.flush()
    uow.emit("volunteer_registered", {
        "volunteer_id": volunteer.id, "volunteer_number": volunteer.number,
        "compound": volunteer.compound, "skills": volunteer.skills,
        "talent": volunteer.talent, "registered_at": volunteer.created_at,
    })
    return to_dict(volunteer, crypto)


def get_volunteer(session, crypto, volunteer_id, reveal=False):
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound(f"volunteer {volunteer_id} not found", {"id": volunteer_id})
    return to_dict(volunteer, crypto, reveal)


def list_volunteers(session, crypto, skill=None, compound=None, talent=None, page=1, per_page=20):
    query = select(Volunteer).order_by(Volunteer.id)
    if compound:
        query = query.where(Volunteer.compound == compound)
    if talent is not None:
        query = query.where(Volunteer.talent.is_(bool(talent)))
    rows = session.execute(query).scalars().all()
    if skill:
        rows = [v for v in rows if skill in (v.skills or [])]
    total = len(rows)
    start = (page - 1) * per_page
    return {"items": [to_dict(v, crypto) for v in rows[start:start + per_page]],
            "total": total, "page": page, "per_page": per_page}
