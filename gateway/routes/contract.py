"""The contract: expenditures recorded by staff against the budget lines of the project
year (the events service keeps the ledger and refuses overspending), the budget statement
the reports service projects from the expenditure facts, and the project years side by
side."""
from common.schemas import wire
from gateway.routing import READERS, STAFF, route
from services.events import expenditure_schemas as schemas
from services.reports.schemas import KpiQuery


@route("POST", "/expenditures", STAFF, body=schemas.ExpenditureCreate,
       response=schemas.ExpenditureRecorded, status=201, tag="budget",
       answers={409: "the budget line has less left than the amount (details: budget_line, "
                     "remaining); an admin may give override_reason",
                403: "override_reason from someone who is not an admin"},
       summary="Record an expenditure (支出) on a budget line of the project year its date "
               "falls in; warns when the line passes its threshold")
def record_expenditure(ctx):
    return ctx.rpc("events", "record_expenditure", ctx.body, recorded_by=ctx.actor,
                   may_override=ctx.role == "admin")


@route("POST", "/expenditures/<int:expenditure_id>/void", STAFF, body=schemas.ExpenditureVoid,
       response=schemas.ExpenditureRecorded, tag="budget",
       answers={409: "already voided"},
       summary="Void an expenditure (作废: a typing mistake, a refund) with a reason: it "
               "stays listed, marked, and its amount goes back to its line; to correct "
               "one, void it and record the right one")
def void_expenditure(ctx, expenditure_id):
    return ctx.rpc("events", "void_expenditure", expenditure_id, ctx.body, voided_by=ctx.actor)


@route("GET", "/expenditures", STAFF, query=schemas.ExpenditureQuery,
       response=schemas.Expenditure, many=True, tag="budget",
       summary="Expenditures, newest first (filters: year, budget_line, plan, event_id)")
def list_expenditures(ctx):
    return ctx.rpc("events", "list_expenditures", wire(ctx.query))


@route("GET", "/expenditures/<int:expenditure_id>", STAFF, response=schemas.Expenditure,
       tag="budget", summary="One expenditure")
def get_expenditure(ctx, expenditure_id):
    return ctx.rpc("events", "get_expenditure", expenditure_id)


@route("GET", "/budget/lines", READERS, query=schemas.BudgetQuery,
       response=schemas.BudgetLines, tag="budget",
       summary="The project year's budget lines as the ledger stands now: budget, spent, "
               "remaining (default: the year holding today)")
def get_budget_lines(ctx):
    return ctx.rpc("events", "get_budget_lines", ctx.query.get("year"))


@route("GET", "/budget", READERS, query=KpiQuery, tag="budget",
       summary="The budget statement (预算执行情况) of a project year (default: the one "
               "holding today): per line and in total budget, spent, remaining; burn "
               "against the share of the year elapsed; by plan and month; cost per "
               "activity and per person served")
def get_budget_statement(ctx):
    return ctx.rpc("reports", "get_budget_statement", ctx.query.get("year"))


@route("GET", "/reports/years", READERS, tag="reports",
       summary="The contract's project years side by side: each KPI's target, actual and "
               "change from the year before; each year's budget, spending and costs")
def get_year_comparison(ctx):
    return ctx.rpc("reports", "get_year_comparison")
