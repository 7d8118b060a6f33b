"""resources routes (see DESIGN.md, The API): partners, the resource library and its
export, the station's venues and bookings, needs and their matching.

Bodies and queries are validated here with the service's own schemas (unknown fields
rejected, 422 naming the field) and again by the service, which owns the conversion."""
from common import downloads
from common.schemas import wire
from gateway.routing import ADMIN, STAFF, route
from services.resources import schemas

TAG_PARTNERS, TAG_RESOURCES, TAG_VENUES, TAG_NEEDS = "partners", "resources", "venues", "needs"


# ---------------------------------------------------------------- partners

@route("GET", "/partners", STAFF, query=schemas.PartnerQuery, response=schemas.Partner,
       many=True, tag=TAG_PARTNERS,
       summary="Partners (合作单位); filters kind, five_society, compound, status, q")
def list_partners(ctx):
    return ctx.rpc("resources", "list_partners", wire(ctx.query))


@route("POST", "/partners", STAFF, body=schemas.PartnerCreate, response=schemas.Partner,
       status=201, tag=TAG_PARTNERS, summary="Register a partner (contact phone encrypted)")
def create_partner(ctx):
    return ctx.rpc("resources", "create_partner", ctx.body)


@route("GET", "/partners/<int:partner_id>", STAFF, response=schemas.Partner, tag=TAG_PARTNERS,
       summary="A partner (contact phone masked; ?reveal=true is audited)")
def get_partner(ctx, partner_id):
    reveal = ctx.audit_reveal("reveal_partner_contact", f"partner:{partner_id}")
    return ctx.rpc("resources", "get_partner", partner_id, reveal)


@route("PATCH", "/partners/<int:partner_id>", STAFF, body=schemas.PartnerUpdate,
       response=schemas.Partner, tag=TAG_PARTNERS, summary="Change a partner")
def update_partner(ctx, partner_id):
    return ctx.rpc("resources", "update_partner", partner_id, ctx.body)


@route("POST", "/partners/<int:partner_id>/archive", STAFF, response=schemas.Partner,
       tag=TAG_PARTNERS, summary="Archive a partner: kept for history, out of the current "
                                 "listing (idempotent)")
def archive_partner(ctx, partner_id):
    return ctx.rpc("resources", "archive_partner", partner_id)


@route("DELETE", "/partners/<int:partner_id>", STAFF, response=schemas.Partner,
       tag=TAG_PARTNERS, summary="Delete a partner with no resources (409 naming them "
                                 "otherwise: archive it instead)")
def delete_partner(ctx, partner_id):
    return ctx.rpc("resources", "delete_partner", partner_id)


# ---------------------------------------------------------------- resource library

@route("GET", "/resources", STAFF, query=schemas.ResourceQuery, response=schemas.Resource,
       many=True, tag=TAG_RESOURCES,
       summary="The resource library; filters type, target_group, category, partner_id, "
               "compound (its provider serves it), "
               "status, free text q")
def list_resources(ctx):
    return ctx.rpc("resources", "list_resources", wire(ctx.query))


@route("POST", "/resources", STAFF, body=schemas.ResourceCreate, response=schemas.Resource,
       status=201, tag=TAG_RESOURCES, summary="Add a resource to the library")
def create_resource(ctx):
    return ctx.rpc("resources", "create_resource", ctx.body)


@route("GET", "/resources/export", STAFF, query=schemas.ExportQuery, tag=TAG_RESOURCES,
       produces=("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
       summary="The resource list (资源清单): every active resource with its provider and "
               "value, CSV or XLSX with Chinese headers")
def export_resources(ctx):
    result = ctx.rpc("resources", "export_resources", ctx.query["format"])
    return downloads.response(result, headers={"X-Resource-Count": str(result["count"])})


@route("GET", "/resources/<int:resource_id>", STAFF, response=schemas.Resource,
       tag=TAG_RESOURCES, summary="A resource")
def get_resource(ctx, resource_id):
    return ctx.rpc("resources", "get_resource", resource_id)


@route("PATCH", "/resources/<int:resource_id>", STAFF, body=schemas.ResourceUpdate,
       response=schemas.Resource, tag=TAG_RESOURCES,
       summary="Change a resource (quantity keeps what is already matched)")
def update_resource(ctx, resource_id):
    return ctx.rpc("resources", "update_resource", resource_id, ctx.body)


@route("POST", "/resources/<int:resource_id>/archive", STAFF, response=schemas.Resource,
       tag=TAG_RESOURCES, summary="Archive a resource: kept for the matches that used it, "
                                  "out of the listing, suggestions and export (idempotent)")
def archive_resource(ctx, resource_id):
    return ctx.rpc("resources", "archive_resource", resource_id)


@route("DELETE", "/resources/<int:resource_id>", STAFF, response=schemas.Resource,
       tag=TAG_RESOURCES, summary="Delete a resource no match uses (409 naming the needs "
                                  "and matches otherwise: archive it instead)")
def delete_resource(ctx, resource_id):
    return ctx.rpc("resources", "delete_resource", resource_id)


# ---------------------------------------------------------------- venues and bookings

@route("GET", "/venues", STAFF, query=schemas.VenueQuery, response=schemas.Venue,
       many=True, tag=TAG_VENUES,
       summary="The station's rooms and halls; with free_from and free_to only those open "
               "and free for the whole slot")
def list_venues(ctx):
    venues = ctx.rpc("resources", "list_venues", wire(ctx.query))
    # A station has a few dozen rooms at most: one page holds them all.
    return {"items": venues, "total": len(venues), "page": 1, "per_page": max(len(venues), 1)}


@route("POST", "/venues", ADMIN, body=schemas.VenueCreate, response=schemas.Venue, status=201,
       tag=TAG_VENUES, summary="Add a room or hall")
def create_venue(ctx):
    return ctx.rpc("resources", "create_venue", ctx.body)


@route("GET", "/venues/<int:venue_id>", STAFF, response=schemas.Venue, tag=TAG_VENUES,
       summary="A room or hall with its equipment and opening hours")
def get_venue(ctx, venue_id):
    return ctx.rpc("resources", "get_venue", venue_id)


@route("PATCH", "/venues/<int:venue_id>", ADMIN, body=schemas.VenueUpdate,
       response=schemas.Venue, tag=TAG_VENUES,
       summary="Change a room's details, opening hours or status (bookings stay)")
def update_venue(ctx, venue_id):
    return ctx.rpc("resources", "update_venue", venue_id, ctx.body)


@route("GET", "/venues/<int:venue_id>/bookings", STAFF, query=schemas.BookingQuery,
       tag=TAG_VENUES,
       summary="Bookings of a venue between from and to, dates (local days) or times "
               "(default: the next 31 days)")
def list_venue_bookings(ctx, venue_id):
    return ctx.rpc("resources", "list_venue_bookings", venue_id, wire(ctx.query))


@route("POST", "/venues/<int:venue_id>/bookings", STAFF, body=schemas.BookingCreate,
       response=schemas.Booking, status=201, tag=TAG_VENUES,
       summary="Book a venue: 409 naming the booking it overlaps, 422 outside opening hours")
def book_venue(ctx, venue_id):
    return ctx.rpc("resources", "book_venue",
                   dict(ctx.body, venue_id=venue_id, booked_by=ctx.actor))


@route("GET", "/bookings/<int:booking_id>", STAFF, response=schemas.Booking, tag=TAG_VENUES,
       summary="A booking")
def get_booking(ctx, booking_id):
    return ctx.rpc("resources", "get_booking", booking_id)


@route("DELETE", "/bookings/<int:booking_id>", STAFF, response=schemas.Booking, tag=TAG_VENUES,
       summary="Cancel a booking and free its slot (idempotent)")
def cancel_booking(ctx, booking_id):
    return ctx.rpc("resources", "cancel_booking", booking_id)


@route("POST", "/venues/<int:venue_id>/booking-series/preview", STAFF,
       body=schemas.SeriesCreate, response=schemas.SeriesPreview, tag=TAG_VENUES,
       summary="Preview a recurring booking (RFC 5545 rule): its occurrences and, for each, "
               "the bookings or events it overlaps or the opening-hours problem; nothing is "
               "written")
def preview_venue_series(ctx, venue_id):
    return ctx.rpc("resources", "preview_venue_series",
                   dict(ctx.body, venue_id=venue_id, booked_by=ctx.actor))


@route("POST", "/venues/<int:venue_id>/booking-series", STAFF, body=schemas.SeriesCreate,
       response=schemas.BookingSeries, status=201, tag=TAG_VENUES,
       summary="Book a recurring booking whole or not at all: 409 listing every conflicting "
               "occurrence (details.conflicts), 422 naming the field of a bad rule")
def book_venue_series(ctx, venue_id):
    return ctx.rpc("resources", "book_venue_series",
                   dict(ctx.body, venue_id=venue_id, booked_by=ctx.actor))


@route("GET", "/booking-series/<int:series_id>", STAFF, response=schemas.BookingSeries,
       tag=TAG_VENUES, summary="A recurring booking with its occurrences")
def get_booking_series(ctx, series_id):
    return ctx.rpc("resources", "get_booking_series", series_id)


@route("DELETE", "/booking-series/<int:series_id>", STAFF, query=schemas.SeriesCancelQuery,
       response=schemas.BookingSeries, tag=TAG_VENUES,
       summary="Cancel a recurring booking: every occurrence, or with from_booking_id that "
               "occurrence and the later ones (idempotent; DELETE /bookings/{id} cancels one)")
def cancel_booking_series(ctx, series_id):
    return ctx.rpc("resources", "cancel_booking_series", series_id,
                   ctx.query.get("from_booking_id"))


# ---------------------------------------------------------------- needs

@route("GET", "/needs", STAFF, query=schemas.NeedQuery, response=schemas.Need, many=True,
       tag=TAG_NEEDS, summary="Needs (需求); filters status, target_group, category, urgency, "
                              "compound")
def list_needs(ctx):
    return ctx.rpc("resources", "list_needs", wire(ctx.query))


@route("POST", "/needs", STAFF, body=schemas.NeedCreate, response=schemas.Need, status=201,
       tag=TAG_NEEDS, summary="Take in a need (resident's contact encrypted, shown masked)")
def create_need(ctx):
    return ctx.rpc("resources", "create_need", ctx.body, ctx.actor)


@route("GET", "/needs/<int:need_id>", STAFF, response=schemas.Need, tag=TAG_NEEDS,
       summary="A need with its matches (contact masked; ?reveal=true is audited)")
def get_need(ctx, need_id):
    reveal = ctx.audit_reveal("reveal_resident_contact", f"need:{need_id}")
    return ctx.rpc("resources", "get_need", need_id, reveal)


@route("GET", "/needs/<int:need_id>/suggestions", STAFF, query=schemas.SuggestionQuery,
       response=schemas.Suggestions, tag=TAG_NEEDS,
       summary="Resources ranked by fit, and volunteers whose skills fit, each with reasons "
               "(volunteers_unavailable when that service does not answer)")
def suggest_for_need(ctx, need_id):
    return ctx.rpc("resources", "suggest_for_need", need_id, ctx.query["limit"])


@route("POST", "/needs/<int:need_id>/matches", STAFF, body=schemas.MatchCreate,
       response=schemas.Need, status=201, tag=TAG_NEEDS,
       summary="Match a resource and/or a volunteer: consumes capacity; open → matched")
def match_need(ctx, need_id):
    return ctx.rpc("resources", "match_need", need_id, ctx.body, ctx.actor)


@route("POST", "/needs/<int:need_id>/start", STAFF, response=schemas.Need, tag=TAG_NEEDS,
       summary="Start service of a matched need: matched → in_service")
def start_need_service(ctx, need_id):
    return ctx.rpc("resources", "start_need_service", need_id, ctx.actor)


@route("POST", "/needs/<int:need_id>/close", STAFF, body=schemas.NeedClose,
       response=schemas.Need, tag=TAG_NEEDS,
       summary="Close a need with outcome and satisfaction (1-5): in_service → closed "
               "(an unserved need closes only as withdrawn or referred)")
def close_need(ctx, need_id):
    return ctx.rpc("resources", "close_need", need_id, ctx.body, ctx.actor)
