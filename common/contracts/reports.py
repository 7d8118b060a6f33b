"""Facts published by the reports service.

The district's reports instance receives ``community_summary_published`` through RabbitMQ
shovels (deploy/district/shovels.py), not through a binding here: communities must not
consume each other's summaries, so the registry lists no consumer, and the district
instance (REPORTS_MODE=district) declares its own queue ``reports.district-summaries``.
``figures`` holds the KPI actuals of the project year plus the weights of the means
(``feedback_count``, ``need_satisfaction_count``, ``needs_matched``) so that the district
can average them."""
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
    # What the district's board shows beside the numbers (absent from older summaries):
    # each KPI's label and unit, which KPIs have any fact counted (the others are
    # no_data), and the project year they belong to.
    labels = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    units = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    counted = fields.List(fields.String(), load_default=list)
    project = fields.String(allow_none=True, load_default=None)
    sample_targets = fields.Boolean(load_default=False)
    year_start = fields.Date(allow_none=True, load_default=None)
    year_end = fields.Date(allow_none=True, load_default=None)


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
