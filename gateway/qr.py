"""QR codes of an event (segno): its public page, and the door check-in code whose URL
carries the event's random door token. The URLs start at the public site's address
(``PUBLIC_BASE_URL``, else the address the request came to).

segno and reportlab (common.pdf) are imported by the functions that draw: the gateway
holds them once a code or a poster has been asked for."""
import io

from common import times

PNG = "image/png"
SVG = "image/svg+xml"


def public_base(config, request):
    return (config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")


def page_url(base, event_id):
    return f"{base}/#/events/{event_id}"


def door_url(base, token):
    return f"{base}/#/door/{token}"


def image(url, kind="png", scale=8):
    """The QR code of ``url`` as PNG or SVG bytes (error correction M, a quiet zone)."""
    import segno

    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind=kind, scale=scale, border=4)
    return out.getvalue()


def poster(event, page, door, community=""):
    """The A4 poster for the door: the event, the code to its page (register, feedback)
    and the door check-in code."""
    from common import pdf

    doc = pdf.Document(f"{event['title']} 海报", footer=community, author=community)
    start, end = times.local(times.parse(event["start"])), times.local(times.parse(event["end"]))
    doc.text(event["title"], "title")
    doc.text(f"{start:%Y年%m月%d日 %H:%M} — {end:%H:%M}", "subtitle")
    doc.space(6)
    doc.text("扫码查看活动、报名、活动后评价", "heading")
    doc.image(image(page, scale=10), 62)
    doc.space(4)
    doc.text("现场签到：活动期间扫码，输入报名时的手机号", "heading")
    doc.image(image(door, scale=10), 62)
    doc.text("未报名的居民也可扫码登记现场参加。手机号只用于签到核对，不会公开。", "note")
    return doc.render()
