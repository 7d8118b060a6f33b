"""Reports: plain functions over a session (no broker, no network).

- generations: which projection generation is served / being rebuilt;
- ``apply_live``: delivered events, applied to the served generation and, during a
  rebuild, to the one being built (``pipeline.commit`` calls it inside the inbox's
  transaction);
- rebuild steps (begin, apply a page, finish, fail, drop a generation);
- KPIs against the targets file, the once-per-turn ``kpi_at_risk``;
- summaries by month / plan / target group / compound and periodic reports;
- district mode: community summaries received, and their roll-up.
"""
import json
import re
from calendar import monthrange
from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import delete, func, select, update

from common import times, vocab
from common.config import ROOT
from common.errors import Conflict, NotFound, ValidationFailed
from common.messages import msg
from services.reports import catalogue, periods, projections
from services.reports.models import (action_items, applied_events, community_summaries,
                                     figures, first_seen, kpi_state, partners, person_visits,
                                     projection_state, volunteer_service)

GENERATIONAL = (figures, applied_events, first_seen, person_visits, volunteer_service,
                action_items, partners)


# -- generations -----------------------------------------------------------------------

def _state(session, key, default=None):
    value = session.execute(select(projection_state.c.value)
                            .where(projection_state.c.key == key)).scalar_one_or_none()
    return default if value is None else value


def _set_state(session, key, value):
    stmt = projections.dialect_insert(session, projection_state).values(key=key, value=str(value))
    session.execute(stmt.on_conflict_do_update(index_elements=["key"],
                                               set_={"value": stmt.excluded.value}))


def active_generation(session):
    return int(_state(session, "active_generation", 1))


def building_generation(session):
    value = _state(session, "building_generation", "")
    return int(value) if value else None


_GENERATIONS = select(projection_state.c.key, projection_state.c.value).where(
    projection_state.c.key.in_(["active_generation", "building_generation"]))


def live_generations(session):
    """[served generation] + [generation being built, during a rebuild] (one query)."""
    state = dict(session.connection().execute(_GENERATIONS).all())
    gens = [int(state.get("active_generation") or 1)]
    building = state.get("building_generation")
    if building and int(building) not in gens:
        gens.append(int(building))
    return gens


def apply_live(session, envelopes):
    """Apply delivered events to every live generation, each generation's increments
    summed and written once."""
    closes = projections.closed_months(session)
    for generation in live_generations(session):
        projections.apply_events(session, generation, envelopes, closes)


# -- rebuild ---------------------------------------------------------------------------

def begin_rebuild(session, now=None):
    """Reserve a fresh generation; Conflict if a rebuild is already running."""
    if building_generation(session) is not None:
        raise Conflict("rebuild_already_running",
                       {"generation": [str(building_generation(session))]})
    top = max(active_generation(session),
              int(_state(session, "last_generation", 0)),
              session.execute(select(func.max(figures.c.generation))).scalar() or 0)
    generation = top + 1
    _set_state(session, "last_generation", generation)
    _set_state(session, "building_generation", generation)
    _set_state(session, "rebuild", json.dumps({
        "status": "running", "generation": generation, "events_read": 0, "events_applied": 0,
        "started_at": _now(now), "finished_at": None, "error": None}))
    return generation


def apply_page(session, generation, envelopes):
    """Apply a page of the event logs to the generation being built."""
    applied = sum(projections.apply_events(session, generation, envelopes))
    status = rebuild_status(session)
    status["events_read"] += len(envelopes)
    status["events_applied"] += applied
    _set_state(session, "rebuild", json.dumps(status))
    return applied


def finish_rebuild(session, generation, now=None):
    """Swap: the rebuilt generation is served from this commit on. Returns the old one."""
    if building_generation(session) != generation:
        raise Conflict("rebuild_superseded", {})
    old = active_generation(session)
    _set_state(session, "active_generation", generation)
    _set_state(session, "building_generation", "")
    status = rebuild_status(session)
    status.update(status="done", finished_at=_now(now), replaced_generation=old)
    _set_state(session, "rebuild", json.dumps(status))
    return old


def fail_rebuild(session, generation, error, now=None):
    if building_generation(session) == generation:
        _set_state(session, "building_generation", "")
    status = rebuild_status(session)
    status.update(status="failed", finished_at=_now(now), error=str(error)[:500])
    _set_state(session, "rebuild", json.dumps(status))


def rebuild_status(session):
    raw = _state(session, "rebuild")
    if raw is None:
        return {"status": "never", "generation": active_generation(session),
                "events_read": 0, "events_applied": 0}
    status = json.loads(raw)
    status["active_generation"] = active_generation(session)
    return status


def drop_generation_chunk(session, generation, chunk=5000):
    """Delete up to ``chunk`` rows of an unused generation per table; 0 when done."""
    if generation in live_generations(session):
        raise Conflict("generation_in_use", {"generation": [str(generation)]})
    removed = 0
    for table in GENERATIONAL:
        pk = [c for c in table.primary_key.columns if c.name != "generation"]
        ids = select(*pk).where(table.c.generation == generation).limit(chunk)
        rows = session.execute(ids).all()
        if not rows:
            continue
        session.execute(_delete_rows(table, generation, pk, rows))
        removed += len(rows)
    return removed


def _delete_rows(table, generation, pk, rows):
    from sqlalchemy import tuple_

    if len(pk) == 1:
        return delete(table).where(table.c.generation == generation,
                                   pk[0].in_([r[0] for r in rows]))
    return delete(table).where(table.c.generation == generation,
                               tuple_(*pk).in_([tuple(r) for r in rows]))


def figure_dump(session, generation=None):
    """Every counter of a generation, for comparisons: {(name, dim, period, key): value}."""
    generation = generation or active_generation(session)
    rows = session.execute(select(figures.c.name, figures.c.dimension, figures.c.period,
                                  figures.c.key, figures.c.value)
                           .where(figures.c.generation == generation)).all()
    return {f"{n}|{d}|{p}|{k}": v for n, d, p, k, v in rows if v}


# -- periods ---------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


def to_month(value, field):
    match = _MONTH.match(str(value or ""))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationFailed("bad_field", {field: ["expected_month_or_day"]}, field=field)
    return f"{match.group(1)}-{match.group(2)}"


_MONTHS = re.compile(r"^(\d{4})-(\d{2})\.\.(\d{4})-(\d{2})$")


def parse_period(period):
    """"2026-11" | "2026-Q4" | "2026" → (first month, last month, first day, last day).
    Also "2026-03..2027-02": the months of a project year that is not a calendar year
    (made by the service from ``?year=``, not accepted from a request)."""
    text = str(period or "")
    span = _MONTHS.match(text)
    if span:
        y1, m1, y2, m2 = (int(g) for g in span.groups())
        return (f"{y1}-{m1:02d}", f"{y2}-{m2:02d}", date(y1, m1, 1),
                date(y2, m2, monthrange(y2, m2)[1]))
    m = re.match(r"^(\d{4})(?:-(\d{2})|-Q([1-4]))?$", text)
    if not m or (m.group(2) and not 1 <= int(m.group(2)) <= 12):
        raise ValidationFailed("bad_period", {"period": ["expected_period"]})
    year = int(m.group(1))
    if not 2000 <= year <= 2100:
        raise ValidationFailed("bad_period", {"period": ["year_between_2000_2100"]})
    if m.group(2):
        first = last = int(m.group(2))
    elif m.group(3):
        q = int(m.group(3))
        first, last = 3 * q - 2, 3 * q
    else:
        first, last = 1, 12
    return (f"{year}-{first:02d}", f"{year}-{last:02d}", date(year, first, 1),
            date(year, last, monthrange(year, last)[1]))


# -- raw sums --------------------------------------------------------------------------

def raw_sums(session, generation, start, end, dimension="all", names=None):
    """{group key: {raw name: sum}} for one dimension over months [start, end]."""
    f = figures.c
    group = f.period if dimension == "month" else f.key
    q = (select(group, f.name, func.sum(f.value))
         .where(f.generation == generation, f.dimension == ("all" if dimension == "month"
                                                             else dimension),
                f.period >= start, f.period <= end)
         .group_by(group, f.name))
    if names:
        q = q.where(f.name.in_(sorted(names)))
    out = {}
    for key, name, total in session.execute(q):
        out.setdefault(key, {})[name] = total
    return out


def totals(session, generation, start, end, names=None):
    return raw_sums(session, generation, start, end, "all", names).get("all", {})


def distinct_people(session, generation, start, end, dimension=None):
    v = person_visits.c
    if dimension is None:
        return session.execute(select(func.count(func.distinct(v.resident_id))).where(
            v.generation == generation, v.period >= start, v.period <= end)).scalar_one()
    column = v.period if dimension == "month" else getattr(v, dimension)
    rows = session.execute(select(column, func.count(func.distinct(v.resident_id))).where(
        v.generation == generation, v.period >= start, v.period <= end).group_by(column))
    return dict(rows.all())


def volunteers_active(session, generation, start, end, by_month=False):
    v = volunteer_service.c
    if not by_month:
        return session.execute(select(func.count(func.distinct(v.volunteer_id))).where(
            v.generation == generation, v.period >= start, v.period <= end)).scalar_one()
    return dict(session.execute(select(v.period, func.count(func.distinct(v.volunteer_id)))
                                .where(v.generation == generation, v.period >= start,
                                       v.period <= end).group_by(v.period)).all())


def action_item_counts(session, generation, today):
    a = action_items.c
    open_ = a.status.in_(("open", "in_progress"))
    row = session.execute(select(
        func.count().filter(open_), func.count().filter(open_ & (a.due_date < today))
    ).where(a.generation == generation)).one()
    return {"action_items_open": row[0] or 0, "action_items_overdue": row[1] or 0}


def active_partners(session, generation):
    """{five-society category: partners in cooperation now} (not archived, stopped,
    deleted or sample)."""
    p = partners.c
    return dict(session.execute(select(p.five_society, func.count()).where(
        p.generation == generation, p.status == "active").group_by(p.five_society)).all())


def state_figures(session, generation, today):
    """The current-state figures: open and overdue action items, 五社 coverage."""
    by_category = active_partners(session, generation)
    out = action_item_counts(session, generation, today)
    out.update(partners_active=sum(by_category.values()),
               five_society_covered=sum(1 for n in by_category.values() if n))
    return out


def state_value(session, generation, name, dimension, keys, today):
    """A current-state KPI: partners in cooperation (of some categories), categories
    covered."""
    if name == "partners_active" and dimension == "five_society":
        by_category = active_partners(session, generation)
        return sum(by_category.get(k, 0) for k in keys)
    return state_figures(session, generation, today)[name]


# -- summaries -------------------------------------------------------------------------

def summary(session, date_from, date_to, group_by="month", today=None):
    """Figures over the months of [from, to] by month, plan, target group or compound."""
    if group_by not in catalogue.GROUPINGS:
        raise ValidationFailed("bad_group_by",
                               {"group_by": [msg("one_of_groupings",
                                                 groupings=catalogue.GROUPINGS)]})
    today = today or times.local_today()
    start = to_month(date_from or f"{today.year}-01", "from")
    end = to_month(date_to or today.isoformat(), "to")
    if end < start:
        raise ValidationFailed("to_before_from", {"to": ["must_not_be_before_from"]})
    generation = active_generation(session)
    names = catalogue.metrics_for(group_by)
    groups = []
    raw = raw_sums(session, generation, start, end, group_by)
    distinct = distinct_people(session, generation, start, end, group_by) \
        if group_by in catalogue.VISIT_GROUPINGS else {}
    active = volunteers_active(session, generation, start, end, by_month=True) \
        if group_by == "month" else {}
    for key in sorted(set(raw) | set(distinct)):
        values = catalogue.derive(raw.get(key, {}), names)
        if "distinct_people" in values:
            values["distinct_people"] = distinct.get(key, 0)
        if "volunteers_active" in values:
            values["volunteers_active"] = active.get(key, 0)
        groups.append({"key": key, "label": group_label(group_by, key), "figures": values})
    total = catalogue.derive(totals(session, generation, start, end))
    total["distinct_people"] = distinct_people(session, generation, start, end)
    total["volunteers_active"] = volunteers_active(session, generation, start, end)
    total.update(state_figures(session, generation, today))
    return {"from": start, "to": end, "group_by": group_by, "generation": generation,
            "metrics": [{"name": n, "label": catalogue.label(n), "unit": catalogue.unit(n)}
                        for n in names], "groups": groups, "total": total}


def group_label(group_by, key):
    from common import vocab

    table = {"plan": vocab.PLANS, "target_group": vocab.TARGET_GROUPS}.get(group_by)
    if table:
        return table.get(key, key)
    if group_by == "series":
        return vocab.label("series", key)
    if group_by == "compound":
        return "未填写" if key == projections.NONE else vocab.label("compounds", key)
    return key


SUMMARY_METRICS = [m.name for m in catalogue.METRICS] + list(catalogue.STATE_LABELS)


def period_summary(session, generation, start, end, today):
    """Every figure of the months [start, end] as they stand now."""
    total = catalogue.derive(totals(session, generation, start, end))
    total["distinct_people"] = distinct_people(session, generation, start, end)
    total["volunteers_active"] = volunteers_active(session, generation, start, end)
    total.update(state_figures(session, generation, today))
    return {n: total.get(n) for n in SUMMARY_METRICS}


def periodic(session, period, community_id=None, today=None):
    """A funder's report for a month, quarter or year: totals, one block per plan, and
    the late entries (补录) for months already reported that this report shows."""
    start, end, first_day, last_day = parse_period(period)
    today = today or times.local_today()
    generation = active_generation(session)

    def amended(month):
        return period_summary(session, generation, month, month, today)

    from common import vocab

    plan_metrics = catalogue.metrics_for("plan")
    by_plan = raw_sums(session, generation, start, end, "plan")
    distinct = distinct_people(session, generation, start, end, "plan")
    plans = {}
    for plan in vocab.PLANS:
        values = catalogue.derive(by_plan.get(plan, {}), plan_metrics)
        values["distinct_people"] = distinct.get(plan, 0)
        plans[plan] = values
    return {"period": str(period), "from": first_day.isoformat(), "to": last_day.isoformat(),
            "community_id": community_id, "generation": generation,
            "metrics": [{"name": n, "label": catalogue.label(n), "unit": catalogue.unit(n)}
                        for n in SUMMARY_METRICS],
            "plan_metrics": plan_metrics,
            "plan_labels": dict(vocab.PLANS),
            "summary": period_summary(session, generation, start, end, today),
            "plans": plans,
            "closed": None,
            "late_entries": periods.late_entries(session, generation, start, end, amended)}


def sent_report(session, period, today=None):
    """The report of a month marked reported, as sent, with its amendments; None if
    ``period`` is not a closed month."""
    start, end, _first, _last = parse_period(period)
    if start != end:
        return None
    today = today or times.local_today()
    generation = active_generation(session)
    return periods.sent_report(
        session, start, generation,
        lambda month: period_summary(session, generation, month, month, today))


# -- KPIs ------------------------------------------------------------------------------

_TARGETS_CACHE = {}


def load_targets(path):
    """The targets YAML, parsed once per file version (replacing the file takes effect
    at the next request; no restart needed)."""
    path = Path(path)
    if not path.is_absolute():
        path = ROOT / path
    stamp = path.stat().st_mtime_ns
    cached = _TARGETS_CACHE.get(path)
    if cached is None or cached[0] != stamp:
        cached = _TARGETS_CACHE[path] = (stamp, yaml.safe_load(path.read_text(encoding="utf-8")))
    return cached[1]


def targets_for(path, year=None):
    """The targets file for a project year: the configured one, or a sibling file
    ``<community>-year<N>.yaml`` for another year. NotFound if there is none."""
    targets = load_targets(path)
    if year is None or int(year) == int(targets.get("project_year", 1)):
        return targets
    sibling = Path(path)
    sibling = (sibling if sibling.is_absolute() else ROOT / sibling).parent / \
        f"{targets.get('community_id')}-year{int(year)}.yaml"
    if sibling.exists():
        return load_targets(sibling)
    raise NotFound("no_targets_for_year", {"year": [msg("unknown_year", year=year)]}, year=year)


def year_elapsed(start, end, today):
    span = (end - start).days + 1
    done = (min(max(today, start), end) - start).days + (1 if today >= start else 0)
    return max(0.0, min(1.0, done / span))


AT_RISK_MARGIN = 0.10
# Weights of the means, published with every community summary so that the district can
# average the means of its communities (whether or not the means are targets).
MEAN_WEIGHTS = {"mean_satisfaction": "feedback_count",
                "need_mean_satisfaction": "need_satisfaction_count",
                "mean_hours_to_match": "needs_matched"}
MEAN_KPIS = set(MEAN_WEIGHTS)


def kpi_specs(targets):
    """{kpi: (metric, dimension, keys)} for each target of the file. A target counts its
    ``metric`` (default: the KPI's own name) over the project year; with ``where:
    {dimension: key or [keys]}`` only the facts filed under those keys (activities of one
    plan, people served of the priority groups). A spec that cannot be counted is a
    mistake in the targets file: 422 naming the KPI."""
    specs = {}
    for name, spec in targets["targets"].items():
        code = spec.get("metric", name)
        metric = catalogue.BY_NAME.get(code) or catalogue.STATES.get(code)
        where = spec.get("where") or {}
        dimension, keys = (next(iter(where.items())) if where else (None, None))
        problem = None
        if metric is None and (where or "metric" in spec):
            problem = msg("unknown_metric", metric=spec.get("metric", name))
        elif len(where) > 1:
            problem = msg("where_one_dimension")
        elif where and (metric.kind == "distinct" or dimension not in metric.dims):
            problem = msg("metric_not_by_dimension", metric=metric.name, dimension=dimension)
        if problem:
            raise ValidationFailed("bad_targets_file", {name: [problem]})
        if keys is not None:
            keys = sorted(str(k) for k in (keys if isinstance(keys, list) else [keys]))
        specs[name] = (metric, dimension, keys)
    return specs


def kpi_status(name, actual, target, elapsed, has_data=True):
    """``achieved``, ``on_track``, ``at_risk``, or ``no_data``: no actual at all (a mean
    nobody has scored, a figure nobody reports), or nothing counted yet for a KPI the
    calendar does not yet put behind."""
    if actual is None:
        return "no_data"
    if name in MEAN_KPIS:
        # A mean is not accumulated over the year: judged against the target itself.
        if actual >= target:
            return "achieved"
        return "on_track" if actual >= target * (1 - AT_RISK_MARGIN) else "at_risk"
    if target <= 0 or (actual or 0) >= target:
        return "achieved"
    # Behind the calendar by more than a tenth of the target: at risk, data or not.
    if (actual or 0) / target < elapsed - AT_RISK_MARGIN:
        return "at_risk"
    return "on_track" if has_data else "no_data"


def year_months(targets):
    return (_as_date(targets["year_start"]).strftime("%Y-%m"),
            _as_date(targets["year_end"]).strftime("%Y-%m"))


def kpi_actuals(session, targets, period=None, today=None):
    """({kpi: actual}, {kpi: whether any fact counts toward it}, the year's raw totals
    including the weights of the means). Over the months ``period`` (first, last) when
    given, else the project year; current-state KPIs (五社 coverage) as they stand."""
    start, end = period or year_months(targets)
    today = today or times.local_today()
    generation = active_generation(session)
    specs = kpi_specs(targets)
    raw_names = {r for m, _d, _k in specs.values() if m for r in m.raw}
    raw_names |= set(MEAN_WEIGHTS.values())  # raw counters themselves
    # distinct_people / volunteers_active: first sightings in the year (one sum each).
    raw = totals(session, generation, start, end, raw_names)
    actuals, has_data = {}, {}
    for name, (metric, dimension, keys) in specs.items():
        if metric is None:  # a target the platform does not count (yet)
            actuals[name], has_data[name] = None, False
            continue
        if metric.kind == "state":
            actuals[name] = state_value(session, generation, metric.name, dimension, keys,
                                        today)
            has_data[name] = bool(actuals[name])
            continue
        counted = raw if dimension is None else \
            keyed_totals(session, generation, start, end, dimension, keys, metric.raw)
        actuals[name] = metric.value(counted)
        has_data[name] = any(r in counted for r in metric.raw)
    return actuals, has_data, raw


def period_kpis(session, targets, start, end, today=None):
    """{kpi: figure over the months [start, end]} of every KPI that adds up month by
    month (counts, hours, yuan; not means, distinct counts or current states): the
    monthly reports of a year add up to its KPIs."""
    actuals, _has_data, _raw = kpi_actuals(session, targets, (start, end), today)
    specs = kpi_specs(targets)
    return {name: actuals[name] or 0 for name, (metric, _d, _k) in specs.items()
            if metric is not None and metric.kind in ("sum", "scaled")}


def keyed_totals(session, generation, start, end, dimension, keys, names):
    """{raw name: sum} over the months [start, end] of the counters filed under ``keys``
    of ``dimension``."""
    f = figures.c
    rows = session.execute(select(f.name, func.sum(f.value)).where(
        f.generation == generation, f.dimension == dimension, f.key.in_(keys),
        f.period >= start, f.period <= end, f.name.in_(sorted(names))).group_by(f.name))
    return dict(rows.all())


def kpis(session, targets, today=None):
    today = today or times.local_today()
    start = _as_date(targets["year_start"])
    end = _as_date(targets["year_end"])
    elapsed = year_elapsed(start, end, today)
    actuals, has_data, _raw = kpi_actuals(session, targets, today=today)
    return kpi_board(targets, actuals, has_data, elapsed, today)


def kpi_board(targets, actuals, has_data, elapsed, today):
    """The KPI answer: each target beside its actual, % done, % of the year, status."""
    items = []
    for name, spec in targets["targets"].items():
        target = float(spec["target"])
        actual = actuals.get(name)
        if actual is None:
            percent = None
        else:
            percent = round(100.0 * actual / target, 1) if target else 100.0
        metric = spec.get("metric", name)
        items.append({
            "kpi": name, "label": spec.get("label", catalogue.label(metric)),
            "unit": spec.get("unit", catalogue.unit(metric)),
            "target": target, "actual": actual, "percent_done": percent,
            "percent_year_elapsed": None if elapsed is None else round(100.0 * elapsed, 1),
            "status": kpi_status(metric, actual, target, elapsed or 0.0,
                                 has_data.get(name, False)),
        })
    return {"community_id": targets.get("community_id"), "project": targets.get("project"),
            "project_year": targets.get("project_year"),
            "sample_targets": bool(targets.get("sample")),
            "year_start": _iso_or_none(targets.get("year_start")),
            "year_end": _iso_or_none(targets.get("year_end")),
            "as_of": today.isoformat(), "kpis": items}


def check_kpis(uow, targets, today=None, now=None):
    """Record each KPI's status; emit ``kpi_at_risk`` for each one that turned at_risk
    (once per turn: a conditional UPDATE decides, so concurrent checks emit once)."""
    session = uow.session
    report = kpis(session, targets, today)
    year = int(report["project_year"] or 1)
    now = now or times.now()
    emitted = []
    for item in report["kpis"]:
        session.execute(projections.dialect_insert(session, kpi_state).values(
            project_year=year, kpi=item["kpi"], status="unknown", changed_at=now
        ).on_conflict_do_nothing())
        turned = session.execute(update(kpi_state).where(
            kpi_state.c.project_year == year, kpi_state.c.kpi == item["kpi"],
            kpi_state.c.status != item["status"]).values(status=item["status"],
                                                         changed_at=now)).rowcount
        if turned and item["status"] == "at_risk":
            uow.emit("kpi_at_risk", {
                "kpi": item["kpi"], "project_year": year, "target": item["target"],
                "actual": float(item["actual"] or 0),
                "percent_done": float(item["percent_done"] or 0),
                "percent_year_elapsed": item["percent_year_elapsed"], "detected_at": now})
            emitted.append(item["kpi"])
    return {"checked": len(report["kpis"]), "turned_at_risk": emitted,
            "statuses": {item["kpi"]: item["status"] for item in report["kpis"]}}


# -- district roll-up ------------------------------------------------------------------

def community_summary_payload(session, targets, community_id, today=None, now=None):
    """What a community publishes for its district: its KPI actuals and targets, the
    weights of the means, and what the district's board needs to show them."""
    today = today or times.local_today()
    actuals, has_data, raw = kpi_actuals(session, targets, today=today)
    report = kpi_board(targets, actuals, has_data, None, today)
    figures_out = {item["kpi"]: float(item["actual"] or 0) for item in report["kpis"]}
    for weight in MEAN_WEIGHTS.values():  # the district averages the means with these
        figures_out.setdefault(weight, float(raw.get(weight, 0)))
    return {"community_id": community_id, "project_year": int(report["project_year"] or 1),
            "as_of": now or times.now(), "figures": figures_out,
            "targets": {i["kpi"]: i["target"] for i in report["kpis"]},
            "labels": {i["kpi"]: i["label"] for i in report["kpis"]},
            "units": {i["kpi"]: i["unit"] for i in report["kpis"]},
            "counted": sorted(name for name, seen in has_data.items() if seen),
            "project": report["project"], "sample_targets": report["sample_targets"],
            "year_start": report["year_start"], "year_end": report["year_end"]}


def publish_summary(uow, targets, community_id, today=None, now=None):
    payload = community_summary_payload(uow.session, targets, community_id, today, now)
    envelope = uow.emit("community_summary_published", payload)
    return {"published": True, "community_id": community_id,
            "figures": payload["figures"], "event_id": envelope and envelope["event_id"]}


def receive_community_summary(session, envelope, now=None):
    """Keep the latest summary of each community (an older or repeated one is ignored).
    ``figures`` keeps the whole payload but the targets: what the district's board shows
    besides the numbers (labels, year, which KPIs have data)."""
    p = envelope["payload"]
    as_of = projections.instant(p["as_of"])
    rest = {k: v for k, v in p.items() if k not in ("community_id", "project_year", "as_of",
                                                      "figures", "targets")}
    values = {"community_id": p["community_id"], "project_year": p["project_year"],
              "as_of": as_of,
              "figures": json.dumps(dict(p["figures"], **({"_about": rest} if rest else {})),
                                    sort_keys=True, ensure_ascii=False),
              "targets": json.dumps(p["targets"], sort_keys=True),
              "event_id": envelope["event_id"], "received_at": now or times.now()}
    t = community_summaries
    if session.execute(select(t.c.event_id).where(t.c.event_id == envelope["event_id"])).first():
        return False
    stmt = projections.dialect_insert(session, t).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["community_id"],
        set_={k: stmt.excluded[k] for k in values if k != "community_id"},
        where=t.c.as_of < stmt.excluded.as_of)
    return session.execute(stmt).rowcount == 1


WEIGHTED = MEAN_WEIGHTS


def _community_rows(session, project_year=None):
    """Each community's latest summary: (row, figures, about, targets)."""
    query = select(community_summaries).order_by(community_summaries.c.community_id)
    if project_year is not None:
        query = query.where(community_summaries.c.project_year == int(project_year))
    out = []
    for row in session.execute(query).mappings().all():
        figs = json.loads(row["figures"])
        about = figs.pop("_about", {})
        out.append((row, figs, about, json.loads(row["targets"])))
    return out


def roll_up(rows):
    """The district's total of its communities' figures (means weighted by their
    weights) and of their targets (a mean's target: the communities' average)."""
    total, targets, weighted = {}, {}, {}
    for _row, figs, _about, tgts in rows:
        for name, value in figs.items():
            if name in WEIGHTED:
                weight = figs.get(WEIGHTED[name], 0)
                acc = weighted.setdefault(name, [0.0, 0.0])
                acc[0] += value * weight
                acc[1] += weight
            else:
                total[name] = total.get(name, 0) + value
        for name, value in tgts.items():
            targets[name] = targets.get(name, 0) + value
    for name, (num, den) in weighted.items():
        total[name] = round(num / den, 2) if den else None
    for name in targets:
        if name in WEIGHTED and rows:
            targets[name] = round(targets[name] / len(rows), 2)
    return total, targets


def district_summary(session):
    rows = _community_rows(session)
    communities = [{"community_id": row["community_id"], "project_year": row["project_year"],
                    "as_of": row["as_of"], "figures": figs, "targets": tgts}
                   for row, figs, _about, tgts in rows]
    total, targets = roll_up(rows)
    total = {k: (0.0 if v is None else v) for k, v in total.items()}
    return {"communities": communities, "total": {"figures": total, "targets": targets},
            "community_count": len(communities)}


def district_kpis(session, own_targets=None, project_year=None, community_id=None,
                  today=None):
    """The district instance's board: its own targets (``own_targets``, a targets file
    of the district itself) or, without one, the sum of its communities' targets, against
    the communities' rolled-up actuals."""
    today = today or times.local_today()
    if own_targets is not None:
        project_year = own_targets.get("project_year", project_year)
    rows = _community_rows(session, project_year)
    total, summed = roll_up(rows)
    counted = {n for _r, figs, about, _t in rows
               for n in about.get("counted", [n for n, v in figs.items() if v])}
    if own_targets is None:
        abouts = [about for _r, _f, about, _t in rows]
        labels = {k: v for a in abouts for k, v in a.get("labels", {}).items()}
        units = {k: v for a in abouts for k, v in a.get("units", {}).items()}
        starts = sorted(a["year_start"] for a in abouts if a.get("year_start"))
        ends = sorted(a["year_end"] for a in abouts if a.get("year_end"))
        own_targets = {
            "community_id": community_id,
            "project": next((a["project"] for a in abouts if a.get("project")), None),
            "project_year": project_year or (rows[0][0]["project_year"] if rows else None),
            "sample": any(a.get("sample_targets") for a in abouts),
            "year_start": starts[0] if starts else None, "year_end": ends[-1] if ends else None,
            "targets": {name: {"target": value, "label": labels.get(name, catalogue.label(name)),
                               "unit": units.get(name, catalogue.unit(name))}
                        for name, value in summed.items()}}
    elapsed = None
    if own_targets.get("year_start") and own_targets.get("year_end"):
        elapsed = year_elapsed(_as_date(own_targets["year_start"]),
                               _as_date(own_targets["year_end"]), today)
    actuals = {name: total.get(name) for name in own_targets["targets"]}
    has_data = {name: name in counted for name in own_targets["targets"]}
    board = kpi_board(own_targets, actuals, has_data, elapsed, today)
    board.update(district=True, community_count=len(rows),
                 communities=[row["community_id"] for row, _f, _a, _t in rows])
    return board


# What a community's row says in one word: its worst KPI decides.
COMMUNITY_STATUS_ORDER = ("at_risk", "on_track", "achieved", "no_data")


def _community_board(row, figs, about, tgts, today):
    """One community's board, from its latest summary: its own targets against its own
    actuals, judged against its own project year (what its instance shows itself)."""
    targets = {"community_id": row["community_id"], "project": about.get("project"),
               "project_year": row["project_year"],
               "sample": bool(about.get("sample_targets")),
               "year_start": about.get("year_start"), "year_end": about.get("year_end"),
               "targets": {name: {"target": value,
                                  "label": about.get("labels", {}).get(name, catalogue.label(name)),
                                  "unit": about.get("units", {}).get(name, catalogue.unit(name))}
                           for name, value in tgts.items()}}
    counted = set(about.get("counted", [n for n, v in figs.items() if v]))
    elapsed = None
    if targets["year_start"] and targets["year_end"]:
        elapsed = year_elapsed(_as_date(targets["year_start"]), _as_date(targets["year_end"]),
                               today)
    actuals = {name: figs.get(name) for name in tgts}
    has_data = {name: name in counted for name in tgts}
    board = kpi_board(targets, actuals, has_data, elapsed, today)
    counts = {status: 0 for status in COMMUNITY_STATUS_ORDER}
    for item in board["kpis"]:
        counts[item["status"]] = counts.get(item["status"], 0) + 1
    community = vocab.of_community(row["community_id"])
    board.update(
        name=community.name, district=community.district,
        status=next((s for s in COMMUNITY_STATUS_ORDER if counts.get(s)), "no_data"),
        status_counts=counts,
        last_reported_at=times.iso(times.parse(row["as_of"])),
        received_at=times.iso(row["received_at"]))
    return board


def district_communities(session, own_targets=None, project_year=None, community_id=None,
                         today=None):
    """The district page: one board per community (its name from its community file,
    when it last reported) and the district's total board."""
    today = today or times.local_today()
    rows = _community_rows(session, project_year)
    total = district_kpis(session, own_targets, project_year, community_id, today)
    return {"as_of": today.isoformat(), "community_count": len(rows),
            "communities": [_community_board(*r, today) for r in rows], "total": total}


def district_community(session, community_id, today=None):
    """One community's board as the district last received it."""
    today = today or times.local_today()
    for r in _community_rows(session):
        if r[0]["community_id"] == community_id:
            return _community_board(*r, today)
    raise NotFound("no_summary_from_community",
                   {"community_id": ["no_summary_received"]}, community_id=community_id)


# -- helpers ---------------------------------------------------------------------------

def parse_today(value):
    if not value:
        return None
    return date.fromisoformat(str(value))


def _now(now=None):
    return times.iso(now or times.now())


def _iso_or_none(value):
    return None if value is None else _as_date(value).isoformat()


def _as_date(value):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed("bad_date_in_targets_file", {"year_start": [str(value)]}) from None

