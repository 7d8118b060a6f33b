"""Query schemas shared by list routes."""
from marshmallow import RAISE, Schema, fields, validate

MAX_PAGE_SIZE = 100


class PageQuery(Schema):
    class Meta:
        unknown = RAISE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, MAX_PAGE_SIZE))
