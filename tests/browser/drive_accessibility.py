"""Scans every page of the console with axe-core in headless Chromium, at desktop width and
at 375 px (run by tests/browser/test_console_accessibility.py in a child process, as
test_console.py explains; drive.py's Journey, login and axe_scan are reused): the login
and application pages, every staff page as admin (the pages of one record each: --record
name=path, created through the API beforehand), then a volunteer's own pages.

Prints "STEP <name> ok ..." per part and a final "RESULT {...}" line whose "violations"
maps each page (label "<page>-desktop" / "<page>-375") to what axe-core found there, so
that one run shows every page's findings; the test decides what fails.
"""
import argparse
import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from drive import ARGS, AXE, CHROMIUM, DESKTOP, PHONE, TIMEOUT, Journey, axe_scan, login

# The console's routes that need no record id (gateway/console/js/app.js ROUTES).
PUBLIC = [("login", "/login"), ("apply", "/apply")]
STAFF = [("home", "/"), ("applications", "/applications"), ("users", "/users"),
         ("events", "/events"), ("events-month", "/events/month"),
         ("events-list", "/events/list"), ("event-new", "/events/new"),
         ("volunteers", "/volunteers"), ("volunteer-new", "/volunteers/new"),
         ("hours", "/hours"), ("needs", "/needs"), ("need-new", "/needs/new"),
         ("cases", "/cases"), ("case-new", "/cases/new"),
         ("linkage", "/linkage"), ("reports", "/reports"), ("rooms", "/rooms"),
         ("partners", "/partners"), ("partner-new", "/partners/new"),
         ("resources", "/resources"), ("resource-new", "/resources/new"),
         ("shifts", "/shifts"), ("kiosk", "/kiosk"), ("meeting-new", "/meetings/new"),
         ("district", "/district"), ("audit", "/audit"), ("consultations", "/consultations"),
         ("budget", "/budget")]
VOLUNTEER = [("mine", "/mine"), ("password", "/password")]


def scan_pages(j, pages):
    for name, path in pages:
        for size, suffix in ((DESKTOP, "desktop"), (PHONE, "375")):
            j.page.set_viewport_size(size)
            j.goto(path)
            label = f"{name}-{suffix}"
            j.result.setdefault("paths", []).append(path.split("?")[0])
            try:
                axe_scan(j.page, label, j.result)
            except AssertionError as found:
                j.result["violations"][label] = str(found)
    j.page.set_viewport_size(DESKTOP)


def log_in_as(j, user, password):
    j.page.evaluate("sessionStorage.clear()")
    j.goto("/login")
    j.page.fill('#login-form [name="username"]', user)
    j.page.fill('#login-form [name="password"]', password)
    j.page.click('#login-form button[type="submit"]')
    j.page.wait_for_selector("#topbar:not([hidden])", timeout=TIMEOUT)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", required=True)
    parser.add_argument("--record", action="append", default=[],
                        help="name=/path of a page showing one record, e.g. event=/events/3")
    parser.add_argument("--volunteer-user", required=True)
    parser.add_argument("--volunteer-password", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    assert AXE.exists(), f"{AXE} is missing: npm ci --prefix tests/browser (.ci/run does)"
    records = [tuple(item.split("=", 1)) for item in args.record]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=ARGS, headless=True)
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()
        j = Journey(page, args.base, args.out, None)
        j.result["violations"] = {}
        try:
            j.goto("/login")
            scan_pages(j, PUBLIC)
            j.step("public_pages")
            login(j, args.user, args.password)
            scan_pages(j, STAFF + records)
            j.goto("/district")  # one community's board, when the district lists any
            link = page.locator("a.detail-link").first
            if link.count():
                scan_pages(j, [("district-detail", link.get_attribute("href")[1:])])
            j.step("staff_pages", records=len(records))
            log_in_as(j, args.volunteer_user, args.volunteer_password)
            scan_pages(j, VOLUNTEER)
            j.step("volunteer_pages")
            assert not j.errors, f"JavaScript errors: {j.errors}"
        except Exception:
            page.screenshot(path=str(Path(args.out) / "failure.png"), full_page=True)
            print(f"FAILED at {page.url}; JS errors: {j.errors}", flush=True)
            raise
        finally:
            browser.close()
    print("RESULT " + json.dumps(j.result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
