"""Facts published by the reports service. The district's reports instance receives
``community_summary_published`` through a RabbitMQ shovel, not through a binding here."""
from marshmallow import Schema, fields

from common.contracts import event_type


@event_type("community_summary_published", "reports",
            "A community's figures for the district roll-up.", consumers=())
class CommunitySummaryPublished(Schema):
    community_id = fields.String(required=True)
    project_year = fields.Integer(required=True)
    as_of = fields.DateTime(required=True)
    # {kpi name: actual}, plus {kpi name: target} for the same year.
    figures = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    targets = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)


@event_type("kpi_at_risk", "reports", "A KPI fell behind the calendar (emitted once per turn).",
            consumers=())
class KpiAtRisk(Schema):
    kpi = fields.String(required=True)
    project_year = fields.Integer(required=True)
    target = fields.Float(required=True)
    actual = fields.Float(required=True)
    percent_done = fields.Float(required=True)
    percent_year_elapsed = fields.Float(required=True)
    detected_at = fields.DateTime(required=True)
