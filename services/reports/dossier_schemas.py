"""The evaluation dossier's request (the gateway validates with it; the service checks
again). ``from`` and ``to`` load under their own names, so the body travels over RPC as
the client wrote it."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

PLANS = ("resources", "system", "service", "culture")
DATE = validate.Regexp(r"^\d{4}-\d{2}-\d{2}$", error="expected_day")


class DossierRequest(Schema):
    """``POST /reports/dossiers``: a project year (default: the configured one) or a
    period [from, to] (local days) inside one, optionally one plan."""

    class Meta:
        unknown = RAISE

    year = fields.Integer(validate=validate.Range(1, 10))
    from_ = fields.String(data_key="from", attribute="from", validate=DATE)
    to = fields.String(validate=DATE)
    plan = fields.String(validate=validate.OneOf(PLANS))

    @validates_schema
    def _period(self, data, **kwargs):
        if data.get("from") and data.get("to") and data["from"] > data["to"]:
            raise ValidationError("from_after_to", "from")
