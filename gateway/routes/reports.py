"""reports: KPIs, summaries, periodic reports, rebuild, and the district roll-up."""
from common import downloads
from gateway.routing import ADMIN, READERS, STAFF, route
from services.reports import evidence, schemas

DISTRICT_READERS = ("district_viewer", "admin")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@route("GET", "/reports/kpis", READERS, query=schemas.KpiQuery, tag="reports",
       summary="KPIs against the contract's targets for a project year")
def get_kpis(ctx):
    return ctx.rpc("reports", "get_kpis", ctx.query.get("year"))


@route("GET", "/reports/summary", READERS, query=schemas.SummaryQuery, tag="reports",
       summary="Figures over [from, to] (months) by month, plan, target group, compound (also kind, venue, need category)")
def get_summary(ctx):
    q = ctx.query
    return ctx.rpc("reports", "get_summary", q.get("date_from"), q.get("date_to"),
                   q.get("group_by", "month"))


@route("GET", "/reports/periodic", READERS, query=schemas.PeriodicQuery, tag="reports",
       produces=("application/json", "text/csv", XLSX, "application/pdf"),
       summary="Periodic report for a month, quarter or year, or a whole project year "
               "(?year=N) (json, csv, xlsx or an A4 pdf)")
def get_periodic_report(ctx):
    fmt = ctx.query.get("format", "json")
    result = ctx.rpc("reports", "get_periodic_report", ctx.query.get("period"), fmt,
                     year=ctx.query.get("year"))
    return result if fmt == "json" else downloads.response(result)


@route("GET", "/reports/attachments", READERS, query=evidence.AttachmentCountQuery,
       response=evidence.AttachmentCounts, tag="reports",
       summary="Evidence photos and files of a period's events and joint meetings (a month, "
               "quarter or year of their start): in all, by kind, by owner, per event")
def get_attachment_counts(ctx):
    return ctx.rpc("reports", "get_attachment_counts", ctx.query["period"])


@route("POST", "/reports/periods/<period>/close", STAFF, status=201, tag="reports",
       summary="Mark a month reported (月报已报送): its report is kept as sent; later "
               "entries for it appear as late entries (补录) in the next report")
def close_period(ctx, period):
    return ctx.rpc("reports", "close_period", period, ctx.actor)


@route("POST", "/reports/rebuild", ADMIN, status=202, tag="reports",
       summary="Rebuild every projection from the services' event logs (reads keep answering)")
def start_rebuild(ctx):
    return ctx.rpc("reports", "start_rebuild")


@route("GET", "/reports/rebuild", ADMIN, tag="reports", summary="State of the last rebuild")
def get_rebuild_status(ctx):
    return ctx.rpc("reports", "get_rebuild_status")


@route("POST", "/reports/summary/publish", ADMIN, status=202, tag="reports",
       summary="Publish this community's summary to the district now")
def publish_summary(ctx):
    return ctx.rpc("reports", "publish_summary")


@route("GET", "/district/summary", DISTRICT_READERS, tag="reports",
       summary="The district's communities' latest summaries and their total")
def get_district_summary(ctx):
    return ctx.rpc("reports", "get_district_summary")


@route("GET", "/district/communities", DISTRICT_READERS, query=schemas.KpiQuery, tag="reports",
       summary="The district page (区级汇总): each community's KPIs against its targets, its "
               "status and when it last reported, beside the district's total")
def get_district_communities(ctx):
    return ctx.rpc("reports", "get_district_communities", ctx.query.get("year"))


@route("GET", "/district/communities/<community_id>", DISTRICT_READERS, tag="reports",
       summary="One community's KPI board as the district last received it",
       answers={"404": "No summary received from that community"})
def get_district_community(ctx, community_id):
    return ctx.rpc("reports", "get_district_community", community_id)
