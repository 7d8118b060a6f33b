"""Read model of the reports service: figures projected from domain events."""
from sqlalchemy import Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from common.db import make_metadata

metadata = make_metadata()


class Base(DeclarativeBase):
    metadata = metadata


class Figure(Base):
    """A counter: ``name`` in ``period`` (YYYY-MM) for a ``dimension``/``key`` pair
    (e.g. activities_held, 2026-11, plan, culture). Totals use dimension "all"."""
    __tablename__ = "figures"
    __table_args__ = (UniqueConstraint("name", "period", "dimension", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    dimension: Mapped[str] = mapped_column(String(32), default="all")
    key: Mapped[str] = mapped_column(String(64), default="all")
    value: Mapped[float] = mapped_column(Float, default=0)
