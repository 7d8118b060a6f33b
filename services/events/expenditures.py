"""Expenditures (支出): money spent under the contract, on a budget line of the project
year its date falls in (common/contract.py reads the years and their lines).

- Amounts are exact integer fen; the API speaks yuan text with two decimals.
- A write that would take a line past its amount is refused (409 naming the line and
  what is left of it), unless an admin gives ``override_reason``: then it is accepted and
  the reason, the admin and ``over_budget`` are recorded with it.
- The line's running total (``budget_spending``) is locked while the write is checked,
  in the same transaction as the expenditure and its ``expenditure_recorded`` fact: two
  writes at once cannot both pass the check.
- The answer warns (``warnings``) when the line has passed the year's
  ``budget_warning_percent`` (90 % unless the file says otherwise); a warning's
  ``message`` is data for the console, in Chinese from the message catalogue.

Plain functions over a unit of work (writes) or a session (reads), like domain.py.
"""
from sqlalchemy import select

from common import contract as contracts_of_years
from common import messages, times
from common.db import paginate
from common.errors import Conflict, Forbidden, NotFound, ValidationFailed, load_input, msg
from common.schemas import RowAnswer
from services.events import expenditure_schemas as schemas
from services.events.domain import _row_id
from services.events.models import BudgetSpending, Event, Expenditure

CREATE = schemas.ExpenditureCreate()
VOID = schemas.ExpenditureVoid()
QUERY = schemas.ExpenditureQuery()
EXPENDITURE = schemas.Expenditure()
RECORDED = schemas.ExpenditureRecorded()
LINES = schemas.BudgetLines()


def percent(part, whole):
    return round(100.0 * part / whole, 1) if whole else None


def line_state(line, spent_fen):
    return {"budget_line": line.code, "label": line.label, "budget_fen": line.amount_fen,
            "spent_fen": spent_fen, "remaining_fen": line.amount_fen - spent_fen,
            "percent_spent": percent(spent_fen, line.amount_fen)}


def _said(key, **params):
    """A text of the answer (not an error): the catalogue's Chinese."""
    return messages.render(key, params, "zh")


def warnings_for(year, state):
    """A warning when the line is past the year's threshold, or past its amount."""
    spent = state["percent_spent"] or 0.0
    if state["remaining_fen"] < 0:
        return [{"code": "budget_line_overspent", "budget_line": state["budget_line"],
                 "percent_spent": spent,
                 "message": _said("budget_line_overspent_warning", label=state["label"],
                                  over=contracts_of_years.yuan(-state["remaining_fen"]),
                                  percent=spent)}]
    if state["spent_fen"] * 100 >= year.warning_percent * state["budget_fen"]:
        return [{"code": "budget_line_nearly_spent", "budget_line": state["budget_line"],
                 "percent_spent": spent,
                 "message": _said("budget_line_nearly_spent_warning", label=state["label"],
                                  percent=spent,
                                  remaining=contracts_of_years.yuan(state["remaining_fen"]))}]
    return []


def _insert(session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(BudgetSpending)


def _spending_row(session, project_year, code):
    """The line's running total, locked until the transaction ends. Its first write
    creates it at 0 (``ON CONFLICT DO NOTHING``: two first writes at once both get the
    one row, and the second waits for the first's lock)."""
    session.execute(_insert(session).values(
        project_year=project_year, budget_line=code, spent_fen=0).on_conflict_do_nothing())
    return session.execute(select(BudgetSpending).where(
        BudgetSpending.project_year == project_year,
        BudgetSpending.budget_line == code).with_for_update()).scalar_one()


def record_expenditure(uow, years, data, recorded_by, may_override=False):
    """Record one expenditure (``years``: the Contract). Raises ValidationFailed for a
    day outside the contract, a line the year does not have or an unknown event,
    Forbidden for an override by someone who is not an admin, Conflict for a line it
    would overspend."""
    data = load_input(CREATE, data)
    session = uow.session
    year = years.year_on(data["spent_on"])
    if year is None:
        spans = [msg("project_year_span", year=y.number, start=y.start.isoformat(),
                     end=y.end.isoformat()) for y in years.years]
        raise ValidationFailed("spent_on_outside_project_years",
                               {"spent_on": [msg("outside_project_years", spans=spans)]},
                               day=data["spent_on"].isoformat())
    line = year.line(data["budget_line"])
    if line is None:
        lines = [msg("budget_line_named", code=known.code, label=known.label)
                 for known in year.lines]
        raise ValidationFailed(
            "project_year_has_no_budget_line",
            {"budget_line": [msg("one_of_budget_lines", lines=lines) if lines
                             else msg("project_year_has_no_budget_lines")]},
            year=year.number, budget_line=data["budget_line"])
    if data["event_id"] is not None and session.get(Event, data["event_id"]) is None:
        raise ValidationFailed("event_not_found", {"event_id": ["no_such_event"]},
                               event_id=data["event_id"])
    reason = (data.get("override_reason") or "").strip() or None
    if reason and not may_override:
        raise Forbidden("override_admins_only", {"override_reason": ["admins_only"]})
    amount = data["amount"]
    spending = _spending_row(session, year.number, line.code)
    remaining = line.amount_fen - spending.spent_fen
    over = amount > remaining
    if over and not reason:
        raise Conflict(
            "budget_line_would_overspend",
            {"budget_line": line.code, "label": line.label, "project_year": year.number,
             "budget": contracts_of_years.yuan(line.amount_fen),
             "spent": contracts_of_years.yuan(spending.spent_fen),
             "remaining": contracts_of_years.yuan(remaining),
             "amount": contracts_of_years.yuan(amount)},
            code=line.code, label=line.label, year=year.number,
            remaining=contracts_of_years.yuan(max(remaining, 0)),
            amount=contracts_of_years.yuan(amount))
    row = Expenditure(
        spent_on=data["spent_on"], project_year=year.number, amount_fen=amount,
        budget_line=line.code, plan=data["plan"], event_id=data["event_id"],
        payee=data["payee"].strip(), note=data.get("note"),
        receipt_attachment_id=data.get("receipt_attachment_id"), over_budget=over,
        override_reason=reason if over else None, overridden_by=recorded_by if over else None,
        recorded_by=recorded_by, recorded_at=times.now())
    session.add(row)
    spending.spent_fen += amount
    session.flush()
    uow.emit("expenditure_recorded", _figures(row))
    state = line_state(line, spending.spent_fen)
    return RECORDED.dump(RowAnswer(row, budget_line_label=line.label, line=state,
                                   warnings=warnings_for(year, state)))


def _figures(row):
    """What the facts of an expenditure carry: the figures, never the payee or a note."""
    return {"expenditure_id": row.id, "project_year": row.project_year,
            "budget_line": row.budget_line, "plan": row.plan, "event_id": row.event_id,
            "spent_on": row.spent_on.isoformat(), "amount_fen": row.amount_fen,
            "over_budget": row.over_budget}


def void_expenditure(uow, years, expenditure_id, data, voided_by):
    """Void an expenditure (作废): it stays in the ledger, marked with who and why, and
    its amount goes back to its line. The correction of a mistyped one is this and a new
    expenditure. A second void is 409."""
    data = load_input(VOID, data)
    session = uow.session
    row = session.execute(select(Expenditure).where(
        Expenditure.id == _row_id(expenditure_id, "expenditure")).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("expenditure_not_found", {"expenditure_id": expenditure_id},
                       expenditure_id=expenditure_id)
    if row.voided_at is not None:
        raise Conflict("expenditure_already_voided",
                       {"voided_at": times.iso(row.voided_at), "voided_by": row.voided_by},
                       expenditure_id=row.id)
    spending = _spending_row(session, row.project_year, row.budget_line)
    spending.spent_fen -= row.amount_fen
    row.voided_at, row.voided_by = times.now(), voided_by
    row.void_reason = data["reason"].strip()
    session.flush()
    uow.emit("expenditure_voided", _figures(row))
    year = years.year(row.project_year)
    line = year.line(row.budget_line)
    state = line_state(line, spending.spent_fen) if line else None
    return RECORDED.dump(RowAnswer(row, budget_line_label=_label(years, row), line=state,
                                   warnings=warnings_for(year, state) if state else []))


def _label(years, row):
    try:
        line = years.year(row.project_year).line(row.budget_line)
    except NotFound:
        line = None
    return line.label if line else row.budget_line


def get_expenditure(session, years, expenditure_id):
    row = session.get(Expenditure, _row_id(expenditure_id, "expenditure"))
    if row is None:
        raise NotFound("expenditure_not_found", {"expenditure_id": expenditure_id},
                       expenditure_id=expenditure_id)
    return EXPENDITURE.dump(RowAnswer(row, budget_line_label=_label(years, row)))


def list_expenditures(session, years, query=None):
    """The newest spending first, filtered by project year, line, plan or event."""
    q = load_input(QUERY, query)
    statement = select(Expenditure).order_by(Expenditure.spent_on.desc(),
                                              Expenditure.id.desc())
    for name in ("budget_line", "plan", "event_id"):
        if q.get(name) is not None:
            statement = statement.where(getattr(Expenditure, name) == q[name])
    if q.get("year") is not None:
        statement = statement.where(Expenditure.project_year == q["year"])
    return paginate(session, statement, q["page"], q["per_page"],
                    lambda row: EXPENDITURE.dump(
                        RowAnswer(row, budget_line_label=_label(years, row))))


def budget_lines(session, years, year=None, today=None):
    """The year's lines as the ledger stands now: budget, spent, remaining (the running
    totals the overspend check reads)."""
    year = years.year(year) if year is not None else \
        years.current(today or times.local_today())
    spent = dict(session.execute(
        select(BudgetSpending.budget_line, BudgetSpending.spent_fen).where(
            BudgetSpending.project_year == year.number)).all())
    lines = [line_state(line, spent.get(line.code, 0)) for line in year.lines]
    total_spent = sum(spent.values())
    total = {"budget_line": "total", "label": messages.label("total"),
             "budget_fen": year.budget_fen,
             "spent_fen": total_spent, "remaining_fen": year.budget_fen - total_spent,
             "percent_spent": percent(total_spent, year.budget_fen)}
    return LINES.dump({"project_year": year.number, "year_start": year.start,
                       "year_end": year.end, "warning_percent": year.warning_percent,
                       "lines": lines, "total": total})
