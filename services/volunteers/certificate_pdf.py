"""The 志愿服务证明 as a PDF, in Chinese, with reportlab's built-in CJK font (STSong-Light:
an Adobe CID font every PDF reader has, so no font file is shipped or embedded)."""
import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from common import times

FONT = "STSong-Light"
_registered = False
MAX_SERVICE_LINES = 25
# Below the service lines: their summary, 特此证明, the issuer, the date, the footer.
SERVICES_BOTTOM = 200


def _font():
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def _hours(minutes):
    return f"{minutes / 60.0:.1f}"


def _superseded_notice(pdf, doc, font, width, height, left):
    """A superseded certificate says so where a reader looks first, and across the page."""
    pdf.saveState()
    pdf.setFillColorRGB(0.75, 0.1, 0.1)
    pdf.setFont(font, 11)
    day = times.local_date(times.parse(doc["superseded_at"])).isoformat()
    lines = [f"本证明已作废（已更正）：作废于 {day}，该期间经审核的服务时长现为 "
             f"{_hours(doc['current_minutes'])} 小时。"]
    if doc.get("replaced_by"):
        lines.append(f"以重新开具的证明 {doc['replaced_by']} 为准。")
    y = height - 135
    for line in lines:
        pdf.drawString(left, y, line)
        y -= 16
    pdf.setFillColorRGB(0.85, 0.2, 0.2, alpha=0.25)
    pdf.setFont(font, 90)
    pdf.translate(width / 2, height / 2)
    pdf.rotate(30)
    pdf.drawCentredString(0, 0, "已作废")
    pdf.restoreState()


def render(doc):
    """``doc``: from domain.certificate_document. Returns the PDF's bytes."""
    font = _font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"志愿服务证明 {doc['number']}")
    pdf.setAuthor(doc["issuer"])
    width, height = A4
    left = 72

    pdf.setFont(font, 24)
    pdf.drawCentredString(width / 2, height - 90, "志愿服务证明")
    pdf.setFont(font, 10)
    pdf.drawRightString(width - left, height - 115, f"证明编号：{doc['number']}")
    y = height - 160
    if doc.get("status") == "superseded":
        _superseded_notice(pdf, doc, font, width, height, left)
        y -= 16
    pdf.setFont(font, 12)
    lines = [
        f"姓名：{doc['name']}",
        f"志愿者编号：{doc['volunteer_number']}",
    ]
    if doc.get("id_number_masked"):
        lines.append(f"身份证号：{doc['id_number_masked']}")
    lines += [
        f"服务期间：{doc['period_from']} 至 {doc['period_to']}",
        f"经审核的志愿服务时长：{_hours(doc['approved_minutes'])} 小时"
        f"（{doc['approved_minutes']} 分钟）",
    ]
    if doc.get("replaces"):
        lines.append(f"本证明替代已作废的证明 {doc['replaces']}。")
    for line in lines:
        pdf.drawString(left, y, line)
        y -= 22

    y -= 8
    pdf.drawString(left, y, "服务记录：")
    y -= 20
    pdf.setFont(font, 10)
    pdf.drawString(left + 10, y, "日期")
    pdf.drawString(left + 85, y, "服务内容")
    pdf.drawString(left + 245, y, "记录人")
    pdf.drawString(left + 325, y, "审核人")
    pdf.drawRightString(width - left, y, "时长（小时）")
    y -= 6
    pdf.line(left, y, width - left, y)
    y -= 14
    services = doc["services"]
    shown = min(MAX_SERVICE_LINES, int((y - SERVICES_BOTTOM) // 16))
    if len(services) > shown:
        shown -= 1  # the last line sums up the rest
    for service in services[:shown]:
        pdf.drawString(left + 10, y, service["date"])
        pdf.drawString(left + 85, y, str(service["description"])[:14])
        pdf.drawString(left + 245, y, str(service.get("recorded_by") or "")[:12])
        pdf.drawString(left + 325, y, str(service.get("decided_by") or "")[:12])
        pdf.drawRightString(width - left, y, _hours(service["minutes"]))
        y -= 16
    if len(services) > shown:
        rest = services[shown:]
        pdf.drawString(left + 10, y, f"另有 {len(rest)} 次服务，合计 "
                                     f"{_hours(sum(s['minutes'] for s in rest))} 小时")
        y -= 16

    y -= 20
    pdf.setFont(font, 12)
    pdf.drawString(left, y, "特此证明。")
    y -= 40
    pdf.drawRightString(width - left, y, f"出具单位：{doc['issuer']}")
    y -= 22
    pdf.drawRightString(width - left, y, f"出具日期：{doc['issued_on']}")

    pdf.setFont(font, 9)
    pdf.drawString(left, 72, f"验证码：{doc['verification_code']}")
    pdf.drawString(left, 58, f"查验：GET /api/v1/certificates/{doc['number']}/verify"
                             f"?code={doc['verification_code']}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
