"""The sign-in sheet (签到表) of an event, as XLSX or A4 PDF.

Before the event it lists the confirmed registrations, then the waitlist (marked 候补 with
its position), then numbered blank rows for walk-ins, with a blank signature column.
Printed again after the event it is the archive copy: who attended and when (the
attendance records, in local time), the registered who did not come (未到), and the
walk-ins as recorded. Names are in full (people sign next to them; the route is for staff
and audited); phones are always masked (138****1234): the full number is decrypted only
to be masked and never reaches the file.
"""
import re

from nameko.exceptions import RemoteError
from sqlalchemy import select

from common import downloads, pii, spreadsheet, times, vocab
from common.errors import Conflict, RongheError, ValidationFailed
from common.messages import msg
from services.events.domain import get_event_row
from services.events.models import Attendance, Registration

# openpyxl and reportlab (common.pdf) are imported by the function that renders with
# them: the events service holds them only once a sheet has been printed.
FORMATS = {"xlsx": spreadsheet.CONTENT_TYPE, "pdf": "application/pdf"}
HEADER = ["序号", "姓名", "联系电话", "服务对象", "小区", "备注", "签到时间", "签名"]
WALK_IN_ROWS = 8  # blank rows for people who come without registering
WEEKDAYS = "一二三四五六日"
WALK_IN = "现场参与"
ABSENT = "未到"


def check_format(fmt):
    if fmt not in FORMATS:
        raise ValidationFailed("bad_format",
                               {"format": [msg("one_of_formats", formats=', '.join(FORMATS))]})


# -- what the sheet lists ---------------------------------------------------------------

def when(start, end):
    """2026-12-12 09:00–11:00（星期六） in local time; both dates when it spans days."""
    start, end = times.local(start), times.local(end)
    weekday = f"（星期{WEEKDAYS[start.weekday()]}）"
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}{weekday}"
    return f"{start:%Y-%m-%d %H:%M}{weekday} 至 {end:%Y-%m-%d %H:%M}"


def _person(crypto, community_id, row, name_enc, phone_enc=None):
    return {"name": crypto.decrypt(name_enc) if name_enc else "",
            "phone": pii.mask_phone(crypto.decrypt(phone_enc)) if phone_enc else "",
            "target_group": vocab.TARGET_GROUPS.get(row.target_group, row.target_group),
            "compound": vocab.of_community(community_id).compound_label(row.compound)}


def read(session, crypto, event_id, community_id):
    """The event and its rows, in the order they are printed."""
    event = get_event_row(session, event_id)
    if event.status == "cancelled":
        raise Conflict("cancelled_event_no_sign_in_sheet",
                       {"status": event.status, "event_id": event.id})
    attendance = session.execute(select(Attendance).where(Attendance.event_id == event.id)
                                 .order_by(Attendance.attended_at, Attendance.id)).scalars().all()
    came = {a.registration_id: a for a in attendance if a.registration_id is not None}
    registrations = session.execute(
        select(Registration).where(Registration.event_id == event.id,
                                   Registration.status.in_(("confirmed", "waitlisted")))
        .order_by(Registration.id)).scalars().all()
    over = event.status == "completed"
    rows, waitlist = [], 0
    for status in ("confirmed", "waitlisted"):
        for reg in (r for r in registrations if r.status == status):
            note = ""
            if status == "waitlisted":
                waitlist += 1
                note = f"候补{waitlist}"
            attended = came.get(reg.id)
            rows.append(dict(_person(crypto, community_id, reg, reg.name_enc, reg.phone_enc),
                             note=note, attended_at=_clock(attended) if attended
                             else (ABSENT if over else "")))
    walk_ins = [a for a in attendance if a.registration_id is None]
    for walk_in in walk_ins:
        rows.append(dict(_person(crypto, community_id, walk_in, walk_in.name_enc),
                         name=crypto.decrypt(walk_in.name_enc) if walk_in.name_enc
                         else "（未留姓名）", note=WALK_IN, attended_at=_clock(walk_in)))
    return {"event_id": event.id, "title": event.title, "status": event.status,
            "when": when(event.start, event.end), "day": f"{times.local(event.start):%Y-%m-%d}",
            "kind": vocab.EVENT_KINDS.get(event.kind, event.kind),
            "plan": vocab.PLANS.get(event.plan, event.plan), "venue_id": event.venue_id,
            "place": "", "organiser": vocab.of_community(community_id).name,
            "archived": over, "rows": rows,
            "confirmed": sum(1 for r in registrations if r.status == "confirmed"),
            "waitlisted": waitlist, "attended": len(attendance), "walk_ins": len(walk_ins),
            "printed_at": f"{times.local(times.now()):%Y-%m-%d %H:%M}"}


def _clock(attendance):
    return f"{times.local(attendance.attended_at):%H:%M}"


def place(resources, venue_id):
    """The venue's name from the resources service; its number if that cannot answer
    now (a sheet is still worth printing without it)."""
    if not venue_id:
        return "—"
    try:
        venue = resources.call("get_venue", venue_id)
    except (RongheError, RemoteError):
        return f"场地 {venue_id} 号"
    return " ".join(v for v in (venue.get("wing_label"), venue.get("name")) if v)


def _summary(sheet):
    line = f"报名确认 {sheet['confirmed']} 人，候补 {sheet['waitlisted']} 人"
    if sheet["archived"] or sheet["attended"]:
        line += f"；签到 {sheet['attended']} 人（其中现场参与 {sheet['walk_ins']} 人）"
    return line


def _table(sheet):
    """The table's rows: numbered, with blank rows for walk-ins until the event is over."""
    rows = [[n, r["name"], r["phone"], r["target_group"], r["compound"], r["note"],
             r["attended_at"], ""] for n, r in enumerate(sheet["rows"], 1)]
    if sheet["status"] != "completed":
        rows += [[n, "", "", "", "", "", "", ""]
                 for n in range(len(rows) + 1, len(rows) + 1 + WALK_IN_ROWS)]
    return rows


def _heading(sheet):
    return [("时间", sheet["when"]), ("地点", sheet["place"]),
            ("类型", f"{sheet['kind']}（{sheet['plan']}）"), ("主办", sheet["organiser"]),
            ("人数", _summary(sheet))]


# -- the files --------------------------------------------------------------------------

def to_xlsx(sheet):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = Workbook()
    ws = wb.active
    ws.title = "签到表"
    spreadsheet.append(ws, [f"{sheet['title']} 签到表"])
    ws["A1"].font = Font(bold=True, size=14)
    for label, value in _heading(sheet):
        spreadsheet.append(ws, [label, value])
    if sheet["archived"]:
        spreadsheet.append(ws, ["存档", f"据签到记录生成于 {sheet['printed_at']}"])
    spreadsheet.append(ws, [])
    spreadsheet.header(ws, HEADER)
    top = ws.max_row
    thin = Side(style="thin", color="808080")
    for row in _table(sheet):
        spreadsheet.append(ws, [v if v != "" else None for v in row])
        ws.row_dimensions[ws.max_row].height = 24  # room to sign
        for cell in ws[ws.max_row]:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.alignment = Alignment(vertical="center")
    spreadsheet.widths(ws, [6, 14, 14, 10, 12, 10, 10, 18])
    ws.print_title_rows = f"{top}:{top}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return spreadsheet.to_bytes(wb)


def to_pdf(sheet, font_file=None):
    from common import pdf

    doc = pdf.Document(f"{sheet['title']} 签到表", author=sheet["organiser"],
                       footer=f"{sheet['organiser']} · {sheet['title']} · 签到表",
                       font_file=font_file)
    doc.text("签到表", "title")
    doc.text(sheet["title"], "subtitle")
    doc.space(3)
    for label, value in _heading(sheet):
        doc.text(f"{label}：{value}")
    doc.space(3)
    doc.table([HEADER] + _table(sheet), row_height=9, font_size=9.5, numeric=(0,),
              widths=[0.07, 0.14, 0.15, 0.11, 0.12, 0.09, 0.11, 0.21])
    if sheet["archived"]:
        doc.text(f"存档：据签到记录生成于 {sheet['printed_at']}；“{ABSENT}”为报名而未签到。", "note")
    else:
        doc.text("请参加者本人签名；现场参与者请填写空白行。电话仅显示部分号码。", "note")
    return doc.render()


def _safe(text):
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text).strip("_")[:60]


def render(sheet, fmt, font_file=None):
    """The sheet's file for RPC (``common.downloads.answer``)."""
    check_format(fmt)
    content = to_xlsx(sheet) if fmt == "xlsx" else to_pdf(sheet, font_file)
    return downloads.answer(content, f"sign-in-sheet-event-{sheet['event_id']}.{fmt}",
                            FORMATS[fmt],
                            title=f"签到表-{sheet['day']}-{_safe(sheet['title'])}.{fmt}")
