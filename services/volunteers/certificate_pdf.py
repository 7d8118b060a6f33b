"""The 志愿服务证明 as a PDF, in Chinese: the CJK font embedded (common/pdf.py's, so it
prints the same everywhere), the issuer's seal from the community's configuration, and a
QR code to the public verify page (``verify_url``), which says whether it still holds."""
import io
from pathlib import Path

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from common import pdf as printable
from common import times
from common.errors import ServiceUnavailable

MAX_SERVICE_LINES = 25
# Below the service lines: their summary, 特此证明, the issuer and its seal, the date, and
# the QR code with its caption.
SERVICES_BOTTOM = 250
QR_SIZE = 30 * mm
SEAL_SIZE = 38 * mm


def verify_url(public_base_url, number, code):
    """The public verify page of a certificate: its number and its random code (numbers
    are sequential, so the number alone must not be enough to look one up)."""
    return f"{public_base_url.rstrip('/')}/verify/{number}?code={code}"


def qr_png(url):
    """The QR code of ``url`` as PNG bytes (error correction M: survives a worn print)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()


def _seal(seal_file):
    if seal_file is None:
        return None
    if not Path(seal_file).is_file():
        raise ServiceUnavailable("seal_image_missing",
                                 {"seal": str(seal_file)}, seal_file=seal_file)
    return ImageReader(str(seal_file))


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


def render(doc, verify_url, seal_file=None, font_file=None):
    """``doc``: from domain.certificate_document; ``verify_url``: its public verify page
    (the QR code); ``seal_file``: the issuer's seal (PNG) or None. Returns the PDF's bytes.
    ServiceUnavailable (503) without the font or the configured seal."""
    font = printable.cjk_font(font_file)
    seal = _seal(seal_file)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, initialFontName=font)
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
    issuer_y = y
    y -= 22
    pdf.drawRightString(width - left, y, f"出具日期：{doc['issued_on']}")
    if seal is not None:  # over the issuer's name and the date, as a stamp is
        pdf.drawImage(seal, width - left - SEAL_SIZE - 10, issuer_y - SEAL_SIZE / 2 - 8,
                      SEAL_SIZE, SEAL_SIZE, mask="auto", preserveAspectRatio=True)

    qr_bottom = 56
    pdf.drawImage(ImageReader(io.BytesIO(qr_png(verify_url))), left - 8, qr_bottom,
                  QR_SIZE, QR_SIZE)
    text_left = left + QR_SIZE + 4
    pdf.setFont(font, 10)
    pdf.drawString(text_left, qr_bottom + QR_SIZE - 22, "扫码查验本证明是否有效")
    pdf.setFont(font, 9)
    pdf.drawString(text_left, qr_bottom + QR_SIZE - 40, f"证明编号：{doc['number']}")
    pdf.drawString(text_left, qr_bottom + QR_SIZE - 54, f"验证码：{doc['verification_code']}")
    pdf.setFont(font, 7.5)
    pdf.drawString(text_left, qr_bottom + QR_SIZE - 68, f"或在浏览器打开：{verify_url}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
