"""Drives the residents' public site in headless Chromium at 375 px (Playwright), run by
tests/browser/test_public_site.py in a child process (see drive.py for why). A resident
finds a 我们的节日 event from the service menu, registers and is waitlisted; the first
resident cancels with their code and the waitlisted one moves up; the resident checks in
by the door QR code's URL and, once the event is completed, leaves feedback; an idea is
submitted and voted for. Each page is scanned with axe-core (tests/browser/node_modules,
from tests/browser/package.json): no violation of impact "serious" or "critical". Prints
"STEP <name> ok ..." per step and "RESULT {...}".
"""
import argparse
import json
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from drive import ARGS, DESKTOP, PHONE, TIMEOUT, axe_scan  # noqa: E402

class Resident:
    def __init__(self, page, args):
        self.page = page
        self.args = args
        self.base = args.base.rstrip("/")
        self.shots = Path(args.shots)
        self.result = {"screenshots": []}
        self.errors = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error"
                and "Content Security Policy" in msg.text else None)

    def step(self, name, **facts):
        print(f"STEP {name} ok {json.dumps(facts, ensure_ascii=False)}", flush=True)

    def shot(self, name):
        self.shots.mkdir(parents=True, exist_ok=True)
        suffix = "375" if self.page.viewport_size["width"] <= 400 else "desktop"
        path = self.shots / f"public-{name}-{suffix}.png"
        self.page.wait_for_timeout(150)
        self.page.screenshot(path=str(path), full_page=True)
        self.result["screenshots"].append(str(path))

    def fits_phone(self, name):
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name}: {width}px wide at 375 px"

    def axe(self, label):
        """No serious or critical accessibility violation on the page as it is now."""
        axe_scan(self.page, label, self.result)

    def staff(self, method, path, body=None):
        response = self.page.request.fetch(
            f"{self.base}/api/v1{path}", method=method, data=body,
            headers={"Authorization": f"Bearer {self.args.token}"})
        assert response.ok, f"{method} {path}: {response.status} {response.text()}"
        return response.json()


def journey(r):
    page, args = r.page, r.args
    # The service menu, on the site's front page: the festival series and its event.
    page.goto(r.base + "/")
    menu = page.locator("#series-festivals")
    expect(menu.locator("h2")).to_have_text("我们的节日", timeout=TIMEOUT)
    expect(menu.locator("p").first).not_to_be_empty()
    r.fits_phone("menu")
    r.shot("menu")
    r.axe("menu")
    # The calendar lists it in this month's list.
    page.goto(f"{r.base}/#/calendar?view=month")
    expect(page.locator("main ul.events")).to_contain_text(args.title, timeout=TIMEOUT)
    r.fits_phone("calendar")
    r.shot("calendar")
    r.axe("calendar")
    page.goto(r.base + "/")
    menu.get_by_role("link", name=args.title).click()
    expect(page.locator("h1")).to_have_text(args.title, timeout=TIMEOUT)
    r.step("menu_to_event", url=page.url)

    # Full already: the resident is waitlisted and gets a cancel code.
    page.fill("#register [name=name]", "陈小红")
    page.fill("#register [name=phone]", args.phone)
    page.select_option("#register [name=target_group]", "families")
    page.fill("#register [name=phone]", "12345")
    page.click("#register button[type=submit]")
    expect(page.locator("#register .field-error")).to_contain_text("手机号", timeout=TIMEOUT)
    page.fill("#register [name=phone]", args.phone)
    page.click("#register button[type=submit]")
    notice = page.locator("#register .notice")
    expect(notice).to_contain_text("候补", timeout=TIMEOUT)
    expect(notice).to_contain_text("第 1 位")
    registration = int(page.get_attribute("#register [data-registration]", "data-registration"))
    assert page.locator("#register [data-cancel-code]").inner_text().strip()
    r.fits_phone("event")
    r.shot("event")
    r.axe("event-waitlisted")
    r.step("registered_waitlisted", registration=registration)

    # The first resident cancels with their code: the waitlisted one moves up.
    page.click("#cancel summary")
    page.fill("#cancel [name=registration]", str(args.first_registration))
    page.fill("#cancel [name=code]", "wrong-code")
    page.click("#cancel button[type=submit]")
    expect(page.locator("#cancel .error")).to_contain_text("取消码", timeout=TIMEOUT)
    r.axe("event-cancel-refused")
    page.fill("#cancel [name=code]", args.first_code)
    page.click("#cancel button[type=submit]")
    expect(page.locator("#cancel .notice")).to_contain_text("已取消", timeout=TIMEOUT)
    confirmed = r.staff("GET", f"/events/{args.event}/registrations?status=confirmed")
    assert [item["id"] for item in confirmed["items"]] == [registration], confirmed
    r.step("promoted_after_cancellation")

    # At the door: the QR code's URL, the phone used to register.
    page.goto(args.door_url)
    expect(page.locator("h1")).to_contain_text(args.title, timeout=TIMEOUT)
    r.shot("door")
    r.axe("door")
    page.fill("main [name=phone]", args.phone)
    page.click("main button[type=submit]")
    expect(page.locator("main .notice")).to_have_text("签到成功，欢迎参加！", timeout=TIMEOUT)
    r.fits_phone("door")
    r.step("checked_in_at_door")

    # After the event: feedback on its page.
    r.staff("POST", f"/events/{args.event}/complete", {})
    page.goto(f"{r.base}/#/events/{args.event}")
    expect(page.locator("#feedback h2")).to_have_text("活动评价", timeout=TIMEOUT)
    r.axe("event-feedback")
    page.fill("#feedback [name=phone]", args.phone)
    page.select_option("#feedback [name=score]", "5")
    page.fill("#feedback [name=comment]", "孩子很喜欢包粽子")
    page.click("#feedback button[type=submit]")
    expect(page.locator("#feedback .notice")).to_have_text("谢谢您的评价！", timeout=TIMEOUT)
    r.step("feedback_given")

    # 金点子: submit one, vote for it.
    page.goto(f"{r.base}/#/ideas")
    page.fill("main form [name=title]", "楼道加装扶手")
    page.select_option("main form [name=category]", "facilities")
    page.fill("main form [name=phone]", args.phone)
    page.click("main form button[type=submit]")
    expect(page.locator("main .notice")).to_contain_text("已提交", timeout=TIMEOUT)
    idea = page.locator("article", has_text="楼道加装扶手")
    idea.locator("summary").click()
    idea.locator("[name=phone]").fill(args.phone)
    idea.locator("button[type=submit]").click()
    expect(idea.locator("[data-votes]")).to_have_text("1", timeout=TIMEOUT)
    r.fits_phone("ideas")
    r.shot("ideas")
    r.axe("ideas")
    r.step("idea_submitted_and_voted")

    page.set_viewport_size(DESKTOP)
    for name, path, title in (("menu", "/#/", "社区服务菜单"),
                              ("event", f"/#/events/{args.event}", args.title),
                              ("ideas", "/#/ideas", "金点子")):
        page.goto(r.base + path)
        expect(page.locator("h1")).to_have_text(title, timeout=TIMEOUT)
        page.wait_for_load_state("networkidle")
        r.shot(name)
    r.step("screenshots")
    assert not r.errors, r.errors


def main():
    parser = argparse.ArgumentParser()
    for name in ("base", "token", "event", "title", "phone", "first-registration",
                 "first-code", "door-url", "out", "shots", "chromium"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=ARGS)
        page = browser.new_page(viewport=PHONE, locale="zh-CN")
        r = Resident(page, args)
        try:
            journey(r)
        except Exception:
            page.screenshot(path=str(Path(args.out) / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    print("RESULT " + json.dumps(r.result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
