"""Projections and KPIs: plain functions over a session."""
from datetime import date, datetime, timezone
from pathlib import Path

import yaml
from sqlalchemy import func, select

from common.config import ROOT
from common.contracts import parse_time
from common.errors import NotFound, ValidationFailed
from services.reports.models import Figure


def add_to_figure(session, name, period, amount=1, dimension="all", key="all"):
    """Increment a counter (read-modify-write inside the caller's transaction)."""
    figure = session.execute(select(Figure).where(
        Figure.name == name, Figure.period == period, Figure.dimension == dimension,
        Figure.key == key).with_for_update()).scalar_one_or_none()
    if figure is None:
        figure = Figure(name=name, period=period, dimension=dimension, key=key, value=0)
        session.add(figure)
    figure.value = (figure.value or 0) + amount
    session.flush()


def period_of(envelope):
    return parse_time(envelope["occurred_at"]).strftime("%Y-%m")


def apply_volunteer_registered(session, envelope):
    period = period_of(envelope)
    add_to_figure(session, "volunteers_registered", period)
    compound = envelope["payload"].get("compound")
    if compound:
        add_to_figure(session, "volunteers_registered", period, 1, "compound", compound)


def total(session, name, start_period, end_period):
    return session.execute(select(func.coalesce(func.sum(Figure.value), 0)).where(
        Figure.name == name, Figure.dimension == "all",
        Figure.period >= start_period, Figure.period <= end_period)).scalar_one()


def load_targets(path):
    path = Path(path)
    if not path.is_absolute():
        path = ROOT / path
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def year_elapsed(start, end, today):
    span = (end - start).days + 1
    done = (min(max(today, start), end) - start).days + (1 if today >= start else 0)
    return max(0.0, min(1.0, done / span))


def kpi_status(actual, target, elapsed):
    if target <= 0 or actual >= target:
        return "achieved"
    # Behind the calendar by more than a tenth of the target: at risk.
    return "on_track" if actual / target >= elapsed - 0.10 else "at_risk"


def kpis(session, targets, year=None, today=None):
    today = today or datetime.now(timezone.utc).date()
    if year is not None and int(year) != int(targets.get("project_year", 1)):
        raise NotFound(f"no targets for project year {year}", {"year": [f"unknown year {year}"]})
    start = _as_date(targets["year_start"])
    end = _as_date(targets["year_end"])
    elapsed = year_elapsed(start, end, today)
    items = []
    for name, spec in targets["targets"].items():
        actual = total(session, name, start.strftime("%Y-%m"), end.strftime("%Y-%m"))
        target = float(spec["target"])
        items.append({
            "kpi": name, "label": spec.get("label", name), "unit": spec.get("unit"),
            "target": target, "actual": actual,
            "percent_done": round(100.0 * actual / target, 1) if target else 100.0,
            "percent_year_elapsed": round(100.0 * elapsed, 1),
            "status": kpi_status(actual, target, elapsed),
        })
    return {"community_id": targets.get("community_id"), "project": targets.get("project"),
            "project_year": targets.get("project_year"), "sample_targets": bool(targets.get("sample")),
            "year_start": start.isoformat(), "year_end": end.isoformat(), "kpis": items}


def _as_date(value):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed("bad date in targets file", {"year_start": [str(value)]}) from None
