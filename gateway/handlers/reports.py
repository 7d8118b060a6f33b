"""reports."""
from marshmallow import RAISE, Schema, fields, validate

from gateway.routing import READERS, route


class KpiQuery(Schema):
    class Meta:
        unknown = RAISE

    year = fields.Integer(validate=validate.Range(1, 10))


@route("GET", "/reports/kpis", READERS, query=KpiQuery, tag="reports",
       summary="KPIs against the contract's targets for a project year")
def get_kpis(ctx):
    return ctx.rpc("reports", "get_kpis", ctx.query.get("year"))
