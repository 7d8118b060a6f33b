"""volunteers (registry)."""
from marshmallow import fields, validate

from gateway.handlers.common import PageQuery
from gateway.routing import STAFF, route
from services.volunteers import schemas


class VolunteerQuery(PageQuery):
    skill = fields.String(validate=validate.Length(1, 32))
    compound = fields.String(validate=validate.Length(1, 64))
    talent = fields.Boolean()
    q = fields.String(validate=validate.Length(1, 50))


@route("GET", "/volunteers", STAFF, query=VolunteerQuery, response=schemas.Volunteer,
       many=True, tag="volunteers", summary="Search volunteers")
def list_volunteers(ctx):
    q = ctx.query
    return ctx.rpc("volunteers", "list_volunteers", skill=q.get("skill"),
                   compound=q.get("compound"), talent=q.get("talent"),
                   page=q["page"], per_page=q["per_page"])


@route("POST", "/volunteers", STAFF, body=schemas.VolunteerCreate, response=schemas.Volunteer,
       status=201, tag="volunteers", summary="Register a volunteer")
def create_volunteer(ctx):
    return ctx.rpc("volunteers", "create_volunteer", ctx.body)


@route("GET", "/volunteers/<int:volunteer_id>", STAFF + ("volunteer",), response=schemas.Volunteer,
       tag="volunteers", summary="A volunteer (phone masked; ?reveal=true is audited)")
def get_volunteer(ctx, volunteer_id):
    ctx.require_own_volunteer(volunteer_id)
    reveal = ctx.may_reveal()
    if reveal:
        ctx.audit("reveal_volunteer_contact", f"volunteer:{volunteer_id}")
    return ctx.rpc("volunteers", "get_volunteer", volunteer_id, reveal)
