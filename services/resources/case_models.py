"""Tables of case files (个案档案): a person in difficulty followed by social workers over
months — consent, assessments, a service plan, notes and home visits, referrals to
partners, linked needs, closure. They share the resources service's metadata (one
database, one migration chain) because a case links needs and partners that live there.

Personal data (name, phone, ID number, the guardian's name and phone, the text of notes
and visits) is encrypted at rest with ``common.pii``; the phone and the
name + birth year + compound carry keyed hashes for duplicate detection.
"""
from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.resources.models import Base, utcnow

CASE_NUMBER_PREFIX = "GA"  # 个案


class CasePerson(Base):
    """The person a case file is about (服务对象). A person merged into another keeps its
    row (``merged_into_id``) so that both histories stay readable."""
    __tablename__ = "case_persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_enc: Mapped[str | None] = mapped_column(String(512), nullable=True)
    phone_enc: Mapped[str | None] = mapped_column(String(512), nullable=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    id_number_enc: Mapped[str | None] = mapped_column(String(512), nullable=True)
    # Keyed hash of name|birth year|compound: the second way a duplicate is found.
    identity_hash: Mapped[str] = mapped_column(String(64), index=True)
    birth_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    gender: Mapped[str] = mapped_column(String(16))
    compound: Mapped[str | None] = mapped_column(String(64), nullable=True)
    target_groups: Mapped[list] = mapped_column(JSON, default=list)
    guardian_name_enc: Mapped[str | None] = mapped_column(String(512), nullable=True)
    guardian_phone_enc: Mapped[str | None] = mapped_column(String(512), nullable=True)
    guardian_relation: Mapped[str | None] = mapped_column(String(32), nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_persons.id"), nullable=True, index=True)
    merged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The person's own data key (crypto-shredding): every personal field of this record
    # and every text of the cases opened for it is encrypted under it; the key itself is
    # kept encrypted under PII_KEY. Erasure destroys it (NULL): nothing can be read again.
    key_enc: Mapped[str | None] = mapped_column(String(512), nullable=True)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    erasure_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    erased_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("case_persons.id"), index=True)
    # The person this case was opened for, kept when a merge moves the case.
    opened_for_person_id: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(32), index=True)
    target_group: Mapped[str] = mapped_column(String(32))
    risk: Mapped[str] = mapped_column(String(16), default="low", index=True)
    risk_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    visit_every_days: Mapped[int] = mapped_column(Integer, default=30)
    next_visit_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_contact_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    opened_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    closure_note_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    @property
    def number(self):
        return f"{CASE_NUMBER_PREFIX}{self.id:06d}"


class CaseWorker(Base):
    """A social worker assigned to a case: the need-to-know readers besides admins."""
    __tablename__ = "case_workers"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    assigned_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CaseConsent(Base):
    __tablename__ = "case_consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    given_by: Mapped[str] = mapped_column(String(16))  # self | guardian
    giver_name_enc: Mapped[str] = mapped_column(String(512))
    relation: Mapped[str | None] = mapped_column(String(32), nullable=True)
    scope: Mapped[list] = mapped_column(JSON, default=list)
    given_at: Mapped[datetime] = mapped_column(DateTime)
    recorded_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class CaseAssessment(Base):
    __tablename__ = "case_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    needs: Mapped[list] = mapped_column(JSON, default=list)  # [{category, note_enc}]
    risk: Mapped[str] = mapped_column(String(16))
    risk_reason_enc: Mapped[str] = mapped_column(Text)
    assessed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    assessed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CaseGoal(Base):
    """A goal of the service plan (服务计划) with its due date."""
    __tablename__ = "case_goals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    text_enc: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done | dropped
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class CaseEntry(Base):
    """A case note, a home visit (入户探访) or a phone contact, in the case's timeline."""
    __tablename__ = "case_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # note | home_visit | phone
    text_enc: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    # The events service's home_visit event this visit was part of, if any.
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recorded_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CaseReferral(Base):
    """A referral (转介) to a partner and what came of it."""
    __tablename__ = "case_referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    reason_enc: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    outcome_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    referred_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    referred_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class CaseNeed(Base):
    """A need (需求) linked to a case: its matches are the case's."""
    __tablename__ = "case_needs"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), primary_key=True)
    linked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CaseAccess(Base):
    """Who opened a case file, how (admin, assigned, break_glass) and, for a
    break-the-glass read, the reason given (encrypted): the file's own access log, beside
    the gateway's audit log."""
    __tablename__ = "case_access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    username: Mapped[str] = mapped_column(String(64))
    access: Mapped[str] = mapped_column(String(16))
    reason_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
