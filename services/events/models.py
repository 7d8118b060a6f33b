"""Tables of the events service (plus the kernel's outbox/inbox/kernel_state).

Residents are pseudonymous here: ``residents`` is keyed by the keyed hash of a phone
number, so one person has one ``resident_id`` across registrations, attendance, votes and
ideas; names and phone numbers are stored only encrypted, on the record that needs them.
"""
from datetime import date, datetime

from sqlalchemy import (JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer,
                        String, Text, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from common.db import make_metadata
from common.times import now as utcnow

metadata = make_metadata()


class Base(DeclarativeBase):
    metadata = metadata


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    plan: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    target_groups: Mapped[list] = mapped_column(JSON, default=list)
    compounds: Mapped[list] = mapped_column(JSON, default=list)
    # The service menu's series (服务菜单) it belongs to, a code of the community's file.
    series: Mapped[str | None] = mapped_column(String(32), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # 0 = no limit on confirmed registrations.
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    venue_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    booking_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    organiser: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    # Joint meetings (kind joint_meeting): agenda, minutes and attendees
    # [{"partner_id": int | None, "organisation": str, "category": five-society code,
    # "count": int}] (partner_id None: a guest), and how many residents and others came.
    agenda: Mapped[str | None] = mapped_column(Text, nullable=True)
    minutes: Mapped[str | None] = mapped_column(Text, nullable=True)
    meeting_attendees: Mapped[list] = mapped_column(JSON, default=list)
    meeting_residents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    meeting_others: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    volunteers_served: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The door check-in code's secret (the QR on the poster at the door): random, so that
    # knowing an event's id is not enough to check in to it from home.
    door_token: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)

    __table_args__ = (
        Index("ix_events_status_start", "status", "start"),
        Index("ix_events_start", "start"),
        Index("ix_events_series_start", "series", "start"),
    )


class EventTargetGroup(Base):
    """One row per (event, target group): the target_group filter uses it."""
    __tablename__ = "event_target_groups"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), primary_key=True)
    target_group: Mapped[str] = mapped_column(String(16), primary_key=True)

    __table_args__ = (Index("ix_event_target_groups_group", "target_group", "event_id"),)


class VolunteerRole(Base):
    __tablename__ = "volunteer_roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    skills: Mapped[list] = mapped_column(JSON, default=list)
    places: Mapped[int] = mapped_column(Integer)
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Resident(Base):
    """A pseudonymous person: the keyed hash of their phone, or nothing (a walk-in who
    gave no phone is a person of their own)."""
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Registration(Base):
    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    name_enc: Mapped[str] = mapped_column(String(512))
    phone_enc: Mapped[str] = mapped_column(String(512))
    target_group: Mapped[str] = mapped_column(String(16))
    compound: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # confirmed | waitlisted | cancelled
    # "<event_id>:<resident_id>" while the registration is active, NULL once cancelled:
    # the unique constraint is the one-registration-per-phone rule, race-free.
    active_key: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    cancel_code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_registrations_event_status", "event_id", "status", "id"),)


class Attendance(Base):
    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"),
                                                        nullable=True, unique=True)
    walk_in: Mapped[bool] = mapped_column(Boolean)
    name_enc: Mapped[str | None] = mapped_column(String(512), nullable=True)
    target_group: Mapped[str] = mapped_column(String(16))
    compound: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("event_id", "resident_id"),)


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    attendance_id: Mapped[int] = mapped_column(ForeignKey("attendance.id"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Idea(Base):
    """金点子: a resident's idea, voted on by residents, adopted by a joint meeting."""
    __tablename__ = "ideas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    category: Mapped[str] = mapped_column(String(32))
    compound: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    name_enc: Mapped[str | None] = mapped_column(String(512), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="submitted")  # | adopted
    votes: Mapped[int] = mapped_column(Integer, default=0)
    decision_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    adopted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_ideas_status_id", "status", "id"),)


class IdeaVote(Base):
    __tablename__ = "idea_votes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("idea_id", "resident_id"),)


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    summary: Mapped[str] = mapped_column(Text)
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id"), nullable=True,
                                                unique=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ActionItem(Base):
    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(64))
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_action_items_status_due", "status", "due_date"),)


class BookingRelease(Base):
    """A venue booking that must be released in the resources service (cancelled or
    rescheduled event, or a failed scheduling). Written in the same transaction as the
    change that orphans the booking; released at once after commit, and retried by a
    timer until the resources service has confirmed it: no booking is left behind."""
    __tablename__ = "booking_releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(Integer, unique=True)
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_booking_releases_pending", "released_at", "id"),)


class UncertainBooking(Base):
    """A ``book_venue`` call that timed out: the resources service may still have made
    the booking after we stopped waiting, and we never learnt its id. The timer looks
    for it (same venue, slot and purpose, made around the time of the call, linked to no
    event of ours) and releases it."""
    __tablename__ = "uncertain_bookings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    venue_id: Mapped[int] = mapped_column(Integer)
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    purpose: Mapped[str] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_uncertain_bookings_pending", "resolved_at", "id"),)


class Consultation(Base):
    """意见征集: a questionnaire staff put to residents, open on local days
    ``opens_on``..``closes_on`` (both included). ``questions`` is the list the answers
    follow by position: [{"kind": single|multiple|rating|text, "text": str,
    "options": [str] (choices only), "required": bool}]."""
    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    questions: Mapped[list] = mapped_column(JSON)
    compounds: Mapped[list] = mapped_column(JSON, default=list)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    answers: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_consultations_closes_on", "closes_on", "id"),)


class ConsultationAnswer(Base):
    """One resident's answers to a consultation; the resident is the pseudonymous
    ``residents`` row of their phone's keyed hash, so a phone answers once."""
    __tablename__ = "consultation_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    answers: Mapped[list] = mapped_column(JSON)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("consultation_id", "resident_id"),)


class Attachment(Base):
    """Evidence (佐证材料): a photo or file attached to an owner, a record of this service
    named by ``owner_kind`` and ``owner_id`` (services/events/attachments.py: OWNERS). The
    bytes are kept once per content, on the attachments volume under their SHA-256; the
    row holds what people see (``filename``, a display name only). A removed row keeps
    its line (``removed_at``); the bytes go when no live row uses them."""
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # image | document
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    has_thumbnail: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    removed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (Index("ix_attachments_owner", "owner_kind", "owner_id", "id"),
                      Index("ix_attachments_sha256", "sha256"))

class Expenditure(Base):
    """Money spent under the contract (services/events/expenditures.py): exact integer
    fen on a budget line of the project year its date falls in."""
    __tablename__ = "expenditures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    spent_on: Mapped[date] = mapped_column(Date)
    project_year: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    budget_line: Mapped[str] = mapped_column(String(32))
    plan: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), nullable=True)
    payee: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # An uploaded receipt (the attachments of this service); no link kept here.
    receipt_attachment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Spending past the line's amount, accepted by an admin with a reason.
    over_budget: Mapped[bool] = mapped_column(Boolean, default=False)
    override_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    overridden_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # A mistyped or refunded expenditure is voided (作废), never edited or deleted: it
    # stays in the ledger with who voided it and why, and stops counting.
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    voided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    void_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (
        Index("ix_expenditures_year_line", "project_year", "budget_line", "spent_on"),
        Index("ix_expenditures_spent_on", "spent_on", "id"),
        Index("ix_expenditures_event", "event_id"),
    )


class BudgetSpending(Base):
    """The running total of each budget line of each project year: its row is locked
    while an expenditure is checked against the line, so that two writes at once cannot
    both pass the check."""
    __tablename__ = "budget_spending"

    project_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_line: Mapped[str] = mapped_column(String(32), primary_key=True)
    spent_fen: Mapped[int] = mapped_column(BigInteger, default=0)
