"""Drives the console's 照片与附件 in headless Chromium: on an event's page a photo taken
with the phone's camera control (``<input type=file accept="image/*" capture>``) is
uploaded and its thumbnail appears; a program renamed .jpg is refused in Chinese; at
375 px the page fits the screen and passes axe-core; on a joint meeting's page a PDF
is added from the file picker. Run by tests/browser/test_attachments.py in a child
process (see drive.py for why); by hand, against a running gateway with an event and a
meeting:

    .venv/bin/python -m tests.browser.drive_attachments --base http://127.0.0.1:8000 \
        --password ronghe-admin --event 1 --meeting 2 --out /tmp/x --shots /tmp/x/shots

Prints "STEP <name> ok ..." per step and a final "RESULT {...}" line; exits non-zero on
the first failure (with the page's screenshot in --out).
"""
import io
import json
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect, sync_playwright

from tests.browser.drive import (ARGS, DESKTOP, PHONE, TIMEOUT, Journey, axe_scan,
                                 driver_arguments, login)


def camera_photo():
    """A phone camera's JPEG: a GPS position in its EXIF, held upright (orientation 6)."""
    image = Image.new("RGB", (800, 600), (40, 120, 200))
    for x in range(0, 800, 40):  # something to see in the thumbnail
        image.paste((250, 200, 40), (x, 0, x + 20, 600))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8825).update({1: "N", 2: (24.0, 28.0, 12.5), 3: "E", 4: (118.0, 5.0, 30.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def photo_on_event_page(j, event_id):
    page = j.page
    j.goto(f"/events/{event_id}")
    card = page.locator("#attachments")
    expect(card.locator("h2")).to_have_text("照片与附件", timeout=TIMEOUT)
    expect(card.locator("li.empty")).to_have_text("暂无照片或附件", timeout=TIMEOUT)
    camera = page.locator("#attachment-camera")
    assert camera.get_attribute("accept") == "image/*"
    assert camera.get_attribute("capture") is not None
    camera.set_input_files({"name": "IMG_20261114_093000.jpg", "mimeType": "image/jpeg",
                            "buffer": camera_photo()})
    thumb = card.locator("li.attachment .attachment-thumb img")
    expect(thumb).to_have_count(1, timeout=TIMEOUT)
    expect(thumb).to_have_attribute("alt", "照片：IMG_20261114_093000.jpg")
    page.wait_for_function(
        "() => { const i = document.querySelector('#attachments .attachment-thumb img');"
        " return i && i.complete && i.naturalWidth > 0; }", timeout=TIMEOUT)
    size = page.evaluate("(() => { const i = document.querySelector("
                         "'#attachments .attachment-thumb img');"
                         " return [i.naturalWidth, i.naturalHeight]; })()")
    assert size[1] > size[0], f"the thumbnail is upright (portrait): {size}"
    assert thumb.get_attribute("src").startswith("data:image/jpeg")
    j.result["thumbnail"] = size
    card.scroll_into_view_if_needed()
    j.shot("event-attachments")
    j.step("photo_uploaded_thumbnail_shown", thumbnail=size)


def program_refused(j):
    page = j.page
    page.locator("#attachment-files").set_input_files({
        "name": "活动照片.jpg", "mimeType": "image/jpeg", "buffer": b"MZ\x90\x00" + b"\x00" * 400})
    error = page.locator("#attachments .form-error .alert.error")
    # The API's own sentence (its catalogue, in Chinese): what the file is, what is taken.
    expect(error).to_contain_text("文件类型不支持：这是一个程序（Windows 可执行文件）",
                                  timeout=TIMEOUT)
    expect(error).to_contain_text("仅限 JPG、PNG、WebP 照片")
    expect(error).to_contain_text("活动照片.jpg")
    expect(page.locator("#attachments li.attachment")).to_have_count(1)
    j.step("program_refused", message=error.inner_text())


def phone_width(j, event_id):
    page = j.page
    page.set_viewport_size(PHONE)
    j.goto(f"/events/{event_id}")
    expect(page.locator("#attachments .attachment-thumb img")).to_have_count(1, timeout=TIMEOUT)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the event page is {width}px wide at 375 px"
    page.locator("#attachments").scroll_into_view_if_needed()
    j.shot("event-attachments")
    axe_scan(page, "event-attachments-375", j.result)
    page.set_viewport_size(DESKTOP)
    j.step("phone_width_and_accessibility", width=width)


def pdf_on_meeting_page(j, meeting_id):
    page = j.page
    j.goto(f"/meetings/{meeting_id}")
    card = page.locator("#attachments")
    expect(card.locator("li.empty")).to_be_visible(timeout=TIMEOUT)
    page.locator("#attachment-files").set_input_files({
        "name": "联席会纪要.pdf", "mimeType": "application/pdf",
        "buffer": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"})
    item = card.locator("li.attachment")
    expect(item).to_have_count(1, timeout=TIMEOUT)
    expect(item.locator(".attachment-name")).to_have_text("联席会纪要.pdf")
    expect(item.locator(".attachment-thumb")).to_have_text("PDF")
    axe_scan(page, "meeting-attachments", j.result)
    j.step("pdf_on_meeting_page")


def main(argv=None):
    args = driver_arguments(argv, ("--event", {"type": int, "required": True}),
                            ("--meeting", {"type": int, "required": True}))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=ARGS, headless=True)
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()
        j = Journey(page, args.base, args.out, args.shots)
        try:
            login(j, args.user, args.password)
            photo_on_event_page(j, args.event)
            program_refused(j)
            phone_width(j, args.event)
            pdf_on_meeting_page(j, args.meeting)
            assert not j.errors, f"JavaScript errors: {j.errors}"
        except Exception:
            j.page.screenshot(path=str(Path(args.out) / "failure.png"), full_page=True)
            print(f"FAILED at {j.page.url}; JS errors: {j.errors}", flush=True)
            raise
        finally:
            browser.close()
    print("RESULT " + json.dumps(j.result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
