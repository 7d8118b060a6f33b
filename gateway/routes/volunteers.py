"""volunteers (registry, teams), shifts, hours, certificates.

A ``volunteer`` user reaches only their own profile, sign-ups, hours and certificates
(routes with ``own_records_only=OWN``): dispatch checks the ``volunteer_id`` a request
names and narrows listings to theirs; ``ctx.only_own`` goes to the service on routes
naming a sign-up or certificate (the service checks the owner in the same read)."""
import base64

from werkzeug.wrappers import Response

from common.errors import Forbidden
from common.schemas import PageQuery, wire
from gateway import auth
from gateway.routing import PUBLIC, STAFF, route
from services.volunteers import schemas

STAFF_AND_VOLUNTEER = STAFF + ("volunteer",)
OWN = ("volunteer",)
# What a volunteer may change in their own profile.
VOLUNTEER_EDITABLE = {"availability", "skills"}


def _actor_volunteer(ctx):
    """The volunteer the user's own account is linked to, if any (staff may be one too):
    nobody decides hours for their own service."""
    return ctx.user.get("volunteer_id") if ctx.user else None


def _no_backdating(ctx):
    """Volunteers check in and out at the present moment; staff may record a time."""
    if ctx.role == "volunteer" and (ctx.body or {}).get("at") is not None:
        raise Forbidden("check_in_time_staff_only",
                        {"at": ["volunteers_check_in_now"]})


# -- registry -------------------------------------------------------------------------

@route("GET", "/volunteers", STAFF, query=schemas.VolunteerQuery, response=schemas.Volunteer,
       many=True, tag="volunteers", summary="Search volunteers (q: name, phone or number)")
def list_volunteers(ctx):
    return ctx.rpc("volunteers", "list_volunteers", wire(ctx.query))


@route("POST", "/volunteers", STAFF, body=schemas.VolunteerCreate, response=schemas.Volunteer,
       status=201, tag="volunteers", summary="Register a volunteer (409 on a known phone)")
def create_volunteer(ctx):
    return ctx.rpc("volunteers", "create_volunteer", ctx.body)


@route("GET", "/volunteers/available", STAFF, query=schemas.AvailableQuery,
       response=schemas.AvailableVolunteer, many=True, tag="volunteers",
       summary="Volunteers with the skills, free in the window (weekly availability, "
               "shifts taken)")
def available_volunteers(ctx):
    return ctx.rpc("volunteers", "list_available_volunteers", wire(ctx.query))


@route("GET", "/volunteers/<int:volunteer_id>", STAFF_AND_VOLUNTEER, response=schemas.Volunteer,
       own_records_only=OWN, tag="volunteers",
       summary="A volunteer (phone and ID masked; ?reveal=true is audited)")
def get_volunteer(ctx, volunteer_id):
    reveal = ctx.audit_reveal("reveal_volunteer_contact", f"volunteer:{volunteer_id}")
    return ctx.rpc("volunteers", "get_volunteer", volunteer_id, reveal)


@route("PATCH", "/volunteers/<int:volunteer_id>", STAFF_AND_VOLUNTEER,
       body=schemas.VolunteerUpdate, response=schemas.Volunteer, own_records_only=OWN,
       tag="volunteers", summary="Change a volunteer (a volunteer: own availability and "
                                 "skills only)")
def update_volunteer(ctx, volunteer_id):
    if ctx.role == "volunteer" and set(ctx.body) - VOLUNTEER_EDITABLE:
        raise Forbidden("volunteer_edits_availability_skills_only",
                        {"fields": sorted(set(ctx.body) - VOLUNTEER_EDITABLE)})
    return ctx.rpc("volunteers", "update_volunteer", volunteer_id, ctx.body)


@route("GET", "/teams", STAFF_AND_VOLUNTEER, query=PageQuery, response=schemas.Team, many=True,
       tag="volunteers", summary="Volunteer service teams (志愿服务队)")
def list_teams(ctx):
    return ctx.rpc("volunteers", "list_teams", wire(ctx.query))


@route("POST", "/teams", STAFF, body=schemas.TeamCreate, response=schemas.Team, status=201,
       tag="volunteers", summary="Form a team with its leader")
def create_team(ctx):
    return ctx.rpc("volunteers", "create_team", ctx.body)


# -- applications (志愿者申请) ---------------------------------------------------------------

@route("POST", "/applications", PUBLIC, body=schemas.ApplicationCreate,
       response=schemas.ApplicationReceipt, status=201, rate_limited=True, tag="volunteers",
       summary="Public: apply to volunteer (consent to the privacy notice required; 409 "
               "when an application from the phone is pending)")
def submit_application(ctx):
    return ctx.rpc("volunteers", "submit_application", ctx.body)


@route("GET", "/applications", STAFF, query=schemas.ApplicationQuery,
       response=schemas.Application, many=True, tag="volunteers",
       summary="Volunteer applications (default: pending), masked")
def list_applications(ctx):
    return ctx.rpc("volunteers", "list_applications", wire(ctx.query))


@route("POST", "/applications/<int:application_id>/approve", STAFF,
       response=schemas.ApplicationApproval, tag="volunteers",
       summary="Approve: registers the volunteer and creates its login (username and a "
               "one-time initial password in this answer only); safe to repeat")
def approve_application(ctx, application_id):
    # The volunteer first (the service answers the same volunteer when repeated), then
    # the login in our own database: if that step fails, repeating the approval creates
    # the login for the volunteer already registered, never a second volunteer.
    approved = ctx.rpc("volunteers", "approve_application", application_id, ctx.actor)
    with ctx.session() as session:
        user, password = auth.create_volunteer_login(session, approved["volunteer_id"],
                                                      approved["volunteer_number"])
        username = user.username
        created = password is not None
        user_id = user.id
    if created:
        ctx.service.active_users.forget(user_id)
    return {**approved, "username": username, "initial_password": password}


@route("POST", "/applications/<int:application_id>/decline", STAFF,
       body=schemas.ApplicationDecline, response=schemas.Application, tag="volunteers",
       summary="Decline an application with a reason")
def decline_application(ctx, application_id):
    return ctx.rpc("volunteers", "decline_application", application_id, ctx.body, ctx.actor)


# -- shifts and sign-ups ----------------------------------------------------------------

@route("GET", "/shifts/open", STAFF_AND_VOLUNTEER, query=schemas.OpenShiftQuery,
       response=schemas.Shift, many=True, own_records_only=OWN, tag="shifts",
       summary="Open shifts still to come that fit a volunteer's skills and availability "
               "and that they have not signed up for (a volunteer: their own)")
def open_shifts(ctx):
    return ctx.rpc("volunteers", "list_open_shifts_for", wire(ctx.query))


@route("GET", "/shifts", STAFF_AND_VOLUNTEER, query=schemas.ShiftQuery, response=schemas.Shift,
       many=True, tag="shifts", summary="Shifts (filter by event_id, status, from, to, skill)")
def list_shifts(ctx):
    return ctx.rpc("volunteers", "list_shifts", wire(ctx.query))


@route("POST", "/shifts", STAFF, body=schemas.ShiftCreate, response=schemas.Shift, status=201,
       tag="shifts", summary="Open a shift (without an event, or for one)")
def create_shift(ctx):
    return ctx.rpc("volunteers", "create_shift", ctx.body)


@route("GET", "/shifts/<int:shift_id>", STAFF_AND_VOLUNTEER, response=schemas.Shift,
       tag="shifts", summary="A shift with its confirmed and waitlisted counts")
def get_shift(ctx, shift_id):
    return ctx.rpc("volunteers", "get_shift", shift_id)


@route("POST", "/shifts/<int:shift_id>/signups", STAFF_AND_VOLUNTEER, body=schemas.SignupCreate,
       response=schemas.Signup, status=201, own_records_only=OWN, tag="shifts",
       summary="Sign up: confirmed while places last, then waitlisted; 409 on a clash")
def sign_up(ctx, shift_id):
    return ctx.rpc("volunteers", "sign_up", shift_id, ctx.body, ctx.only_own)


@route("GET", "/signups", STAFF_AND_VOLUNTEER, query=schemas.SignupQuery, response=schemas.Signup,
       many=True, own_records_only=OWN, tag="shifts",
       summary="Sign-ups (a volunteer: their own)")
def list_signups(ctx):
    return ctx.rpc("volunteers", "list_signups", wire(ctx.query))


@route("DELETE", "/signups/<int:signup_id>", STAFF_AND_VOLUNTEER, response=schemas.Signup,
       own_records_only=OWN, tag="shifts",
       summary="Cancel a sign-up; a confirmed place goes to the first waitlisted")
def cancel_signup(ctx, signup_id):
    return ctx.rpc("volunteers", "cancel_signup", signup_id, ctx.only_own)


@route("POST", "/signups/<int:signup_id>/check-in", STAFF_AND_VOLUNTEER, body=schemas.CheckTime,
       response=schemas.Signup, own_records_only=OWN, tag="shifts",
       summary="Check in (at: default now; staff only may give a time)")
def check_in(ctx, signup_id):
    _no_backdating(ctx)
    return ctx.rpc("volunteers", "check_in", signup_id, ctx.body, ctx.actor, ctx.only_own)


@route("POST", "/signups/<int:signup_id>/check-out", STAFF_AND_VOLUNTEER,
       body=schemas.CheckTime, response=schemas.Signup, own_records_only=OWN, tag="shifts",
       summary="Check out: records an hours entry (minutes), pending approval")
def check_out(ctx, signup_id):
    _no_backdating(ctx)
    return ctx.rpc("volunteers", "check_out", signup_id, ctx.body, ctx.actor,
                   ctx.only_own)


# -- hours ----------------------------------------------------------------------------

@route("GET", "/hours", STAFF_AND_VOLUNTEER, query=schemas.HoursQuery, response=schemas.HoursEntry,
       many=True, own_records_only=OWN, tag="hours",
       summary="The hours ledger (a volunteer: their own)")
def list_hours(ctx):
    return ctx.rpc("volunteers", "list_hours", wire(ctx.query))


@route("POST", "/hours", STAFF_AND_VOLUNTEER, body=schemas.HoursCreate,
       response=schemas.HoursEntry, status=201, own_records_only=OWN, tag="hours",
       summary="A manual entry (reason required) or a correction (corrects_entry_id)")
def record_hours(ctx):
    return ctx.rpc("volunteers", "record_hours", ctx.body, ctx.actor, ctx.only_own)


@route("POST", "/hours/<int:entry_id>/approve", STAFF, body=schemas.HoursDecision,
       response=schemas.HoursEntry, tag="hours",
       summary="Approve a pending entry (403 on one you recorded or your own service)")
def approve_hours(ctx, entry_id):
    return ctx.rpc("volunteers", "approve_hours", entry_id, ctx.actor,
                   (ctx.body or {}).get("reason"), _actor_volunteer(ctx))


@route("POST", "/hours/<int:entry_id>/reject", STAFF, body=schemas.HoursRejection,
       response=schemas.HoursEntry, tag="hours",
       summary="Reject a pending entry, with reason (403 on one you recorded or your own "
               "service)")
def reject_hours(ctx, entry_id):
    return ctx.rpc("volunteers", "reject_hours", entry_id, ctx.actor, ctx.body["reason"],
                   _actor_volunteer(ctx))


# -- certificates ----------------------------------------------------------------------

@route("POST", "/volunteers/<int:volunteer_id>/certificates", STAFF,
       body=schemas.CertificateCreate, response=schemas.Certificate, status=201,
       tag="certificates", summary="Issue a 志愿服务证明 for a period")
def issue_certificate(ctx, volunteer_id):
    return ctx.rpc("volunteers", "issue_certificate", volunteer_id, ctx.body, ctx.actor)


@route("GET", "/volunteers/<int:volunteer_id>/certificates", STAFF_AND_VOLUNTEER,
       response=schemas.Certificate, many=True, own_records_only=OWN, tag="certificates",
       summary="A volunteer's certificates")
def list_certificates(ctx, volunteer_id):
    return ctx.rpc("volunteers", "list_certificates", volunteer_id)


@route("POST", "/certificates/<number>/reissue", STAFF, response=schemas.Certificate,
       status=201, tag="certificates",
       summary="Reissue a superseded certificate: same period, the approved hours now "
               "(409 if it is valid or already reissued)")
def reissue_certificate(ctx, number):
    return ctx.rpc("volunteers", "reissue_certificate", number, ctx.actor)


@route("GET", "/certificates/<number>/pdf", STAFF_AND_VOLUNTEER, own_records_only=OWN,
       produces=("application/pdf",), tag="certificates",
       summary="The certificate as a PDF (in Chinese)")
def certificate_pdf(ctx, number):
    result = ctx.rpc("volunteers", "get_certificate_pdf", number, ctx.only_own)
    return Response(base64.b64decode(result["pdf_base64"]), mimetype="application/pdf",
                    headers={"Content-Disposition":
                             f'inline; filename="{result["number"]}.pdf"'})


@route("GET", "/certificates/<number>/verify", PUBLIC, query=schemas.VerifyQuery,
       response=schemas.CertificateVerification, rate_limited=True, tag="certificates",
       summary="Public: is this certificate genuine? (the name masked; 404 for an "
               "unknown number or a wrong code; the page /verify/<number>?code= shows it)")
def verify_certificate(ctx, number):
    return ctx.rpc("volunteers", "verify_certificate", number, ctx.query["code"])
