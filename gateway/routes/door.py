"""An event's QR codes and the door check-in (签到): staff print a poster with the code to
the event's public page and the door code; a resident scans the door code during the
event and checks in with the phone they registered with, or as a walk-in.

The door code's URL carries the event's random door token, not its id: an event's id,
which its public page shows, is not enough to check in from home. The public answers
name the event only, never a person.
"""
from marshmallow import fields, validate
from werkzeug.wrappers import Response

from common.schemas import Strict
from gateway import qr
from gateway.routing import PUBLIC, STAFF, route
from services.events import schemas


class QrQuery(Strict):
    code = fields.String(load_default="page", validate=validate.OneOf(["page", "door"]),
                         metadata={"description": "page: the event's public page; door: "
                                                  "the door check-in"})
    format = fields.String(load_default="png", validate=validate.OneOf(["png", "svg"]))


class DoorCodesAnswer(schemas.DoorCodes):
    page_url = fields.String(metadata={"description": "the event's public page"})
    door_url = fields.String(metadata={"description": "the door check-in page"})


def _urls(ctx, codes):
    base = qr.public_base(ctx.config, ctx.request)
    return {"page_url": qr.page_url(base, codes["event_id"]),
            "door_url": qr.door_url(base, codes["door_token"])}


@route("GET", "/events/<int:event_id>/door-codes", STAFF, response=DoorCodesAnswer,
       tag="events", summary="The URLs of the event's two QR codes: its public page and the "
                             "door check-in (with the event's random door token)")
def door_codes(ctx, event_id):
    codes = ctx.rpc("events", "get_door_codes", event_id)
    return dict(codes, **_urls(ctx, codes))


@route("GET", "/events/<int:event_id>/qr", STAFF, query=QrQuery,
       produces=(qr.PNG, qr.SVG), tag="events",
       summary="A QR code of the event as PNG or SVG: its public page or the door check-in")
def event_qr(ctx, event_id):
    codes = ctx.rpc("events", "get_door_codes", event_id)
    url = _urls(ctx, codes)[f"{ctx.query['code']}_url"]
    kind = ctx.query["format"]
    return Response(qr.image(url, kind), content_type=qr.PNG if kind == "png" else qr.SVG,
                    headers={"Cache-Control": "no-store"})


@route("GET", "/events/<int:event_id>/poster", STAFF, produces=("application/pdf",),
       tag="events", summary="The A4 poster for the door (PDF): the event, its page's QR "
                             "code and the door check-in code")
def event_poster(ctx, event_id):
    codes = ctx.rpc("events", "get_door_codes", event_id)
    urls = _urls(ctx, codes)
    content = qr.poster(codes, urls["page_url"], urls["door_url"], ctx.community_id)
    return Response(content, content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="poster-{event_id}.pdf"',
        "Cache-Control": "no-store"})


@route("GET", "/door/<token>", PUBLIC, response=schemas.DoorEvent, tag="events",
       summary="The event a door code opens and whether check-in is open now")
def door_event(ctx, token):
    return ctx.rpc("events", "get_door_event", token)


@route("POST", "/door/<token>/check-in", PUBLIC, body=schemas.DoorCheckIn,
       response=schemas.DoorCheckInResult, status=201, tag="events", rate_limited=True,
       answers={422: "outside the check-in time (in Chinese), or a phone not registered "
                     "for the event (check in as a walk-in)"},
       summary="Check in at the door during the event: the phone used to register, or a "
               "walk-in's name, phone and group; rate-limited per client and per phone")
def door_check_in(ctx, token):
    return ctx.rpc("events", "door_check_in", token, ctx.body)
