"""Input and output schemas of the volunteers service; the gateway validates with the
same ones and publishes them in OpenAPI."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from common import pii

SKILL_FORMAT = validate.Regexp(r"^[a-z0-9_\u4e00-\u9fff-]{1,32}$",
                               error="a skill is a tag of 1-32 lowercase letters, digits, "
                                     "Chinese characters, - or _")


class VolunteerCreate(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(1, 50))
    phone = fields.String(required=True)
    compound = fields.String(load_default=None, validate=validate.Length(1, 64))
    skills = fields.List(fields.String(validate=SKILL_FORMAT), load_default=list,
                         validate=validate.Length(max=30))
    talent = fields.Boolean(load_default=False)

    @validates("phone")
    def _phone(self, value, **_):
        if not pii.is_phone(value):
            raise ValidationError("not a mainland mobile number (11 digits, 1[3-9]…)")


class Volunteer(Schema):
    id = fields.Integer()
    number = fields.String()
    name = fields.String()
    phone = fields.String(metadata={"description": "masked unless revealed"})
    compound = fields.String(allow_none=True)
    skills = fields.List(fields.String())
    talent = fields.Boolean()
    status = fields.String()
    created_at = fields.DateTime()
