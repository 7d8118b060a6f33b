"""Case files (个案档案): a person in difficulty — a child, an elder, a disabled person —
followed by assigned social workers over months. Plain functions over a session (reads)
or a unit of work (writes, whose facts go to the outbox in the same transaction).

Need to know: a case's contents are for its assigned workers and admins; another staff
member sees its summary (number, category, risk, status) unless they give a reason
(break-the-glass, which the gateway writes to the audit log first). The gateway refuses
volunteers and district viewers before anything reaches here; the district reads counts.

Facts carry ids, codes, counts and times; never a name, phone, ID number, birth year or
any text of the file.
"""
from datetime import timedelta

from cryptography.fernet import Fernet
from sqlalchemy import func, or_, select, update

from common import pii, times
from common.db import paginate
from common.errors import Conflict, Forbidden, NotFound, ValidationFailed, load_input, msg
from services.resources import case_schemas as cs
from services.resources.case_models import (CASE_NUMBER_PREFIX, Case, CaseAccess, CaseAssessment, CaseConsent, CaseEntry,
                                            CaseGoal, CaseNeed, CasePerson, CaseReferral,
                                            CaseWorker)
from services.resources.domain import _get_row
from services.resources.models import Need, Partner, utcnow

CONTACT_KINDS = ("home_visit", "phone")


# ---------------------------------------------------------------- helpers

def _identity_hash(crypto, name, birth_year, compound):
    return crypto.lookup_hash(f"{name.strip()}|{birth_year}|{compound or ''}")


def _workers(session, case_id):
    return list(session.execute(select(CaseWorker.username).where(
        CaseWorker.case_id == case_id).order_by(CaseWorker.username)).scalars())


def access_of(session, case, actor, role):
    """How ``actor`` reaches a case: admin, assigned, or None (the summary only)."""
    if role == "admin":
        return "admin"
    if actor and actor in _workers(session, case.id):
        return "assigned"
    return None


def _get_case(session, case_id, lock=False):
    return _get_row(session, Case, case_id, "case", lock)


def _writable(session, case_id, actor, role, lock=True):
    """The case, for a change by an admin or an assigned worker (403 otherwise); a
    closed case takes no more changes (409)."""
    case = _get_case(session, case_id, lock)
    if access_of(session, case, actor, role) is None:
        raise Forbidden("case_not_assigned_to_you", {"case": case.number}, case=case.number)
    if case.status == "closed":
        raise Conflict("case_closed", {"status": case.status}, case=case.number)
    if session.get(CasePerson, case.opened_for_person_id).key_enc is None:
        raise Conflict("case_person_erased", {"erased": True}, case=case.number)
    return case


def summary(case, assigned=False):
    return {"id": case.id, "number": case.number, "category": case.category,
            "risk": case.risk, "status": case.status, "assigned_to_me": assigned,
            "restricted": True}


def _dec(cipher, value):
    return cipher.decrypt(value) if value else None


ERASED = "[已删除]"


class PersonCipher:
    """One person's data key (crypto-shredding). Without it (erased) nothing encrypted
    under it can be read again: it reads as ERASED, and nothing new is written."""

    def __init__(self, key):
        self._fernet = Fernet(key.encode("ascii")) if key else None

    @property
    def erased(self):
        return self._fernet is None

    def encrypt(self, value):
        if value is None:
            return None
        if self._fernet is None:
            raise Conflict("person_data_erased", {"erased": True})
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token):
        if token is None:
            return None
        if self._fernet is None:
            return ERASED
        return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")


def _person_cipher(crypto, person):
    return PersonCipher(crypto.decrypt(person.key_enc) if person.key_enc else None)


def _case_cipher(session, crypto, case):
    """The key of the person the case was opened for (kept when a merge moves it)."""
    return _person_cipher(crypto, session.get(CasePerson, case.opened_for_person_id))


def _consent_answer(crypto, consent):
    return {"id": consent.id, "given_by": consent.given_by,
            "name": _dec(crypto, consent.giver_name_enc), "relation": consent.relation,
            "scope": list(consent.scope or []), "given_at": times.iso(consent.given_at),
            "recorded_by": consent.recorded_by,
            "withdrawn_at": times.iso(consent.withdrawn_at)}


def _person_answer(crypto, person, reveal):
    if person.key_enc is None:
        return {"id": person.id, "erased": True, "erased_at": times.iso(person.erased_at),
                "erasure_reason": person.erasure_reason, "name": ERASED,
                "gender": person.gender, "compound": person.compound,
                "merged_into_id": person.merged_into_id}
    crypto = _person_cipher(crypto, person)
    phone = _dec(crypto, person.phone_enc)
    id_number = _dec(crypto, person.id_number_enc)
    guardian_phone = _dec(crypto, person.guardian_phone_enc)
    today = times.local_today()
    return {
        "id": person.id, "name": _dec(crypto, person.name_enc),
        "phone": phone if reveal else pii.mask_phone(phone),
        "id_number": id_number if reveal else pii.mask_id_number(id_number),
        "erased": False, "birth_year": person.birth_year,
        "age": today.year - person.birth_year,
        "minor": cs.is_minor(person.birth_year, today),
        "gender": person.gender, "compound": person.compound,
        "target_groups": list(person.target_groups or []),
        "guardian": None if person.guardian_name_enc is None else {
            "name": _dec(crypto, person.guardian_name_enc),
            "phone": guardian_phone if reveal else pii.mask_phone(guardian_phone),
            "relation": person.guardian_relation},
        "merged_into_id": person.merged_into_id,
    }


def full_answer(session, crypto, case, access, reveal=False):
    """The whole file: person, consents, assessments, plan, timeline, referrals, needs."""
    person = session.get(CasePerson, case.person_id)
    sid = case.id
    today = times.local_today()

    def rows(model, order):
        return session.execute(select(model).where(model.case_id == sid)
                               .order_by(order)).scalars().all()

    partners = dict(session.execute(select(Partner.id, Partner.name)).all())
    needs = session.execute(select(Need).join(CaseNeed, CaseNeed.need_id == Need.id)
                            .where(CaseNeed.case_id == sid).order_by(Need.id)).scalars()
    merged = session.execute(select(CasePerson.id).where(
        CasePerson.merged_into_id == person.id)).scalars().all()
    person_answer = _person_answer(crypto, person, reveal)
    crypto = _case_cipher(session, crypto, case)
    return {
        "id": case.id, "number": case.number, "status": case.status,
        "category": case.category, "target_group": case.target_group,
        "risk": case.risk, "risk_reason": case.risk_reason, "access": access,
        "restricted": False, "workers": _workers(session, sid),
        "opened_by": case.opened_by, "opened_at": times.iso(case.created_at),
        "visit_every_days": case.visit_every_days,
        "next_visit_on": times.iso(case.next_visit_on),
        "visit_overdue": bool(case.status == "open" and case.next_visit_on
                              and case.next_visit_on < today),
        "last_contact_at": times.iso(case.last_contact_at),
        "person": person_answer,
        "merged_person_ids": list(merged),
        "consents": [_consent_answer(crypto, c) for c in rows(CaseConsent, CaseConsent.id)],
        "assessments": [{
            "id": a.id, "risk": a.risk, "reason": _dec(crypto, a.risk_reason_enc),
            "needs": [{"category": n["category"], "note": _dec(crypto, n.get("note_enc"))}
                      for n in a.needs],
            "assessed_by": a.assessed_by, "assessed_at": times.iso(a.assessed_at)}
            for a in rows(CaseAssessment, CaseAssessment.id)],
        "goals": [{
            "id": g.id, "text": _dec(crypto, g.text_enc), "due_on": times.iso(g.due_on),
            "status": g.status, "overdue": g.status == "open" and g.due_on < today,
            "done_at": times.iso(g.done_at)} for g in rows(CaseGoal, CaseGoal.due_on)],
        "timeline": [{
            "id": e.id, "kind": e.kind, "text": _dec(crypto, e.text_enc),
            "occurred_at": times.iso(e.occurred_at), "event_id": e.event_id,
            "recorded_by": e.recorded_by}
            for e in rows(CaseEntry, CaseEntry.occurred_at.desc())],
        "referrals": [{
            "id": r.id, "partner_id": r.partner_id, "partner_name": partners.get(r.partner_id),
            "reason": _dec(crypto, r.reason_enc), "status": r.status,
            "outcome": _dec(crypto, r.outcome_enc), "referred_by": r.referred_by,
            "referred_at": times.iso(r.referred_at), "answered_at": times.iso(r.answered_at)}
            for r in rows(CaseReferral, CaseReferral.id)],
        "needs": [{"id": n.id, "number": n.number, "category": n.category,
                   "status": n.status} for n in needs],
        "access_log": [{
            "username": a.username, "access": a.access, "reason": _dec(crypto, a.reason_enc),
            "at": times.iso(a.at)} for a in rows(CaseAccess, CaseAccess.id.desc())][:50],
        "outcome": case.outcome, "closure_note": _dec(crypto, case.closure_note_enc),
        "closed_at": times.iso(case.closed_at),
    }


def receipt(answer):
    """What a write answers over RPC (and what the idempotency table keeps for a retry):
    the case's id and codes, never its personal data."""
    keep = ("id", "number", "status", "category", "risk", "possible_duplicates")
    return {key: answer[key] for key in keep if key in answer}


# ---------------------------------------------------------------- duplicates

def _duplicates(session, person):
    """Other (unmerged) persons with the same phone hash, or the same name, birth year
    and compound: offered for merge, never merged silently."""
    conditions = [CasePerson.identity_hash == person.identity_hash]
    if person.phone_hash:
        conditions.append(CasePerson.phone_hash == person.phone_hash)
    others = session.execute(select(CasePerson).where(
        or_(*conditions), CasePerson.id != person.id,
        CasePerson.merged_into_id.is_(None)).order_by(CasePerson.id)).scalars().all()
    answer = []
    for other in others:
        matched_on = []
        if person.phone_hash and other.phone_hash == person.phone_hash:
            matched_on.append("phone")
        if other.identity_hash == person.identity_hash:
            matched_on.append("name_birth_year_compound")
        cases = session.execute(select(Case.id).where(Case.person_id == other.id)
                                .order_by(Case.id)).scalars().all()
        answer.append({"person_id": other.id, "matched_on": matched_on,
                       "case_numbers": [f"{CASE_NUMBER_PREFIX}{c:06d}" for c in cases]})
    return answer


def list_duplicates(session):
    """Every pair of unmerged persons that look like one (lower id first)."""
    persons = session.execute(select(CasePerson).where(
        CasePerson.merged_into_id.is_(None)).order_by(CasePerson.id)).scalars().all()
    items = []
    for person in persons:
        for other in _duplicates(session, person):
            if other["person_id"] > person.id:
                items.append({"person_id": person.id,
                              "duplicate_person_id": other["person_id"],
                              "matched_on": other["matched_on"],
                              "case_numbers": other["case_numbers"]})
    return {"items": items}


def merge_persons(uow, crypto, person_id, data, actor, role):
    """Merge ``person_id`` into ``into_person_id``: its cases move to the surviving
    record with their whole histories; its row stays, marked merged."""
    data = load_input(cs.MergeCreate, data)
    session = uow.session
    if role != "admin":
        raise Forbidden("merge_admins_only", {"role": role})
    person = _get_row(session, CasePerson, person_id, "person", lock=True)
    into = _get_row(session, CasePerson, data["into_person_id"], "person", lock=True)
    if person.id == into.id:
        raise ValidationFailed("field_reason", {"into_person_id": ["must_be_another_person"]},
                               field="into_person_id", reason=msg("must_be_another_person"))
    for row in (person, into):
        if row.key_enc is None:
            raise Conflict("person_erased", {"person_id": row.id}, person_id=row.id)
        if row.merged_into_id is not None:
            raise Conflict("person_already_merged",
                           {"person_id": row.id, "merged_into_id": row.merged_into_id},
                           person_id=row.id, merged_into_id=row.merged_into_id)
    cases = session.execute(select(Case).where(Case.person_id == person.id)).scalars().all()
    for case in cases:
        case.person_id = into.id
    # Keep what the surviving record lacks (personal fields re-encrypted under its key;
    # the cases moved keep their texts under the key of the person they were opened for).
    old, new = _person_cipher(crypto, person), _person_cipher(crypto, into)
    for attr in ("phone_enc", "id_number_enc", "guardian_name_enc", "guardian_phone_enc"):
        if getattr(into, attr) is None and getattr(person, attr) is not None:
            setattr(into, attr, new.encrypt(old.decrypt(getattr(person, attr))))
    for attr in ("phone_hash", "compound", "guardian_relation"):
        if getattr(into, attr) is None and getattr(person, attr) is not None:
            setattr(into, attr, getattr(person, attr))
    into.target_groups = sorted(set(into.target_groups or []) | set(person.target_groups or []))
    person.merged_into_id = into.id
    person.merged_at = utcnow()
    session.flush()
    uow.emit("case_persons_merged", {"person_id": person.id, "into_person_id": into.id,
                                     "cases_moved": len(cases), "merged_at": person.merged_at})
    return {"person_id": person.id, "into_person_id": into.id,
            "case_numbers": sorted(c.number for c in session.execute(
                select(Case).where(Case.person_id == into.id)).scalars())}


# ---------------------------------------------------------------- opening

def open_case(uow, crypto, data, actor, role):
    data = load_input(cs.CaseCreate, data)
    session = uow.session
    p, consent = data["person"], data["consent"]
    today = times.local_today()
    minor = cs.is_minor(p["birth_year"], today)
    if minor:
        # PIPL art. 31: a child under 14's data is handled with a guardian's consent.
        if not p["guardian"]:
            reason = msg("required_under_age", age=cs.MINOR_AGE)
            raise ValidationFailed("field_reason", {"person.guardian": [reason]},
                                   field="person.guardian", reason=reason)
        if consent["given_by"] != "guardian":
            reason = msg("guardian_under_age", age=cs.MINOR_AGE)
            raise ValidationFailed("field_reason", {"consent.given_by": [reason]},
                                   field="consent.given_by", reason=reason)
    phone = cs.phone_of(p)
    guardian = p["guardian"] or {}
    guardian_phone = pii.normalise(guardian["phone"]) if guardian.get("phone") else None
    key = Fernet.generate_key().decode("ascii")
    cipher = PersonCipher(key)
    person = CasePerson(
        key_enc=crypto.encrypt(key),
        name_enc=cipher.encrypt(p["name"].strip()), phone_enc=cipher.encrypt(phone),
        phone_hash=crypto.lookup_hash(phone),
        id_number_enc=cipher.encrypt(pii.normalise(p["id_number"]) if p["id_number"] else None),
        identity_hash=_identity_hash(crypto, p["name"], p["birth_year"], p["compound"]),
        birth_year=p["birth_year"], gender=p["gender"], compound=p["compound"],
        target_groups=sorted(set(p["target_groups"])),
        guardian_name_enc=cipher.encrypt(guardian.get("name")),
        guardian_phone_enc=cipher.encrypt(guardian_phone),
        guardian_relation=guardian.get("relation"))
    session.add(person)
    session.flush()
    case = Case(person_id=person.id, opened_for_person_id=person.id,
                category=data["category"], target_group=data["target_group"],
                risk=data["risk"], risk_reason=data["risk_reason"], status="open",
                visit_every_days=data["visit_every_days"],
                next_visit_on=today + timedelta(days=data["visit_every_days"]),
                opened_by=actor)
    session.add(case)
    session.flush()
    for username in sorted(set(data["workers"] or ([actor] if actor else []))):
        session.add(CaseWorker(case_id=case.id, username=username))
    _add_consent(cipher, session, case, consent, actor)
    session.flush()
    uow.emit("case_opened", {
        "case_id": case.id, "category": case.category, "target_group": case.target_group,
        "risk": case.risk, "minor": minor, "compound": person.compound, "opened_at": case.created_at})
    answer = full_answer(session, crypto, case, "admin" if role == "admin" else "assigned")
    answer["possible_duplicates"] = _duplicates(session, person)
    return answer


def _add_consent(crypto, session, case, consent, actor):
    row = CaseConsent(case_id=case.id, given_by=consent["given_by"],
                      giver_name_enc=crypto.encrypt(consent["name"].strip()),
                      relation=consent["relation"], scope=sorted(set(consent["scope"])),
                      given_at=times.to_storage(consent["given_at"] or times.now()),
                      recorded_by=actor)
    session.add(row)
    return row


# ---------------------------------------------------------------- reading

def get_case(uow, crypto, case_id, actor, role, reason=None, reveal=False):
    """The whole file for an admin or an assigned worker, or for another staff member who
    gave a reason (break-the-glass); the summary otherwise. Every reading of the whole
    file is written to the file's access log (with the reason, encrypted)."""
    session = uow.session
    case = _get_case(session, case_id)
    access = access_of(session, case, actor, role)
    if access is None and reason:
        access = "break_glass"
    if access is None:
        return summary(case)
    session.add(CaseAccess(case_id=case.id, username=actor or "unknown", access=access,
                           reason_enc=_case_cipher(session, crypto, case).encrypt(reason)
                           if access == "break_glass" else None))
    session.flush()
    return full_answer(session, crypto, case, access, reveal)


def list_cases(session, query, actor, role):
    q = load_input(cs.CaseQuery, query)
    stmt = select(Case).order_by(Case.id.desc())
    for key in ("status", "risk", "category"):
        if q.get(key):
            stmt = stmt.where(getattr(Case, key) == q[key])
    mine = set(session.execute(select(CaseWorker.case_id).where(
        CaseWorker.username == actor)).scalars()) if actor else set()
    if q["mine"]:
        stmt = stmt.where(Case.id.in_(mine or {0}))

    def render(case):
        answer = summary(case, case.id in mine)
        answer["restricted"] = not (role == "admin" or case.id in mine)
        return answer

    return paginate(session, stmt, q["page"], q["per_page"], render)


# ---------------------------------------------------------------- the file's life

def record_consent(uow, crypto, case_id, data, actor, role):
    data = load_input(cs.ConsentCreate, data)
    case = _writable(uow.session, case_id, actor, role)
    person = uow.session.get(CasePerson, case.person_id)
    if cs.is_minor(person.birth_year, times.local_today()) and data["given_by"] != "guardian":
        reason = msg("guardian_under_age", age=cs.MINOR_AGE)
        raise ValidationFailed("field_reason", {"given_by": [reason]}, field="given_by",
                               reason=reason)
    _add_consent(_case_cipher(uow.session, crypto, case), uow.session, case, data, actor)
    uow.session.flush()
    return full_answer(uow.session, crypto, case, access_of(uow.session, case, actor, role))


def assess_case(uow, crypto, case_id, data, actor, role):
    data = load_input(cs.AssessmentCreate, data)
    session = uow.session
    case = _writable(session, case_id, actor, role)
    cipher = _case_cipher(session, crypto, case)
    row = CaseAssessment(
        case_id=case.id, risk=data["risk"], risk_reason_enc=cipher.encrypt(data["reason"]),
        needs=[{"category": n["category"], "note_enc": cipher.encrypt(n["note"])}
               for n in data["needs"]], assessed_by=actor)
    session.add(row)
    case.risk = data["risk"]
    case.risk_reason = None  # the reason lives encrypted in the assessment
    session.flush()
    uow.emit("case_assessed", {"case_id": case.id, "risk": row.risk,
                               "categories": sorted({n["category"] for n in data["needs"]}),
                               "assessed_at": row.assessed_at})
    return full_answer(session, crypto, case, access_of(session, case, actor, role))


def add_goal(uow, crypto, case_id, data, actor, role):
    data = load_input(cs.GoalCreate, data)
    session = uow.session
    case = _writable(session, case_id, actor, role)
    cipher = _case_cipher(session, crypto, case)
    session.add(CaseGoal(case_id=case.id, text_enc=cipher.encrypt(data["text"]),
                         due_on=data["due_on"], created_by=actor))
    session.flush()
    return full_answer(session, crypto, case, access_of(session, case, actor, role))


def update_goal(uow, crypto, case_id, goal_id, data, actor, role):
    data = load_input(cs.GoalUpdate, data)
    session = uow.session
    case = _writable(session, case_id, actor, role)
    goal = _get_row(session, CaseGoal, goal_id, "goal", lock=True)
    if goal.case_id != case.id:
        raise NotFound("goal_not_in_case", {"id": goal_id}, goal_id=goal_id,
                       case=case.number)
    goal.status = data["status"]
    goal.done_at = utcnow() if data["status"] == "done" else None
    session.flush()
    return full_answer(session, crypto, case, access_of(session, case, actor, role))


def add_entry(uow, crypto, case_id, data, actor, role):
    """A note, a home visit or a phone contact. A visit or a call is a contact (the
    high-risk follow-up counts from it); a visit also sets when the next is due."""
    data = load_input(cs.EntryCreate, data)
    session = uow.session
    case = _writable(session, case_id, actor, role)
    cipher = _case_cipher(session, crypto, case)
    occurred = times.to_storage(data["occurred_at"] or times.now())
    if occurred > times.to_storage(times.now()) + timedelta(minutes=5):
        raise ValidationFailed("field_reason", {"occurred_at": ["must_not_be_in_future"]},
                               field="occurred_at", reason=msg("must_not_be_in_future"))
    if data["event_id"] and data["kind"] != "home_visit":
        raise ValidationFailed("field_reason", {"event_id": ["only_for_home_visit"]},
                               field="event_id", reason=msg("only_for_home_visit"))
    entry = CaseEntry(case_id=case.id, kind=data["kind"], text_enc=cipher.encrypt(data["text"]),
                      occurred_at=occurred, event_id=data["event_id"], recorded_by=actor)
    session.add(entry)
    if data["kind"] in CONTACT_KINDS and (case.last_contact_at is None
                                          or occurred > case.last_contact_at):
        case.last_contact_at = occurred
    if data["kind"] == "home_visit":
        case.next_visit_on = data["next_visit_on"] or (
            times.local_date(occurred) + timedelta(days=case.visit_every_days))
    session.flush()
    uow.emit("case_contact_recorded", {"case_id": case.id, "entry_id": entry.id,
                                       "kind": entry.kind, "event_id": entry.event_id,
                                       "occurred_at": occurred})
    return full_answer(session, crypto, case, access_of(session, case, actor, role))


def refer_case(uow, crypto, case_id, data, actor, role):
    data = load_input(cs.ReferralCreate, data)
    session = uow.session
    case = _writable(session, case_id, actor, role)
    cipher = _case_cipher(session, crypto, case)
    partner = _get_row(session, Partner, data["partner_id"], "partner")
    if partner.status != "active":
        raise Conflict("partner_status", {"partner_id": partner.id, "status": partner.status},
                       partner_id=partner.id, status=partner.status)
    scopes = set()
    for consent in session.execute(select(CaseConsent).where(
            CaseConsent.case_id == case.id, CaseConsent.withdrawn_at.is_(None))).scalars():
        scopes |= set(consent.scope or [])
    if "referral" not in scopes:
        raise Conflict("referral_needs_consent", {"scope": sorted(scopes), "needed": "referral"})
    row = CaseReferral(case_id=case.id, partner_id=partner.id,
                       reason_enc=cipher.encrypt(data["reason"]), referred_by=actor)
    session.add(row)
    session.flush()
    uow.emit("case_referred", {"case_id": case.id, "referral_id": row.id,
                               "partner_id": partner.id, "referred_at": row.referred_at})
    return full_answer(session, crypto, case, access_of(session, case, actor, role))


def answer_referral(uow, crypto, case_id, referral_id, data, actor, role):
    data = load_input(cs.ReferralAnswer, data)
    session = uow.session
    case = _writable(session, case_id, actor, role)
    cipher = _case_cipher(session, crypto, case)
    row = _get_row(session, CaseReferral, referral_id, "referral", lock=True)
    if row.case_id != case.id:
        raise NotFound("referral_not_in_case", {"id": referral_id},
                       referral_id=referral_id, case=case.number)
    allowed = {"pending": ("accepted", "declined"), "accepted": ("completed", "declined")}
    if data["status"] not in allowed.get(row.status, ()):
        raise Conflict("referral_transition_refused", {"status": row.status},
                       referral_id=row.id, status=row.status, to=data["status"])
    row.status = data["status"]
    if data["outcome"]:
        row.outcome_enc = cipher.encrypt(data["outcome"])
    row.answered_at = utcnow()
    session.flush()
    uow.emit("case_referral_answered", {"case_id": case.id, "referral_id": row.id,
                                        "partner_id": row.partner_id, "status": row.status,
                                        "answered_at": row.answered_at})
    return full_answer(session, crypto, case, access_of(session, case, actor, role))


def link_need(uow, crypto, case_id, data, actor, role):
    data = load_input(cs.NeedLink, data)
    session = uow.session
    case = _writable(session, case_id, actor, role)
    _get_row(session, Need, data["need_id"], "need")
    if session.get(CaseNeed, (case.id, data["need_id"])) is None:
        session.add(CaseNeed(case_id=case.id, need_id=data["need_id"]))
        session.flush()
    return full_answer(session, crypto, case, access_of(session, case, actor, role))


def set_workers(uow, crypto, case_id, data, actor, role):
    data = load_input(cs.WorkersSet, data)
    session = uow.session
    case = _writable(session, case_id, actor, role)
    wanted = set(data["workers"])
    for row in session.execute(select(CaseWorker).where(CaseWorker.case_id == case.id)).scalars():
        if row.username not in wanted:
            session.delete(row)
        wanted.discard(row.username)
    for username in sorted(wanted):
        session.add(CaseWorker(case_id=case.id, username=username))
    session.flush()
    access = access_of(session, case, actor, role)
    return full_answer(session, crypto, case, access) if access else summary(case)


def close_case(uow, crypto, case_id, data, actor, role):
    data = load_input(cs.CaseClose, data)
    session = uow.session
    case = _writable(session, case_id, actor, role)
    cipher = _case_cipher(session, crypto, case)
    case.status, case.outcome = "closed", data["outcome"]
    case.closure_note_enc = cipher.encrypt(data["note"])
    case.closed_at = utcnow()
    session.flush()
    uow.emit("case_closed", {"case_id": case.id, "outcome": case.outcome,
                             "category": case.category, "closed_at": case.closed_at})
    return full_answer(session, crypto, case, access_of(session, case, actor, role))


# ---------------------------------------------------------------- follow-up and counts

def _stale_high_risk(session, days):
    cutoff = times.to_storage(times.now()) - timedelta(days=days)
    return select(Case).where(
        Case.status == "open", Case.risk == "high",
        or_(Case.last_contact_at < cutoff,
            Case.last_contact_at.is_(None) & (Case.created_at < cutoff)))


def follow_up(session, query, actor, role, high_risk_days):
    """Per worker: open cases whose home visit is overdue, plan goals past their due
    date, high-risk cases without a contact in ``high_risk_days`` days. Numbers and
    dates only. A worker sees their own; an admin everyone's or one named."""
    q = load_input(cs.FollowUpQuery, query)
    worker = q.get("worker")
    if role != "admin":
        if worker and worker != actor:
            raise Forbidden("follow_up_own_only", {"worker": worker})
        worker = actor
    today = times.local_today()
    stmt = select(CaseWorker.username, Case).join(Case, Case.id == CaseWorker.case_id).where(
        Case.status == "open").order_by(CaseWorker.username, Case.id)
    if worker:
        stmt = stmt.where(CaseWorker.username == worker)
    stale = {c.id for c in session.execute(_stale_high_risk(session, high_risk_days)).scalars()}
    per = {}
    for username, case in session.execute(stmt).all():
        entry = per.setdefault(username, {"worker": username, "overdue_visits": [],
                                          "overdue_goals": [],
                                          "high_risk_without_contact": []})
        if case.next_visit_on and case.next_visit_on < today:
            entry["overdue_visits"].append({
                "case_id": case.id, "number": case.number, "due_on": times.iso(case.next_visit_on),
                "days_overdue": (today - case.next_visit_on).days})
        for goal in session.execute(select(CaseGoal).where(
                CaseGoal.case_id == case.id, CaseGoal.status == "open",
                CaseGoal.due_on < today).order_by(CaseGoal.due_on)).scalars():
            entry["overdue_goals"].append({
                "case_id": case.id, "number": case.number, "goal_id": goal.id,
                "due_on": times.iso(goal.due_on), "days_overdue": (today - goal.due_on).days})
        if case.id in stale:
            entry["high_risk_without_contact"].append({
                "case_id": case.id, "number": case.number,
                "last_contact_at": times.iso(case.last_contact_at)})
    if worker and worker not in per:
        per[worker] = {"worker": worker, "overdue_visits": [], "overdue_goals": [],
                       "high_risk_without_contact": []}
    return {"high_risk_contact_days": high_risk_days, "today": times.iso(today),
            "workers": [per[k] for k in sorted(per)]}


def count_cases(session, high_risk_days):
    """Counts only (the district and the KPI board): no number, no name."""
    def grouped(column):
        return dict(session.execute(select(column, func.count(Case.id)).where(
            Case.status == "open").group_by(column)).all())

    stale = session.execute(select(func.count()).select_from(
        _stale_high_risk(session, high_risk_days).subquery())).scalar_one()
    return {
        "open": session.execute(select(func.count(Case.id)).where(
            Case.status == "open")).scalar_one(),
        "closed": session.execute(select(func.count(Case.id)).where(
            Case.status == "closed")).scalar_one(),
        "open_by_risk": {r: grouped(Case.risk).get(r, 0) for r in cs.RISKS},
        "open_by_category": grouped(Case.category),
        "distinct_people": session.execute(select(func.count(func.distinct(Case.person_id))))
        .scalar_one(),
        "high_risk_without_contact": stale,
        "high_risk_contact_days": high_risk_days,
    }


# ---------------------------------------------------------------- erasure and access

def _family(session, person):
    """The person and every record merged into it (their data is one person's)."""
    rows, todo = [], [person]
    while todo:
        row = todo.pop()
        rows.append(row)
        todo.extend(session.execute(select(CasePerson).where(
            CasePerson.merged_into_id == row.id)).scalars())
    return rows


def export_person(uow, crypto, person_id, actor, role):
    """The person's data (an access request, PIPL art. 45): the person and every case
    file of theirs, whole, as one JSON document. Admins only; each file read is logged."""
    if role != "admin":
        raise Forbidden("person_export_admins_only", {"role": role})
    session = uow.session
    person = _get_row(session, CasePerson, person_id, "person")
    if person.merged_into_id is not None:
        person = session.get(CasePerson, person.merged_into_id)
    if person.key_enc is None:
        raise Conflict("person_erased", {"person_id": person.id}, person_id=person.id)
    ids = [row.id for row in _family(session, person)]
    files = []
    for case in session.execute(select(Case).where(Case.person_id.in_(ids))
                                .order_by(Case.id)).scalars():
        session.add(CaseAccess(case_id=case.id, username=actor or "unknown",
                               access="export"))
        answer = full_answer(session, crypto, case, "admin", reveal=True)
        answer.pop("access_log", None)
        files.append(answer)
    session.flush()
    return {"person": _person_answer(crypto, person, reveal=True),
            "exported_at": times.iso(times.now()), "cases": files}


def erase_person(uow, crypto, person_id, data, actor, role):
    """Erasure (PIPL art. 47) by crypto-shredding: the data keys of the person and of the
    records merged into it are destroyed, so that every field and text encrypted under
    them is unreadable for good; the look-up hashes and birth year go too, and the
    resident contact of the needs linked to their cases. Case rows
    stay with their codes (category, risk, status, outcome): the counts do not move.
    No plaintext of theirs rests anywhere else: facts carry codes, and the answers kept
    for retried writes are receipts without personal data (``receipt``)."""
    data = load_input(cs.ErasureCreate, data)
    if role != "admin":
        raise Forbidden("person_erasure_admins_only", {"role": role})
    session = uow.session
    person = _get_row(session, CasePerson, person_id, "person", lock=True)
    if person.merged_into_id is not None:
        person = _get_row(session, CasePerson, person.merged_into_id, "person", lock=True)
    if person.key_enc is None:
        return {"person_id": person.id, "erased_at": times.iso(person.erased_at),
                "erasure_reason": person.erasure_reason, "persons_erased": 0}
    family = _family(session, person)
    now = utcnow()
    for row in family:
        row.key_enc = None
        row.phone_hash = None
        row.identity_hash = f"erased-{row.id}"
        row.birth_year = None
        row.erased_at, row.erasure_reason, row.erased_by = now, data["reason"], actor
    session.flush()
    family_ids = [row.id for row in family]
    # The needs linked to their cases keep their own resident contact under the service's
    # key: erased too (the need itself, its category and matches, stays).
    linked_needs = select(CaseNeed.need_id).join(Case, Case.id == CaseNeed.case_id).where(
        Case.person_id.in_(family_ids))
    session.execute(update(Need).where(Need.id.in_(linked_needs)).values(
        resident_name_enc=None, resident_phone_enc=None, resident_phone_hash=None))
    cases_of = session.execute(select(func.count(Case.id)).where(
        Case.person_id.in_(family_ids))).scalar_one()
    uow.emit("case_person_erased", {"person_id": person.id, "persons_erased": len(family),
                                    "cases": cases_of, "reason": data["reason"],
                                    "erased_at": now})
    return {"person_id": person.id, "erased_at": times.iso(now),
            "erasure_reason": data["reason"], "persons_erased": len(family)}


def export_file(document, person_id):
    import base64
    import json

    content = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    return {"filename": f"person-{person_id}.json", "title": f"个人信息-{person_id}.json",
            "content_type": "application/json; charset=utf-8",
            "content_base64": base64.b64encode(content).decode("ascii")}
