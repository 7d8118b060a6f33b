"""Months marked reported (月报已报送) and late entries (补录): plain functions over a session.

Staff close a month once its report has been sent: the report is stored as it was sent
and every later answer for that month is that report, never a silently changed one. A
fact for a closed month that is entered afterwards still counts in its own month (the
period of the service is the period of the figure), and the projections also file it as
a late entry (``projections.LATE``) under the month whose report shows it: the month it
was entered in, or the first later one not yet reported then. So:

- the report of a closed month = the stored report + its amendments, separately: the
  late entries by the month that shows them, and the amended figures beside the reported;
- the report of a later month lists the late entries it shows (``late_entries``), for
  each closed month: the late figures, the reported figure and the amended one;
- the reports as sent plus the late entries they show add up to the figures of the year.
"""
import json
import re

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from common import times
from common.errors import Conflict, ValidationFailed
from common.messages import msg
from services.reports import catalogue, projections
from services.reports.models import figures, period_closes

# Figures that add up month by month (a late entry adds to them); means and distinct
# counts are shown as amended beside reported, not as increments.
ADDITIVE = {m.name for m in catalogue.METRICS if m.kind in ("sum", "scaled")}
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def closed(session, period):
    """The close of ``period`` (YYYY-MM) as a dict, or None if it is still open."""
    row = session.execute(select(period_closes).where(period_closes.c.period == str(period))
                          ).mappings().first()
    return dict(row) if row else None


def check_closable(period, today):
    """A month (YYYY-MM) that is over; 422 naming ``period`` otherwise."""
    text = str(period)
    if not MONTH.match(text):
        raise ValidationFailed("only_month_reported",
                               {"period": ["expected_month"]})
    if text >= today.strftime("%Y-%m"):
        raise ValidationFailed("month_reported_after_over",
                               {"period": [msg("period_not_over", text=text)]})


def close(session, period, closed_by, report, now=None):
    """Store ``report`` (the month's periodic report, as sent) and mark the month
    reported. 409 if it already is: what was sent is never replaced."""
    already = closed(session, period)
    if already is not None:
        raise Conflict("period_already_reported",
                       {"period": period, "closed_at": _iso(already["closed_at"]),
                        "closed_by": already["closed_by"]}, period=period)
    closed_at = projections.instant(times.iso(now or times.now()))
    try:
        with session.begin_nested():
            session.execute(insert(period_closes).values(
                period=str(period), closed_at=closed_at, closed_by=closed_by or "unknown",
                report=json.dumps(report, ensure_ascii=False, sort_keys=True)))
    except IntegrityError:  # closed at the same moment by someone else
        raise Conflict("period_already_reported", {"period": period}, period=period) from None
    return {"period": str(period), "closed_at": _iso(closed_at), "closed_by": closed_by,
            "summary": report["summary"]}


def sent_report(session, period, generation, amended_summary):
    """The stored report of a closed month with its amendments beside it, or None.
    ``amended_summary(period)`` gives the month's figures as they stand now."""
    row = closed(session, period)
    if row is None:
        return None
    report = json.loads(row["report"])
    reported = report["summary"]
    now = amended_summary(period)
    changed = sorted(n for n in reported if n in now and now[n] != reported[n])
    shown = _late_raw(session, generation, period=period)
    report["closed"] = {"closed_at": _iso(row["closed_at"]), "closed_by": row["closed_by"],
                        "note": "本报告为报送时的原始数据；报送后补录的数据见 amendments"}
    report["amendments"] = {
        "late_entries": [{"shown_in": month, "figures": figures_of}
                         for month, raw in sorted(shown.items())
                         if (figures_of := _late_figures(raw))],
        "reported": {n: reported[n] for n in changed},
        "amended": {n: now[n] for n in changed},
    }
    return report


def late_entries(session, generation, start, end, amended_summary):
    """The late entries (补录) the report of months [start, end] shows: for each month
    reported before ``start``, the figures entered late and shown here, the figure as
    reported and as amended."""
    out = []
    by_period = _late_raw(session, generation, shown_from=start, shown_to=end, before=start)
    for period, raw in sorted(by_period.items()):
        late = _late_figures(raw)
        if not late:
            continue
        row = closed(session, period)
        reported = json.loads(row["report"])["summary"] if row else {}
        now = amended_summary(period)
        out.append({"period": period, "closed_at": _iso(row["closed_at"]) if row else None,
                    "figures": late, "reported": {n: reported.get(n) for n in late},
                    "amended": {n: now.get(n) for n in late}})
    return out


LATE_NOTE = ("已报送月份的报告保持报送时的数据不变；报送后才录入的数据（补录）计入其服务发生的"
             "月份，并在其后的报告中列出：补录数值、报送数值与更正后数值并列。")


def late_rows(report):
    """The late entries (补录) a report shows, one row per figure: {period (the month the
    service happened, already reported), shown_in (the report that lists the entry), name,
    late (what was entered late), reported (the figure as sent), amended (as it stands)}.

    A month's report lists the entries made late for months reported before it; a
    reported month's own report, kept as sent, lists what was entered for it afterwards
    (``amendments``), and the figures changed by them that do not add up (people served
    once, means) with no late increment."""
    rows = []
    for entry in report.get("late_entries") or []:
        for name, late in entry["figures"].items():
            rows.append({"period": entry["period"], "shown_in": report["period"], "name": name,
                         "late": late, "reported": entry["reported"].get(name),
                         "amended": entry["amended"].get(name)})
    amendments = report.get("amendments")
    if amendments:
        reported, amended = amendments["reported"], amendments["amended"]
        listed = set()
        for entry in amendments["late_entries"]:
            for name, late in entry["figures"].items():
                listed.add(name)
                rows.append({"period": report["period"], "shown_in": entry["shown_in"],
                             "name": name, "late": late, "reported": reported.get(name),
                             "amended": amended.get(name)})
        for name in reported:
            if name not in listed:
                rows.append({"period": report["period"], "shown_in": None, "name": name,
                             "late": None, "reported": reported[name],
                             "amended": amended.get(name)})
    return rows


def _late_raw(session, generation, period=None, shown_from=None, shown_to=None,
              before=None):
    """{period: {raw name: sum}} of late entries (or, given ``period``, {month that
    shows them: {raw name: sum}})."""
    f = figures.c
    query = select(f.period, f.key, f.name, f.value).where(
        f.generation == generation, f.dimension == projections.LATE)
    if period is not None:
        query = query.where(f.period == period)
    if shown_from is not None:
        query = query.where(f.key >= shown_from, f.key <= shown_to, f.period < before)
    out = {}
    for p, shown_in, name, value in session.execute(query):
        group = out.setdefault(shown_in if period is not None else p, {})
        group[name] = group.get(name, 0) + value
    return out


def _late_figures(raw):
    """The additive figures of late raw counters, those that changed."""
    return {n: v for n, v in catalogue.derive(raw, ADDITIVE).items() if v}


def _iso(instant_text):
    return times.iso(times.parse(instant_text))
