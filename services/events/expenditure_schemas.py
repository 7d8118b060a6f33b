"""Input, query and answer schemas of expenditures (services/events/expenditures.py); the
gateway validates with the same ones and publishes them in OpenAPI. Money travels as
yuan text with two decimals ("1234.50") and is kept as integer fen: never a float."""
from marshmallow import Schema, ValidationError, fields, validate

from common import contract
from common.errors import msg
from common.schemas import Day, Id, Instant, PageQuery, QueryId, Strict
from services.events.schemas import Answer, Plan

MAX_AMOUNT_FEN = 100_000_000_00  # ¥100,000,000: far beyond any line of a contract
BudgetLineCode = lambda **kw: fields.String(validate=validate.Length(1, 32), metadata={  # noqa: E731
    "description": "code of a budget line of the project year (its contract file: "
                   "personnel, activities, materials, …)"}, **kw)


class Yuan(fields.String):
    """An amount in yuan with at most two decimals, given as text ("1234.50") or a JSON
    number, loaded as exact integer fen; dumped (from fen) as text with two decimals."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            fen = contract.to_fen(value)
        except ValueError as exc:
            raise ValidationError(msg("yuan_amount_format", reason=contract.reason(exc))) \
                from None
        if not 0 < fen <= MAX_AMOUNT_FEN:
            raise ValidationError(msg("amount_range_yuan", max=contract.yuan(MAX_AMOUNT_FEN)))
        return fen

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else contract.yuan(value)


class ExpenditureCreate(Strict):
    spent_on = Day(required=True, metadata={
        "description": "local day of the spending: it decides the project year"})
    amount = Yuan(required=True, metadata={"description": "yuan, two decimals at most"})
    budget_line = BudgetLineCode(required=True)
    plan = Plan(required=True)
    event_id = Id(load_default=None, allow_none=True,
                  metadata={"description": "the activity it paid for, if one"})
    payee = fields.String(required=True, validate=validate.Length(1, 100))
    note = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=500))
    receipt_attachment_id = Id(load_default=None, allow_none=True, metadata={
        "description": "an uploaded receipt (attachment id)"})
    override_reason = fields.String(load_default=None, allow_none=True,
                                    validate=validate.Length(1, 200), metadata={
        "description": "admins only: spend past the line's amount, for this reason "
                       "(recorded)"})


class ExpenditureVoid(Strict):
    reason = fields.String(required=True, validate=validate.Length(2, 200), metadata={
        "description": "why it no longer counts (a typing mistake, a refund): recorded"})


class ExpenditureQuery(PageQuery):
    year = fields.Integer(validate=validate.Range(1, 99),
                          metadata={"description": "project year (default: all)"})
    budget_line = BudgetLineCode()
    plan = Plan()
    event_id = QueryId()


class BudgetQuery(Strict):
    year = fields.Integer(validate=validate.Range(1, 99), metadata={
        "description": "project year (default: the one holding today)"})


class LineState(Schema):
    budget_line = fields.String()
    label = fields.String()
    budget = Yuan(attribute="budget_fen")
    spent = Yuan(attribute="spent_fen")
    remaining = Yuan(attribute="remaining_fen", metadata={"description": "negative when "
                                                          "overspent by an override"})
    percent_spent = fields.Float()


class BudgetWarning(Schema):
    code = fields.String(metadata={"description": "budget_line_nearly_spent | "
                                                  "budget_line_overspent"})
    budget_line = fields.String()
    message = fields.String()
    percent_spent = fields.Float()


class Expenditure(Answer):
    id = fields.Integer()
    spent_on = fields.Date()
    project_year = fields.Integer()
    amount = Yuan(attribute="amount_fen")
    budget_line = fields.String()
    budget_line_label = fields.String()
    plan = fields.String()
    event_id = fields.Integer(allow_none=True)
    payee = fields.String()
    note = fields.String(allow_none=True)
    receipt_attachment_id = fields.Integer(allow_none=True)
    over_budget = fields.Boolean()
    override_reason = fields.String(allow_none=True)
    overridden_by = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = Instant()
    voided_at = Instant(allow_none=True, metadata={
        "description": "voided (作废): it no longer counts on its line"})
    voided_by = fields.String(allow_none=True)
    void_reason = fields.String(allow_none=True)


class ExpenditureRecorded(Expenditure):
    line = fields.Nested(LineState, metadata={"description": "the budget line after it"})
    warnings = fields.List(fields.Nested(BudgetWarning))


class BudgetLines(Schema):
    project_year = fields.Integer()
    year_start = fields.Date()
    year_end = fields.Date()
    warning_percent = fields.Integer()
    lines = fields.List(fields.Nested(LineState))
    total = fields.Nested(LineState)
