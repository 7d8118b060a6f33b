"""Facts published by the volunteers service. Ids, codes, counts, times: never a
resident's or volunteer's name, phone or ID number."""
from marshmallow import Schema, fields, validate

from common.contracts import event_type


@event_type("volunteer_registered", "volunteers", "A volunteer joined the registry.")
class VolunteerRegistered(Schema):
    volunteer_id = fields.Integer(required=True)
    volunteer_number = fields.String(required=True)
    compound = fields.String(allow_none=True)
    skills = fields.List(fields.String(), required=True)
    talent = fields.Boolean(required=True)
    registered_at = fields.DateTime(required=True)
