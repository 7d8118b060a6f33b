"""The budget statement (预算执行情况) of a project year, projected from the
``expenditure_recorded`` facts, and the year-over-year comparison of the contract's years.

Spending is kept in exact fen (``spent_fen``) under ``project_year`` (the year's total,
month by month), ``budget_line`` (``<year>:<line>``) and ``year_plan`` (``<year>:<plan>``):
the fact names its project year, so a year that does not start on the 1st of a month
still adds up. The budget itself is the year's contract file (common/contract.py).
"""
from sqlalchemy import func, select

from common import contract, messages, times, vocab
from services.reports import domain
from services.reports.models import figures

# Burn: spending ahead of the share of the year elapsed by more than this many points is
# ``ahead`` (too fast), behind by more is ``behind``, else ``on_pace``.
PACE_MARGIN = 10.0


def _percent(part, whole):
    return round(100.0 * part / whole, 1) if whole else None


def spending(session, generation, number):
    """{dimension: {key: fen}} of the year, and {month: fen}."""
    f = figures.c
    rows = session.execute(
        select(f.dimension, f.key, f.period, func.sum(f.value)).where(
            f.generation == generation, f.name == "spent_fen",
            f.dimension.in_(("project_year", "budget_line", "year_plan")))
        .group_by(f.dimension, f.key, f.period)).all()
    by, months = {}, {}
    prefix = f"{number}:"
    for dimension, key, period, value in rows:
        if dimension == "project_year":
            if key != str(number):
                continue
            months[period] = months.get(period, 0) + int(value)
            key = "total"
        elif not key.startswith(prefix):
            continue
        else:
            key = key[len(prefix):]
        by.setdefault(dimension, {})
        by[dimension][key] = by[dimension].get(key, 0) + int(value)
    return by, dict(sorted(months.items()))


def _overrides(session, generation, number):
    f = figures.c
    return int(session.execute(select(func.coalesce(func.sum(f.value), 0)).where(
        f.generation == generation, f.name == "expenditures_over_budget",
        f.dimension == "project_year", f.key == str(number))).scalar_one())


def _row(code, label, budget_fen, spent_fen):
    return {"budget_line": code, "label": label, "budget": contract.yuan(budget_fen),
            "spent": contract.yuan(spent_fen), "remaining": contract.yuan(budget_fen - spent_fen),
            "percent_spent": _percent(spent_fen, budget_fen)}


def _per(fen, count):
    return contract.yuan(round(fen / count)) if count else None


def statement(session, year, today=None):
    """The year's lines: budget, spent, remaining, % spent; the total; the burn against
    the share of the year elapsed; spending by plan and by month; cost per activity held
    and per person served (人次) in the year."""
    today = today or times.local_today()
    generation = domain.active_generation(session)
    by, months = spending(session, generation, year.number)
    lines_spent = by.get("budget_line", {})
    lines = [_row(line.code, line.label, line.amount_fen, lines_spent.get(line.code, 0))
             for line in year.lines]
    for code in sorted(set(lines_spent) - {line.code for line in year.lines}):
        lines.append(_row(code, code, 0, lines_spent[code]))  # a line no longer in the file
    spent = by.get("project_year", {}).get("total", 0)
    elapsed = round(100.0 * domain.year_elapsed(year.start, year.end, today), 1)
    percent_spent = _percent(spent, year.budget_fen)
    if percent_spent is None:
        pace = None
    elif percent_spent > elapsed + PACE_MARGIN:
        pace = "ahead"
    elif percent_spent < elapsed - PACE_MARGIN:
        pace = "behind"
    else:
        pace = "on_pace"
    first, last = year.start.strftime("%Y-%m"), year.end.strftime("%Y-%m")
    counted = domain.totals(session, generation, first, last,
                            {"activities_held", "people_served"})
    activities = int(counted.get("activities_held", 0))
    people = int(counted.get("people_served", 0))
    return {
        "project_year": year.number, "year_start": year.start.isoformat(),
        "year_end": year.end.isoformat(), "as_of": today.isoformat(),
        "sample_budget": bool(year.targets.get("sample")),
        "warning_percent": year.warning_percent,
        "lines": lines,
        "total": _row("total", messages.label("total"), year.budget_fen, spent),
        "burn": {"percent_spent": percent_spent, "percent_year_elapsed": elapsed,
                 "pace": pace},
        "by_plan": [{"plan": plan, "label": label,
                     "spent": contract.yuan(by.get("year_plan", {}).get(plan, 0))}
                    for plan, label in vocab.PLANS.items()],
        "by_month": [{"month": m, "spent": contract.yuan(v)} for m, v in months.items()],
        "overrides": _overrides(session, generation, year.number),
        "activities_held": activities, "people_served": people,
        "cost_per_activity": _per(spent, activities),
        "cost_per_person_served": _per(spent, people),
    }


def event_costs(session, first_month, last_month):
    """{event_id: yuan text} of the expenditures tied to an activity, spent in the months
    [first, last] (what an activity cost, for the evaluation dossier)."""
    f = figures.c
    rows = session.execute(select(f.key, func.sum(f.value)).where(
        f.generation == domain.active_generation(session), f.name == "spent_fen",
        f.dimension == "event", f.period >= first_month, f.period <= last_month)
        .group_by(f.key)).all()
    return {str(key): contract.yuan(int(value)) for key, value in rows if value}


def comparison(session, years, today=None):
    """Every project year side by side: each KPI's target and actual per year (with the
    change from the year before) and each year's budget, spending and costs."""
    today = today or times.local_today()
    shown, boards = [], []
    for year in years.years:
        board = domain.kpis(session, year.targets, today)
        boards.append((year, {k["kpi"]: k for k in board["kpis"]}))
        money = statement(session, year, today)
        shown.append({"project_year": year.number, "year_start": year.start.isoformat(),
                      "year_end": year.end.isoformat(),
                      "started": today >= year.start,
                      "budget": money["total"]["budget"], "spent": money["total"]["spent"],
                      "percent_spent": money["total"]["percent_spent"],
                      "cost_per_activity": money["cost_per_activity"],
                      "cost_per_person_served": money["cost_per_person_served"]})
    names = []
    for _year, board in boards:
        names += [name for name in board if name not in names]
    kpis = []
    for name in names:
        per_year, previous = [], None
        for year, board in boards:
            item = board.get(name)
            actual = item["actual"] if item else None
            change = None if actual is None or previous is None or today < year.start \
                else round(actual - previous, 2)
            per_year.append({"project_year": year.number,
                             "target": item["target"] if item else None,
                             "actual": actual, "percent_done": item["percent_done"] if item
                             else None, "change": change})
            previous = actual
        first = next(board[name] for _y, board in boards if name in board)
        kpis.append({"kpi": name, "label": first["label"], "unit": first["unit"],
                     "years": per_year})
    return {"as_of": today.isoformat(), "years": shown, "kpis": kpis}
