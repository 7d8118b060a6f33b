"""Consultations (意见征集): staff put a questionnaire to residents; residents answer it
on the public page (/consult/<id>) without a login, once per phone, while it is open;
staff read the results live and export them (XLSX).
"""
from common import downloads
from common.schemas import wire
from gateway.routing import PUBLIC, READERS, STAFF, route
from services.events import schemas

@route("GET", "/consultations", PUBLIC, query=schemas.ConsultationQuery,
       response=schemas.Consultation, many=True, tag="consultations",
       summary="Consultations (意见征集): the open ones for the public; staff filter all")
def list_consultations(ctx):
    return ctx.rpc("events", "list_consultations", wire(ctx.query),
                   staff=ctx.role in READERS)


@route("POST", "/consultations", STAFF, body=schemas.ConsultationCreate,
       response=schemas.Consultation, status=201, tag="consultations",
       summary="Create a consultation: questions (single, multiple, 1–5 rating, text), the "
               "local days it is open, target compounds")
def create_consultation(ctx):
    return ctx.rpc("events", "create_consultation", ctx.body, created_by=ctx.actor)


@route("GET", "/consultations/<int:consultation_id>", PUBLIC, response=schemas.Consultation,
       tag="consultations", summary="A consultation and its questions (what the page asks)")
def get_consultation(ctx, consultation_id):
    return ctx.rpc("events", "get_consultation", consultation_id,
                   staff=ctx.role in READERS)


@route("POST", "/consultations/<int:consultation_id>/answers", PUBLIC,
       body=schemas.ConsultationAnswerCreate, response=schemas.ConsultationAnswerResult,
       status=201, tag="consultations", rate_limited=True,
       answers={409: "this phone has already answered",
                422: "not open today (in Chinese), or an answer that does not fit its "
                     "question (answers.<number>)"},
       summary="A resident answers, once per phone, while it is open; the phone is kept "
               "only as a keyed hash")
def answer_consultation(ctx, consultation_id):
    return ctx.rpc("events", "answer_consultation", consultation_id, ctx.body)


@route("GET", "/consultations/<int:consultation_id>/results", READERS,
       response=schemas.ConsultationResults, tag="consultations",
       summary="The results counted now: per question the count of each choice, the "
               "ratings and their mean, the short texts")
def consultation_results(ctx, consultation_id):
    return ctx.rpc("events", "get_consultation_results", consultation_id)


@route("GET", "/consultations/<int:consultation_id>/results/export", READERS,
       query=schemas.ConsultationExportQuery,
       produces=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
       tag="consultations", summary="The results as an XLSX workbook (results and texts)")
def export_consultation_results(ctx, consultation_id):
    return downloads.response(ctx.rpc("events", "export_consultation_results",
                                      consultation_id))
