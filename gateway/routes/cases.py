"""Case files (个案档案): need-to-know access.

- Assigned social workers and admins read and change a file's contents.
- Another social worker sees a case's summary (number, category, risk, status); with a
  ``reason`` (break-the-glass) they read the whole file, and the reading is written to
  the audit log first (``break_glass_case_file``); the reason is kept, encrypted, in the
  file's own access log.
- Volunteers and district viewers never reach a file (403); the district reads counts
  (``GET /cases/counts``).
- A phone or ID number unmasked (``?reveal=true``) is audited (``reveal_case_contact``).
"""
from common import downloads
from common.schemas import wire
from gateway.routing import ADMIN, READERS, STAFF, route
from services.resources import case_schemas as cs

TAG = "cases"


def _change(ctx, action, case_id, item_id=None):
    done = ctx.rpc("resources", "change_case", action, case_id, ctx.body, ctx.actor, ctx.role,
                   item_id=item_id)
    return _file_after(ctx, done)


def _file_after(ctx, receipt):
    """A write's answer: the file as its writer may read it now (the service's own answer
    is a receipt without personal data, which is what a retry gets back)."""
    answer = ctx.rpc("resources", "get_case", receipt["id"], ctx.actor, ctx.role)
    if "possible_duplicates" in receipt:
        answer["possible_duplicates"] = receipt["possible_duplicates"]
    return answer


@route("GET", "/cases", STAFF, query=cs.CaseQuery, response=cs.CaseSummary, many=True,
       tag=TAG, summary="Cases (个案): number, category, risk, status only; filters status, "
                        "risk, category, mine")
def list_cases(ctx):
    return ctx.rpc("resources", "list_cases", wire(ctx.query), ctx.actor, ctx.role)


@route("POST", "/cases", STAFF, body=cs.CaseCreate, status=201, tag=TAG,
       summary="Open a case file with consent (a guardian's for a person under 14); "
               "answers possible_duplicates to offer for merge")
def open_case(ctx):
    return _file_after(ctx, ctx.rpc("resources", "open_case", ctx.body, ctx.actor, ctx.role))


@route("GET", "/cases/counts", READERS, tag=TAG,
       summary="Counts of cases (open by risk and category, closed, distinct people, "
               "high-risk without contact): no number, no name")
def count_cases(ctx):
    return ctx.rpc("resources", "count_cases")


@route("GET", "/cases/follow-up", STAFF, query=cs.FollowUpQuery, tag=TAG,
       summary="Per worker: overdue home visits, overdue plan goals, high-risk cases "
               "without a contact in CASE_HIGH_RISK_CONTACT_DAYS (a worker: their own)")
def case_follow_up(ctx):
    return ctx.rpc("resources", "case_follow_up", ctx.query, ctx.actor, ctx.role)


@route("GET", "/cases/duplicates", STAFF, tag=TAG,
       summary="Persons that look like one (same phone, or name + birth year + compound), "
               "offered for merge (person ids and case numbers only)")
def list_case_duplicates(ctx):
    return ctx.rpc("resources", "list_case_duplicates")


@route("POST", "/case-persons/<int:person_id>/merge", ADMIN, body=cs.MergeCreate, tag=TAG,
       summary="Merge a person into another: the cases move with their whole histories")
def merge_case_persons(ctx, person_id):
    return ctx.rpc("resources", "merge_case_persons", person_id, ctx.body, ctx.actor,
                   ctx.role)


@route("POST", "/case-persons/<int:person_id>/erasure", ADMIN, body=cs.ErasureCreate,
       tag=TAG, summary="Erase a person's data (crypto-shredding: their data key is "
                        "destroyed; cases stay counted by their codes)")
def erase_case_person(ctx, person_id):
    ctx.audit("erase_case_person", f"case-person:{person_id}")
    return ctx.rpc("resources", "erase_case_person", person_id, ctx.body, ctx.actor, ctx.role)


@route("GET", "/case-persons/<int:person_id>/export", ADMIN, tag=TAG,
       produces=("application/json",),
       summary="A person's data as a file for them (access request): the person and every "
               "case file, whole (audited)")
def export_case_person(ctx, person_id):
    ctx.audit("export_case_person", f"case-person:{person_id}")
    result = ctx.rpc("resources", "export_case_person", person_id, ctx.actor, ctx.role)
    return downloads.response(result)


@route("GET", "/cases/<int:case_id>", STAFF, query=cs.CaseRead, tag=TAG,
       summary="A case file: the whole file for its workers and admins; the summary for "
               "others unless they give a reason (break-the-glass, audited)")
def get_case(ctx, case_id):
    reason = ctx.query.get("reason")
    target = f"case:{case_id}"
    if reason and ctx.role != "admin":
        # Written before anything is read; an assigned worker's reason is logged too.
        ctx.audit("break_glass_case_file", target)
    reveal = ctx.audit_reveal("reveal_case_contact", target)
    return ctx.rpc("resources", "get_case", case_id, ctx.actor, ctx.role, reason, reveal)


@route("POST", "/cases/<int:case_id>/consents", STAFF, body=cs.ConsentCreate, status=201,
       tag=TAG, summary="Record a consent (who, when, scope)")
def record_consent(ctx, case_id):
    return _change(ctx, "consent", case_id)


@route("POST", "/cases/<int:case_id>/assessments", STAFF, body=cs.AssessmentCreate,
       status=201, tag=TAG, summary="An assessment: needs by category, risk with a reason")
def assess_case(ctx, case_id):
    return _change(ctx, "assess", case_id)


@route("POST", "/cases/<int:case_id>/goals", STAFF, body=cs.GoalCreate, status=201, tag=TAG,
       summary="A goal of the service plan with its due date")
def add_case_goal(ctx, case_id):
    return _change(ctx, "goal", case_id)


@route("PATCH", "/cases/<int:case_id>/goals/<int:goal_id>", STAFF, body=cs.GoalUpdate,
       tag=TAG, summary="Mark a plan goal done, dropped or open again")
def update_case_goal(ctx, case_id, goal_id):
    return _change(ctx, "goal_status", case_id, goal_id)


@route("POST", "/cases/<int:case_id>/entries", STAFF, body=cs.EntryCreate, status=201,
       tag=TAG, summary="A case note, home visit (with its home_visit event) or phone contact")
def add_case_entry(ctx, case_id):
    return _change(ctx, "entry", case_id)


@route("POST", "/cases/<int:case_id>/referrals", STAFF, body=cs.ReferralCreate, status=201,
       tag=TAG, summary="Refer the case to a partner (needs a consent with scope referral)")
def refer_case(ctx, case_id):
    return _change(ctx, "refer", case_id)


@route("POST", "/cases/<int:case_id>/referrals/<int:referral_id>/answer", STAFF,
       body=cs.ReferralAnswer, tag=TAG,
       summary="The partner's answer: accepted, declined, completed, with the outcome")
def answer_case_referral(ctx, case_id, referral_id):
    return _change(ctx, "referral_answer", case_id, referral_id)


@route("POST", "/cases/<int:case_id>/needs", STAFF, body=cs.NeedLink, tag=TAG,
       summary="Link a need (需求) to the case")
def link_case_need(ctx, case_id):
    return _change(ctx, "link_need", case_id)


@route("PUT", "/cases/<int:case_id>/workers", STAFF, body=cs.WorkersSet, tag=TAG,
       summary="The social workers assigned to the case")
def set_case_workers(ctx, case_id):
    return _change(ctx, "workers", case_id)


@route("POST", "/cases/<int:case_id>/close", STAFF, body=cs.CaseClose, tag=TAG,
       summary="Close the case with an outcome")
def close_case(ctx, case_id):
    return _change(ctx, "close", case_id)
