"""Tables of the volunteers service (plus the kernel's outbox/inbox/kernel_state).

Times are stored in UTC (``common.times`` converts on the way in and out; SQLite hands
them back naive). Personal data (name, phone, ID number) is stored
encrypted, with a keyed hash beside phone and ID number for look-ups and duplicates.
"""
from datetime import datetime, timezone

from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String,
                        Text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from common.db import make_metadata

metadata = make_metadata()


def utcnow():
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = metadata


class Volunteer(Base):
    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    # PII: encrypted at rest; *_hash is the keyed hash for look-up and duplicates.
    name_enc: Mapped[str] = mapped_column(String(512))
    phone_enc: Mapped[str] = mapped_column(String(512))
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_enc: Mapped[str | None] = mapped_column(String(512), nullable=True)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    gender: Mapped[str | None] = mapped_column(String(8), nullable=True)
    birth_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    compound: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    skills: Mapped[list] = mapped_column(JSON, default=list)
    talent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Weekly availability: [{"weekday": 1-7 (ISO, Monday=1), "start": "HH:MM", "end": "HH:MM"}]
    # in the community's local time (Asia/Shanghai). Empty: not declared (flexible).
    availability: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Team(Base):
    """A volunteer service team (志愿服务队) with its leader."""
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), primary_key=True,
                                              index=True)


class Shift(Base):
    """A stretch of volunteer work with a number of places: a role at an event (opened
    from the events service's ``volunteer_role_added``) or standalone."""
    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    role_id: Mapped[int | None] = mapped_column(Integer, nullable=True, unique=True)
    skills: Mapped[list] = mapped_column(JSON, default=list)
    places: Mapped[int] = mapped_column(Integer)
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    location: Mapped[str | None] = mapped_column(String(128), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | cancelled
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Signup(Base):
    """A volunteer's place on a shift: confirmed, waitlisted (in arrival order: id) or
    cancelled; check-in and check-out times once they come."""
    __tablename__ = "signups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # confirmed | waitlisted | cancelled
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                          nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                           nullable=True)
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)
    auto_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    hours_entry_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (Index("ix_signups_shift_status", "shift_id", "status"),)


class HoursEntry(Base):
    """One line of the hours ledger. Never edited or deleted: its decision (approved or
    rejected, by whom, why) is set once; a correction is a new entry that references the
    entry it corrects."""
    __tablename__ = "hours_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    signup_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    shift_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    minutes: Mapped[int] = mapped_column(Integer)
    service_date: Mapped[datetime] = mapped_column(Date)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    source: Mapped[str] = mapped_column(String(16))  # check_out|manual|auto_closed|correction
    description: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    corrects_entry_id: Mapped[int | None] = mapped_column(ForeignKey("hours_entries.id"),
                                                          nullable=True, index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str | None] = mapped_column(String(128), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    recorded_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Certificate(Base):
    """A volunteer-service certificate (志愿服务证明): a snapshot taken at issue. It stays
    ``valid`` while the ledger counts the same approved hours for its period; an approval
    that changes them marks it ``superseded`` (when, why), and a reissue links the new
    certificate to it both ways. Numbers are the links: they never change once issued."""
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    period_from: Mapped[datetime] = mapped_column(Date)
    period_to: Mapped[datetime] = mapped_column(Date)
    approved_minutes: Mapped[int] = mapped_column(Integer)
    # [{"entry_id", "date", "description", "minutes", "recorded_by", "decided_by"}] of the
    # approved entries counted: the evidence, with who recorded and who approved each.
    services: Mapped[list] = mapped_column(JSON, default=list)
    issuer: Mapped[str] = mapped_column(String(128))
    issued_on: Mapped[datetime] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    issued_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The verification code: encrypted (printed on the PDF) and hashed (checked).
    code_enc: Mapped[str] = mapped_column(String(512))
    code_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="valid",
                                        server_default="valid")  # valid | superseded
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                           nullable=True)
    superseded_reason: Mapped[str | None] = mapped_column(String(255), nullable=True)
    superseded_by_entry_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    replaces: Mapped[str | None] = mapped_column(String(40), nullable=True)
    replaced_by: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Application(Base):
    """A resident's application to volunteer (志愿者申请), from the public form: pending
    until staff approve it (the volunteer is created and linked here) or decline it with a
    reason. Personal data as in ``volunteers``: encrypted, the phone's keyed hash beside."""
    __tablename__ = "volunteer_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_enc: Mapped[str] = mapped_column(String(512))
    phone_enc: Mapped[str] = mapped_column(String(512))
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    compound: Mapped[str | None] = mapped_column(String(64), nullable=True)
    skills: Mapped[list] = mapped_column(JSON, default=list)
    availability: Mapped[list] = mapped_column(JSON, default=list)
    consent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decline_reason: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
