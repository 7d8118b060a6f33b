"""events and linkage routes (see DESIGN.md, The API): community events, registration,
attendance, feedback, joint-meeting decisions, ideas (金点子) and action items.

Public (no login, rate-limited writes): the published events, registering for one and
cancelling with the code given at registration, feedback of attendees, ideas and votes.
"""
from common import downloads
from common.schemas import wire
from gateway.routing import PUBLIC, STAFF, route
from services.events import schemas

STAFF_VIEW = ("admin", "social_worker", "district_viewer")


def _is_staff(ctx):
    return ctx.role in STAFF_VIEW


def _listed(ctx, event):
    """An event write's answer, which this process's listing takes at once."""
    return ctx.service.event_listing.saw(event)


# -- events ------------------------------------------------------------------------------

@route("GET", "/events", PUBLIC, query=schemas.EventQuery, response=schemas.Event, many=True,
       tag="events", summary="Events: published ones for the public; staff filter all")
def list_events(ctx):
    # From the gateway's read model while it is warm (gateway/read_models.py).
    page = ctx.service.event_listing.answer(ctx.query, staff=_is_staff(ctx))
    if page is not None:
        return page
    return ctx.rpc("events", "list_events", wire(ctx.query), staff=_is_staff(ctx))


@route("POST", "/events", STAFF, body=schemas.EventCreate, response=schemas.Event, status=201,
       tag="events", summary="Schedule an event (draft); its venue is booked (409 if taken)")
def create_event(ctx):
    return _listed(ctx, ctx.rpc("events", "create_event", ctx.body, organiser=ctx.actor))


@route("GET", "/events/<int:event_id>", PUBLIC, response=schemas.Event, tag="events",
       summary="An event (the public sees published and completed events only)")
def get_event(ctx, event_id):
    return ctx.rpc("events", "get_event", event_id, staff=_is_staff(ctx))


@route("PATCH", "/events/<int:event_id>", STAFF, body=schemas.EventUpdate,
       response=schemas.Event, tag="events",
       summary="Change an event (a new time or venue is booked first; the old booking freed)")
def update_event(ctx, event_id):
    return _listed(ctx, ctx.rpc("events", "update_event", event_id, ctx.body))


@route("POST", "/events/<int:event_id>/publish", STAFF, response=schemas.Event, tag="events",
       summary="Publish a draft (open for registration); otherwise 409")
def publish_event(ctx, event_id):
    return _listed(ctx, ctx.rpc("events", "publish_event", event_id))


@route("POST", "/events/<int:event_id>/cancel", STAFF, body=schemas.EventCancel,
       response=schemas.Event, tag="events",
       summary="Cancel a draft or published event; its room is freed")
def cancel_event(ctx, event_id):
    return _listed(ctx, ctx.rpc("events", "cancel_event", event_id, ctx.body))


@route("POST", "/events/<int:event_id>/complete", STAFF, body=schemas.EventComplete,
       response=schemas.Event, tag="events",
       summary="Complete a published event; emits event_completed with its counts")
def complete_event(ctx, event_id):
    return _listed(ctx, ctx.rpc("events", "complete_event", event_id, ctx.body))


@route("POST", "/events/<int:event_id>/roles", STAFF, body=schemas.EventRoleCreate,
       response=schemas.EventRole, status=201, tag="events",
       summary="Ask for volunteers; the volunteers service opens a shift")
def add_volunteer_role(ctx, event_id):
    return ctx.rpc("events", "add_volunteer_role", event_id, ctx.body)


@route("POST", "/events/<int:event_id>/registrations", PUBLIC, body=schemas.EventRegistrationCreate,
       response=schemas.EventRegistration, status=201, tag="events", rate_limited=True,
       summary="Register a resident: confirmed, or waitlisted when full; 409 if registered")
def register_participant(ctx, event_id):
    return ctx.rpc("events", "register_participant", event_id, ctx.body)


@route("GET", "/events/<int:event_id>/registrations", STAFF, query=schemas.RegistrationQuery,
       response=schemas.EventRegistration, many=True, tag="events",
       summary="An event's registrations (masked; ?reveal=true is audited)")
def list_registrations(ctx, event_id):
    reveal = ctx.audit_reveal("reveal_participant_contacts", f"event:{event_id}")
    return ctx.rpc("events", "list_registrations", event_id, wire(ctx.query), reveal=reveal)


@route("DELETE", "/registrations/<int:registration_id>", PUBLIC,
       body=schemas.EventRegistrationCancel, response=schemas.EventRegistration, tag="events",
       rate_limited=True,
       summary="Cancel a registration (the resident gives its cancel code; staff need none); "
               "the first waitlisted moves up")
def cancel_registration(ctx, registration_id):
    return ctx.rpc("events", "cancel_registration", registration_id, ctx.body or {},
                   staff=ctx.role in STAFF)


@route("GET", "/events/<int:event_id>/sign-in-sheet", STAFF, query=schemas.SignInSheetQuery,
       produces=("application/pdf", "application/vnd.openxmlformats-officedocument."
                 "spreadsheetml.sheet"), tag="events",
       summary="The event's sign-in sheet (签到表), A4 PDF or XLSX: registrations with full "
               "names and masked phones, blank rows for walk-ins; after the event, who "
               "attended and when (audited)")
def sign_in_sheet(ctx, event_id):
    sheet = ctx.rpc("events", "render_sign_in_sheet", event_id, ctx.query["format"])
    ctx.audit("print_sign_in_sheet", f"event:{event_id}")  # it shows names in full
    return downloads.response(sheet)


@route("POST", "/events/<int:event_id>/attendance", STAFF, body=schemas.EventAttendanceCreate,
       response=schemas.EventAttendance, status=201, tag="events",
       summary="Record attendance: a registration (by id or phone) or a walk-in")
def record_attendance(ctx, event_id):
    return ctx.rpc("events", "record_attendance", event_id, ctx.body)


@route("POST", "/events/<int:event_id>/feedback", PUBLIC, body=schemas.EventFeedbackCreate,
       response=schemas.EventFeedback, status=201, tag="events", rate_limited=True,
       summary="An attendee scores a completed event (1–5), once")
def submit_feedback(ctx, event_id):
    return ctx.rpc("events", "submit_feedback", event_id, ctx.body, staff=ctx.role in STAFF)


# -- linkage: decisions, action items, ideas ---------------------------------------------

@route("POST", "/events/<int:event_id>/decisions", STAFF, body=schemas.MeetingDecisionCreate,
       response=schemas.MeetingDecision, status=201, tag="linkage",
       summary="A joint meeting's decision; may adopt an idea; creates action items")
def record_decision(ctx, event_id):
    return ctx.rpc("events", "record_decision", event_id, ctx.body, created_by=ctx.actor)


@route("GET", "/actions", STAFF, query=schemas.ActionItemQuery, response=schemas.ActionItem,
       many=True, tag="linkage", summary="Action items; ?status=overdue lists the late ones")
def list_action_items(ctx):
    return ctx.rpc("events", "list_action_items", wire(ctx.query))


@route("PATCH", "/actions/<int:item_id>", STAFF, body=schemas.ActionItemUpdate,
       response=schemas.ActionItem, tag="linkage",
       summary="Update an action item (open → in_progress → done, or cancelled)")
def update_action_item(ctx, item_id):
    return ctx.rpc("events", "update_action_item", item_id, ctx.body)


@route("GET", "/ideas", PUBLIC, query=schemas.IdeaQuery, response=schemas.Idea, many=True,
       tag="linkage", summary="Ideas (金点子) with their status and votes")
def list_ideas(ctx):
    return ctx.rpc("events", "list_ideas", wire(ctx.query))


@route("POST", "/ideas", PUBLIC, body=schemas.IdeaCreate, response=schemas.Idea, status=201,
       tag="linkage", rate_limited=True, summary="Submit an idea (金点子)")
def submit_idea(ctx):
    return ctx.rpc("events", "submit_idea", ctx.body)


@route("GET", "/ideas/<int:idea_id>", PUBLIC, response=schemas.Idea, tag="linkage",
       summary="An idea and its status")
def get_idea(ctx, idea_id):
    return ctx.rpc("events", "get_idea", idea_id)


@route("POST", "/ideas/<int:idea_id>/votes", PUBLIC, body=schemas.IdeaVoteCreate,
       response=schemas.IdeaVoteResult, status=201, tag="linkage", rate_limited=True,
       summary="Vote for an idea: one vote per resident (phone); 409 on a second")
def vote_idea(ctx, idea_id):
    return ctx.rpc("events", "vote_idea", idea_id, ctx.body)


@route("POST", "/ideas/<int:idea_id>/adopt", STAFF, body=schemas.IdeaAdopt,
       response=schemas.MeetingDecision, status=201, tag="linkage",
       summary="Adopt an idea by a decision of a joint meeting")
def adopt_idea(ctx, idea_id):
    return ctx.rpc("events", "adopt_idea", idea_id, ctx.body, created_by=ctx.actor)
