"""The evaluation dossier (评估台账): for a project year (or a period within it) and
optionally one plan, one A4 PDF (``dossier_pdf``) and a ZIP holding that PDF, the XLSX
reports and the original attachments.

A build is long (a 300-event year is hundreds of RPC calls and a PDF of hundreds of
pages), so it never runs inside a request: ``POST /reports/dossiers`` records a row
(``models.dossiers``) and answers 202; ``DossierBuilder`` runs the build in a managed
greenthread of the reports service, at most ``DOSSIER_CONCURRENCY`` at a time (others
wait as ``queued``), writing its progress to the row; the PDF and ZIP are written under
``DOSSIER_DIR/<id>/``. A build interrupted by a restart is marked failed at start-up.

What the dossier holds is gathered by ``Sources``: each section has one small method
over the other services' RPC, paged, never holding a transaction open across a call:
events, sign-in lists, consultations and the evidence (photos, files) from the events
service, hours from volunteers, the budget statement and each activity's cost from this
service's own projections. A section whose service answers ``MethodNotFound`` (an older
release during a rolling upgrade) prints 暂无记录 instead of failing the build.
"""
import base64
import json
import logging
import shutil
import uuid
import zipfile
from collections import defaultdict
from datetime import date
from functools import partial
from pathlib import Path

import eventlet
from eventlet import tpool
from eventlet.semaphore import Semaphore
from marshmallow import ValidationError
from nameko.exceptions import MethodNotFound, RemoteError
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import select

from common import contract, downloads, messages, times, vocab
from common.config import ROOT
from common.db import StoreAccess, store_of
from common.errors import Conflict, NotFound, RongheError, ValidationFailed, validation_error
from services.reports import domain, periodic
from services.reports.dossier_schemas import DossierRequest
from services.reports.models import dossiers

log = logging.getLogger(__name__)

PAGE = 100  # the largest page every listing RPC serves (common.schemas.MAX_PAGE_SIZE)
CHUNK = 4 * 1024 * 1024  # bytes of a stored file per RPC answer
PDF_TYPE = "application/pdf"
ZIP_TYPE = "application/zip"
NONE = None  # what a source answers when nothing is recorded (or not offered yet)


def check_request(data):
    try:
        return DossierRequest().load(data or {})
    except ValidationError as exc:
        raise validation_error(exc) from None


def resolve(data, years):
    """The request made whole: the project year (of the contract's ``years``, by default
    the configured one) and the local days [from, to] covered (the year's, unless
    narrowed). A year is bounded by the contract's dates, given or derived from its start."""
    data = check_request(data)
    chosen = years.year(data.get("year"))
    year, start, end = chosen.number, chosen.start.isoformat(), chosen.end.isoformat()
    day_from = data.get("from") or start
    day_to = data.get("to") or end
    for field, day in (("from", day_from), ("to", day_to)):
        try:
            date.fromisoformat(day)
        except ValueError:
            raise ValidationFailed("invalid_fields", {field: ["not_a_day"]},
                                   fields=field) from None
    return {"year": year, "from": day_from, "to": day_to, "plan": data.get("plan"),
            "year_start": start, "year_end": end}


# -- the row ------------------------------------------------------------------------------

def _answer(row):
    params = json.loads(row.params)
    summary = json.loads(row.summary) if row.summary else None
    ready = row.status == "ready"
    return {"id": row.id, "status": row.status, "stage": row.stage,
            "progress": {"done": row.done, "total": row.total,
                         "percent": 100 if ready else
                         (round(100 * row.done / row.total) if row.total else 0)},
            "year": params["year"], "from": params["from"], "to": params["to"],
            "plan": params.get("plan"), "requested_by": row.requested_by,
            "requested_at": times.iso(row.requested_at),
            "started_at": times.iso(row.started_at) if row.started_at else None,
            "finished_at": times.iso(row.finished_at) if row.finished_at else None,
            "summary": summary, "error": row.error,
            "files": {"pdf": f"/reports/dossiers/{row.id}/pdf",
                      "zip": f"/reports/dossiers/{row.id}/zip"} if ready else None}


def _row(session, dossier_id):
    row = session.execute(select(dossiers).where(dossiers.c.id == str(dossier_id))).first()
    if row is None:
        raise NotFound("dossier_not_found", {"dossier_id": dossier_id}, dossier_id=dossier_id)
    return row


def create(session, params, requested_by):
    dossier_id = uuid.uuid4().hex
    session.execute(dossiers.insert().values(
        id=dossier_id, status="queued", params=json.dumps(params, ensure_ascii=False),
        requested_by=requested_by or "unknown", requested_at=times.now(), stage="queued",
        done=0, total=0))
    return get(session, dossier_id)


def get(session, dossier_id):
    return _answer(_row(session, dossier_id))


def params_of(session, dossier_id):
    return json.loads(_row(session, dossier_id).params)


def update(session, dossier_id, **values):
    if "summary" in values and values["summary"] is not None:
        values["summary"] = json.dumps(values["summary"], ensure_ascii=False)
    session.execute(dossiers.update().where(dossiers.c.id == dossier_id).values(**values))


def fail_interrupted(session):
    """At start-up: builds that were queued or building when the process stopped."""
    return session.execute(dossiers.update().where(dossiers.c.status.in_(("queued", "building")))
                           .values(status="failed", stage="failed", finished_at=times.now(),
                                   error=messages.render("dossier_build_interrupted"))).rowcount


def failure_text(exc):
    """Why a build failed, in Chinese, as the console shows it: a service's own refusal
    in its words, anything else by the kind of failure (the log has the whole trace)."""
    if isinstance(exc, RongheError):
        reason = messages.render(exc.key, exc.params)
    else:
        reason = f"{type(exc).__name__}: {exc}"
    return messages.render("dossier_build_failed", {"reason": reason})


def ready_file(session, directory, dossier_id, kind, offset=0, limit=CHUNK):
    """A part of the built file (``pdf`` or ``zip``) as an RPC file answer: ``limit`` bytes
    from ``offset``, with the file's whole ``size`` (a ZIP with a year's photos is larger
    than one message should be; the gateway reads it part by part). 409 until ready."""
    row = _row(session, dossier_id)
    if row.status != "ready":
        raise Conflict("dossier_not_ready", {"dossier_id": dossier_id, "status": row.status},
                       dossier_id=dossier_id, status=row.status)
    path = directory / row.id / f"dossier.{kind}"
    if not path.is_file():
        raise NotFound("dossier_file_gone", {"dossier_id": dossier_id},
                       dossier_id=dossier_id, kind=kind.upper())
    params = json.loads(row.params)
    title = f"评估台账-第{params['year']}年-{params['from']}至{params['to']}"
    if params.get("plan"):
        title += f"-{vocab.PLANS.get(params['plan'], params['plan'])}"
    size = path.stat().st_size
    offset = max(0, int(offset or 0))
    with path.open("rb") as stored:
        stored.seek(offset)
        content = stored.read(max(1, min(int(limit or CHUNK), CHUNK)))
    return downloads.answer(content, f"dossier-{row.id}.{kind}",
                            PDF_TYPE if kind == "pdf" else ZIP_TYPE, title=f"{title}.{kind}",
                            size=size, offset=offset)


def directory_of(config):
    path = Path(config.get("DOSSIER_DIR") or "var/data/dossiers")
    return path if path.is_absolute() else ROOT / path


# -- sources: one method per section --------------------------------------------------------

def _missing(exc):
    """Whether an RPC failed because the service does not offer the method (yet)."""
    return isinstance(exc, MethodNotFound) or (
        isinstance(exc, RemoteError) and exc.exc_type == "MethodNotFound")


class Sources:
    """What the dossier reads from the other services, over a ClusterRpcProxy."""

    def __init__(self, rpc):
        self.rpc = rpc

    def _optional(self, service, method, *args, default=NONE):
        try:
            return getattr(getattr(self.rpc, service), method)(*args)
        except (MethodNotFound, RemoteError) as exc:
            if _missing(exc):
                return default
            raise

    def _pages(self, call, query):
        page = 1
        while True:
            answer = call(dict(query, page=page, per_page=PAGE))
            yield from answer["items"]
            if page * PAGE >= answer["total"] or not answer["items"]:
                return
            page += 1

    def events(self, params):
        """The events held in the period (completed), by start, of the plan if given."""
        query = {"status": "completed", "from": params["from"], "to": params["to"]}
        if params.get("plan"):
            query["plan"] = params["plan"]
        return list(self._pages(lambda q: self.rpc.events.list_events(q, True), query))

    def event(self, event_id):
        """The event as staff see it: counts, roles, decisions of a joint meeting."""
        return self.rpc.events.get_event(event_id, True)

    def sign_in_list(self, event_id):
        """The event's sign-in list (names, phones masked), as its 签到表 prints it."""
        return self._optional("events", "get_sign_in_list", event_id)

    def volunteer_hours(self):
        """{event_id: {"volunteers": distinct volunteers, "minutes": approved minutes}}."""
        by_event = defaultdict(lambda: {"volunteers": set(), "minutes": 0})
        for entry in self._pages(lambda q: self.rpc.volunteers.list_hours(q),
                                 {"status": "approved"}):
            if entry.get("event_id"):
                item = by_event[entry["event_id"]]
                item["volunteers"].add(entry["volunteer_id"])
                item["minutes"] += int(entry.get("minutes") or 0)
        return {event_id: {"volunteers": len(v["volunteers"]), "minutes": v["minutes"]}
                for event_id, v in by_event.items()}

    def consultations(self, params):
        """The consultations open during the period, each with its counted results."""
        found = []
        for item in self._pages(lambda q: self.rpc.events.list_consultations(q, True), {}):
            if str(item["opens_on"]) <= params["to"] and str(item["closes_on"]) >= params["from"]:
                found.append(self.rpc.events.get_consultation_results(item["id"]))
        return found

    def budget_statement(self, year):
        """The budget per line for the project year: lines, budgeted, spent, remaining
        (yuan as exact strings); None when no budget is recorded."""
        return self._optional("reports", "get_budget_statement", year)

    def event_costs(self, params):
        """{event_id: spent yuan (exact string)} of the expenditures tied to events."""
        costs = self._optional("reports", "get_event_costs", params["from"], params["to"],
                               default={})
        return {int(k): v for k, v in (costs or {}).items()}

    def attachments_of(self, owner_kind, owner_id):
        """The evidence kept for an event ("event") or a joint meeting ("meeting"): the
        events service's attachment answers (id, filename, content_type, sha256 …)."""
        try:
            return list(self._pages(lambda q: self.rpc.events.list_attachments(q), {
                "owner_kind": owner_kind, "owner_id": owner_id}))
        except (MethodNotFound, RemoteError) as exc:
            if _missing(exc):
                return []
            raise

    def attachment_content(self, item):
        """The kept bytes of an attachment (a photo as stored: upright, without its
        location), None when they cannot be read."""
        answer = self._optional("events", "read_attachment", item["id"])
        if answer is None:
            return None
        return base64.b64decode(answer["content_base64"])


# -- the build ------------------------------------------------------------------------------

def local_time(instant):
    """An ISO instant as the community's wall clock: 2026-12-12 09:00."""
    return f"{times.local(times.parse(instant)):%Y-%m-%d %H:%M}" if instant else "—"


def _hours(minutes):
    return round(minutes / 60, 1)


def gather(sources, params, progress):
    """Every section's records, calling ``progress(stage, done, total)`` as it goes."""
    progress("listing events", 0, 0)
    listed = sources.events(params)
    hours = sources.volunteer_hours()
    costs = sources.event_costs(params)
    consultations = sources.consultations(params)
    total = len(listed) + 2
    activities, meetings = [], []
    for n, item in enumerate(listed, 1):
        event = sources.event(item["id"])
        worked = hours.get(event["id"], {"volunteers": 0, "minutes": 0})
        record = {
            "event": event, "sign_in": sources.sign_in_list(event["id"]),
            "volunteer_hours": _hours(worked["minutes"]),
            "volunteers_with_hours": worked["volunteers"],
            "cost": costs.get(event["id"]),
        }
        meeting = event["kind"] == "joint_meeting"
        # A joint meeting's evidence is filed under "meeting", every other event's under
        # "event" (services/events/attachments.py: OWNERS).
        record["attachments"] = sources.attachments_of("meeting" if meeting else "event",
                                                       event["id"])
        (meetings if meeting else activities).append(record)
        for item in record["attachments"]:  # photos are printed: read them once
            if str(item.get("content_type", "")).startswith("image/"):
                item["content"] = sources.attachment_content(item)
        progress("reading events", n, total)
    budget = sources.budget_statement(params["year"])
    progress("budget", total - 1, total)
    return {"activities": activities, "meetings": meetings, "consultations": consultations,
            "budget": budget, "total": total}


def summarise(records):
    every = records["activities"] + records["meetings"]
    counts = [r["event"].get("counts") or {} for r in every]
    return {"events": len(every), "activities": len(records["activities"]),
            "joint_meetings": len(records["meetings"]),
            "attendance": sum(c.get("people_served", 0) for c in counts),
            "registrations": sum(c.get("confirmed", 0) for c in counts),
            "volunteer_hours": round(sum(r["volunteer_hours"] for r in every), 1),
            "consultations": len(records["consultations"]),
            "attachments": sum(len(r["attachments"]) for r in every),
            "budget_recorded": records["budget"] is not None}


def _attachment_name(owner, item):
    name = Path(str(item.get("filename") or item["sha256"])).name
    return f"attachments/{owner}/{item['sha256'][:12]}-{name}"


def periodic_of_year(session, year, community, today):
    """The periodic report of the whole project year (its months, which need not be a
    calendar year), as ``GET /reports/periodic?year=N`` gives it, and its file name."""
    period = periodic.project_year_period(year)
    report = periodic.document(session, period, community, today, year.targets, year)
    return f"周期报表-{periodic.period_label(period)}.xlsx", report


def write_files(target, pdf_bytes, xlsx_files, attachments, sources):
    """The PDF and the ZIP (PDF, XLSX reports, original attachments) under ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    (target / "dossier.pdf.part").write_bytes(pdf_bytes)
    with zipfile.ZipFile(target / "dossier.zip.part", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("评估台账.pdf", pdf_bytes)
        for name, content in xlsx_files:
            archive.writestr(f"报表/{name}", content)
        for owner, item in attachments:
            content = item.get("content") or sources.attachment_content(item)
            if content is not None:
                archive.writestr(_attachment_name(owner, item), content)
            eventlet.sleep(0)
    (target / "dossier.pdf.part").replace(target / "dossier.pdf")
    (target / "dossier.zip.part").replace(target / "dossier.zip")


def activities_xlsx(records, params):
    """活动清单: one row per event held, with its counts (the PDF's figures in a sheet)."""
    from openpyxl import Workbook

    from common import spreadsheet

    wb = Workbook()
    ws = wb.active
    ws.title = "活动清单"
    spreadsheet.append(ws, [f"活动清单 {params['from']} 至 {params['to']}"])
    spreadsheet.header(ws, ["编号", "活动名称", "计划", "类型", "系列", "开始", "报名", "签到人次",
                            "满意度", "志愿时长（小时）", "费用（元）", "附件"])
    for r in records["activities"] + records["meetings"]:
        e, c = r["event"], r["event"].get("counts") or {}
        spreadsheet.append(ws, [e["id"], e["title"], e.get("plan_label"), e.get("kind_label"),
                                e.get("series_label") or "", local_time(e["start"]),
                                c.get("confirmed", 0), c.get("people_served", 0),
                                c.get("satisfaction_mean"), r["volunteer_hours"],
                                r["cost"] or "", len(r["attachments"])])
    return spreadsheet.to_bytes(wb)


class DossierBuilder(DependencyProvider):
    """Runs dossier builds in managed greenthreads of the service, at most
    ``DOSSIER_CONCURRENCY`` (default 1) at a time; rendering (CPU) runs in a native
    thread (eventlet.tpool) so the service keeps answering meanwhile."""

    def setup(self):
        self.threads = {}
        self.slots = Semaphore(max(1, int(self.container.config.get("DOSSIER_CONCURRENCY", 1))))

    def start(self):
        with self._store().session() as session:
            failed = fail_interrupted(session)
        if failed:
            log.warning("%s dossier build(s) interrupted by a restart marked failed", failed)

    def kill(self):
        for thread in list(self.threads.values()):
            thread.kill()

    def get_dependency(self, worker_ctx):
        return self

    def _store(self):
        return StoreAccess(store_of(self.container))

    @property
    def directory(self):
        return directory_of(self.container.config)

    def request(self, data, requested_by):
        params = resolve(data, contract.from_config(self.container.config))
        store = self._store()
        with store.session() as session:
            answer = create(session, params, requested_by)
        thread = self.container.spawn_managed_thread(
            partial(self._run, store, answer["id"]), identifier=f"dossier_{answer['id']}")
        self.threads[answer["id"]] = thread
        thread.link(lambda _gt, key=answer["id"]: self.threads.pop(key, None))
        return answer

    def _run(self, store, dossier_id):
        with self.slots:
            try:
                self._build(store, dossier_id)
            except Exception as exc:  # noqa: BLE001 - any failure is the dossier's state
                log.exception("dossier %s failed", dossier_id)
                with store.session() as session:
                    update(session, dossier_id, status="failed", stage="failed",
                           finished_at=times.now(), error=failure_text(exc))
                shutil.rmtree(self.directory / dossier_id, ignore_errors=True)

    def _build(self, store, dossier_id):
        from services.reports import dossier_pdf

        config = self.container.config
        with store.session() as session:
            params = params_of(session, dossier_id)
            update(session, dossier_id, status="building", stage="starting",
                   started_at=times.now())

        def progress(stage, done, total):
            with store.session() as session:
                update(session, dossier_id, stage=stage, done=done, total=total)

        timeout = float(config.get("DOSSIER_RPC_TIMEOUT_SECONDS", 30))
        with ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]}, timeout=timeout) as rpc:
            sources = Sources(rpc)
            records = gather(sources, params, progress)
            total = records["total"]
            progress("rendering", total - 1, total)
            today = domain.parse_today(config.get("REPORTS_TODAY")) or times.local_today()
            community = config.get("COMMUNITY_ID", "hetong")
            year = contract.from_config(config).year(params["year"])
            targets = year.targets
            with store.session() as session:
                kpis = domain.kpis(session, targets, today)
                name, report = periodic_of_year(session, year, community, today)
            for item in kpis["kpis"]:
                item["status_label"] = periodic.status_label(item)
            summary = summarise(records)
            document = dossier_pdf.Dossier(
                params=params, records=records, kpis=kpis, summary=summary,
                community=vocab.of_community(community),
                project=targets.get("project") or vocab.of_community(community).project,
                issued_on=today.isoformat())
            font = config.get("REPORT_FONT_FILE")
            pdf_bytes = tpool.execute(dossier_pdf.render, document, font)
            periodic_xlsx = tpool.execute(periodic.render, report, "xlsx")
            xlsx = [(name, base64.b64decode(periodic_xlsx["content_base64"])),
                    ("活动清单.xlsx", activities_xlsx(records, params))]
            attachments = [(f"event-{r['event']['id']}", a)
                           for r in records["activities"] + records["meetings"]
                           for a in r["attachments"]]
            progress("writing files", total - 1, total)
            write_files(self.directory / dossier_id, pdf_bytes, xlsx, attachments, sources)
        with store.session() as session:
            update(session, dossier_id, status="ready", stage="ready", done=total, total=total,
                   finished_at=times.now(), summary=summary)
