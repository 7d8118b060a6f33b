"""Query schemas of the reports routes (the gateway validates with them; the service
checks again)."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.reports import catalogue

MONTH_OR_DAY = validate.Regexp(r"^\d{4}-\d{2}(-\d{2})?$", error="expected_month_or_day")
PERIOD = validate.Regexp(r"^\d{4}(-\d{2}|-Q[1-4])?$", error="expected_period")


class KpiQuery(Schema):
    class Meta:
        unknown = RAISE

    year = fields.Integer(validate=validate.Range(1, 10))


class SummaryQuery(Schema):
    class Meta:
        unknown = RAISE

    date_from = fields.String(data_key="from", validate=MONTH_OR_DAY)
    date_to = fields.String(data_key="to", validate=MONTH_OR_DAY)
    group_by = fields.String(load_default="month",
                             validate=validate.OneOf(list(catalogue.GROUPINGS)))


class PeriodicQuery(Schema):
    class Meta:
        unknown = RAISE

    period = fields.String(validate=PERIOD, metadata={
        "description": "a month, quarter or calendar year (or give year)"})
    year = fields.Integer(validate=validate.Range(1, 10), metadata={
        "description": "instead of period: the whole project year of the contract"})
    format = fields.String(load_default="json",
                           validate=validate.OneOf(["json", "csv", "xlsx", "pdf"]))

    @validates_schema
    def _one_period(self, data, **_):
        if ("period" in data) == ("year" in data):
            raise ValidationError("period_or_year", "period")
