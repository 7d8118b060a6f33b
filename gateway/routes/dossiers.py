"""The evaluation dossier (评估台账): staff ask for one (a project year or a period, a plan
optionally), follow its build, and download its PDF and ZIP when it is ready. The build
runs in the reports service, never inside the request (services/reports/dossier.py)."""
import base64

from common import downloads
from gateway.routing import STAFF, route
from services.reports.dossier_schemas import DossierRequest



@route("POST", "/reports/dossiers", STAFF, body=DossierRequest, status=202, tag="reports",
       summary="Build the evaluation dossier (评估台账) of a project year (or from–to), "
               "optionally of one plan, in the background: answers its id and state at once")
def request_dossier(ctx):
    return ctx.rpc("reports", "request_dossier", ctx.body, requested_by=ctx.actor)


@route("GET", "/reports/dossiers/<dossier_id>", STAFF, tag="reports",
       answers={"404": "No such dossier"},
       summary="A dossier's state: queued, building (stage, done of total), ready (its "
               "files' paths and counts) or failed (why)")
def get_dossier(ctx, dossier_id):
    return ctx.rpc("reports", "get_dossier", dossier_id)


@route("GET", "/reports/dossiers/<dossier_id>/pdf", STAFF, tag="reports",
       produces=("application/pdf",), answers={"404": "No such dossier",
                                               "409": "Not ready yet"},
       summary="The dossier's PDF (A4, Chinese, table of contents) once it is ready")
def get_dossier_pdf(ctx, dossier_id):
    return _download(ctx, dossier_id, "pdf")


@route("GET", "/reports/dossiers/<dossier_id>/zip", STAFF, tag="reports",
       produces=("application/zip",), answers={"404": "No such dossier",
                                               "409": "Not ready yet"},
       summary="The dossier's ZIP: the PDF, the XLSX reports and the original attachments")
def get_dossier_zip(ctx, dossier_id):
    return _download(ctx, dossier_id, "zip")


def _download(ctx, dossier_id, kind):
    """The whole file, read from reports part by part (each answer at most a few MB)."""
    first = ctx.rpc("reports", "get_dossier_file", dossier_id, kind, 0)
    parts = [base64.b64decode(first["content_base64"])]
    got = len(parts[0])
    while got < first["size"]:
        part = base64.b64decode(ctx.rpc("reports", "get_dossier_file", dossier_id, kind,
                                        got)["content_base64"])
        if not part:
            break
        parts.append(part)
        got += len(part)
    return downloads.response(dict(first, content_base64=base64.b64encode(b"".join(parts))
                                   .decode("ascii")))
