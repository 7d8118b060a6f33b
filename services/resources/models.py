"""Tables of the resources service (plus the kernel's outbox/inbox/kernel_state).

Times of bookings are stored as naive UTC (``DateTime`` without time zone) on every
backend, so that SQLite's text comparison and PostgreSQL's ``timestamp`` agree; the domain
converts at the edges. Target groups and need categories of a resource live in small
association tables so that filters are plain indexed joins on SQLite and PostgreSQL alike.
"""
from datetime import date, datetime

from sqlalchemy import (JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String,
                        Text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from common import times
from common.db import make_metadata

metadata = make_metadata()
NEED_NUMBER_PREFIX = "XQ"  # 需求


def utcnow():
    """Naive UTC, the storage form of every timestamp of this service."""
    return times.to_storage(times.now())


class Base(DeclarativeBase):
    metadata = metadata


class Partner(Base):
    """合作单位: a school, enterprise, merchant, social organisation, government unit or
    resident group that offers resources."""
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    five_society: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    # PII of the contact person: encrypted at rest, keyed hash for look-up.
    contact_name_enc: Mapped[str | None] = mapped_column(String(512), nullable=True)
    contact_phone_enc: Mapped[str | None] = mapped_column(String(512), nullable=True)
    contact_phone_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    compounds: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="active")
    # Sample (demonstration) data: in no figure, export or summary; an admin clears it.
    sample: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Resource(Base):
    """An entry of the resource library (资源库)."""
    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id"), nullable=True, index=True)
    # None: not counted (a standing service); otherwise units offered and units left.
    quantity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quantity_left: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unit: Mapped[str | None] = mapped_column(String(16), nullable=True)
    available_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    available_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    availability_note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Estimated value of the whole resource, and optionally of one unit, in yuan.
    value_yuan: Mapped[float] = mapped_column(Float, default=0.0)
    unit_value_yuan: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    # Sample (demonstration) data: in no figure, export or summary; an admin clears it.
    sample: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    partner: Mapped[Partner | None] = relationship(lazy="joined")
    target_group_rows: Mapped[list["ResourceTargetGroup"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ResourceTargetGroup.position")
    need_category_rows: Mapped[list["ResourceNeedCategory"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ResourceNeedCategory.position")

    @property
    def target_groups(self):
        return [row.code for row in self.target_group_rows]

    @property
    def need_categories(self):
        return [row.code for row in self.need_category_rows]


class ResourceTargetGroup(Base):
    __tablename__ = "resource_target_groups"

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ResourceNeedCategory(Base):
    __tablename__ = "resource_need_categories"

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Venue(Base):
    """A room or hall of the station (阵地), bookable."""
    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    wing: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    capacity: Mapped[int] = mapped_column(Integer)
    equipment: Mapped[list] = mapped_column(JSON, default=list)
    # {"mon": [["08:30", "12:00"], ["14:00", "21:00"]], ...}; a missing day is closed.
    opening_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class BookingSeries(Base):
    """A recurring booking (e.g. 四点半课堂 every weekday 16:30-18:00 for a term): its rule
    and the slot of its first occurrence; each occurrence is a ``Booking`` linked to it,
    written together with the series or not at all."""
    __tablename__ = "booking_series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(200))
    # Normalised RFC 5545 RRULE text (FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU;UNTIL=20270630),
    # run over the local wall clock of ``timezone`` from the first occurrence's start.
    rrule: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    exdates: Mapped[list] = mapped_column(JSON, default=list)
    first_start_at: Mapped[datetime] = mapped_column(DateTime)
    first_end_at: Mapped[datetime] = mapped_column(DateTime)
    last_start_at: Mapped[datetime] = mapped_column(DateTime)
    occurrences: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="active")
    booked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (Index("ix_bookings_venue_slot", "venue_id", "status", "start_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    # The recurring booking this is an occurrence of; None for a one-off booking.
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("booking_series.id"), nullable=True, index=True)
    start_at: Mapped[datetime] = mapped_column(DateTime)
    end_at: Mapped[datetime] = mapped_column(DateTime)
    purpose: Mapped[str] = mapped_column(String(200))
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    booked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    @property
    def minutes(self):
        """The booking's length in whole minutes."""
        return int((self.end_at - self.start_at).total_seconds() // 60)


class Need(Base):
    """A resident's need (需求), from intake to closing."""
    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The need's number (XQ000123) is derived from its id, never stored twice.
    target_group: Mapped[str] = mapped_column(String(32), index=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    urgency: Mapped[str] = mapped_column(String(16))
    compound: Mapped[str | None] = mapped_column(String(64), nullable=True)
    description: Mapped[str] = mapped_column(Text)
    # PII of the resident: encrypted at rest, keyed hash for look-up and duplicates.
    resident_name_enc: Mapped[str | None] = mapped_column(String(512), nullable=True)
    resident_phone_enc: Mapped[str | None] = mapped_column(String(512), nullable=True)
    resident_phone_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    outcome_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    satisfaction: Mapped[int | None] = mapped_column(Integer, nullable=True)
    registered_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    matched_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    in_service_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    @property
    def number(self):
        """XQ000123: what social workers and residents quote."""
        return f"{NEED_NUMBER_PREFIX}{self.id:06d}"


class Match(Base):
    """Who matched what to a need (精准帮扶): a resource, a volunteer, or both."""
    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"), nullable=True)
    volunteer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    value_yuan: Mapped[float] = mapped_column(Float, default=0.0)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    matched_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# Case files (个案档案) share this metadata: imported last, they build on Base above.
from services.resources import case_models  # noqa: E402,F401
