"""Drives the console's 区级汇总 (district page) as a district viewer and the 审计日志
(audit log) as an admin in headless Chromium (Playwright), and saves their screenshots.
Run by test_console_district.py in a child process, for the reason drive.py gives; by
hand, against a running district gateway:

    .venv/bin/python tests/browser/drive_district.py --base http://127.0.0.1:8000 \
        --password ronghe-admin --setup '{"viewer": [...], "communities": {...}, ...}' \
        --out /tmp/x --shots /tmp/x/shots

``--setup``: the district viewer's login ([username, password]), the communities the
district has summaries from ({id: Chinese name}), and the reveal to find in the log
({actor, target}).
Prints "STEP <name> ok ..." per step and a final "RESULT {...}" line.
"""
import argparse
import json
import re
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from drive import ARGS, CHROMIUM, DESKTOP, TIMEOUT, Journey


def login(j, user, password, next_path):
    page = j.page
    page.goto(f"{j.base}/console/#/login?next={next_path}")
    page.wait_for_selector("#login-form", timeout=TIMEOUT)
    page.fill('#login-form [name="username"]', user)
    page.fill('#login-form [name="password"]', password)
    page.click('#login-form button[type="submit"]')
    page.wait_for_selector(f'main .view[data-page="{next_path.strip("/").split("/")[0]}"]'
                           ':not(:has(> .loading))', timeout=TIMEOUT)
    j.step("login", user=user)


def district_page_shows_the_communities(j, communities):
    page = j.page
    expect(page.locator("main h1")).to_have_text("区级汇总")
    expect(page.locator('#nav a[data-nav="district"]')).to_be_visible()
    expect(page.locator('#nav a[data-nav="audit"]')).to_be_hidden()  # a viewer's menu
    for community_id, name in communities.items():
        row = page.locator(f'tr[data-community="{community_id}"]')
        expect(row).to_contain_text(name)
        expect(row.locator(".badge")).to_have_count(1)
    expect(page.locator('tr[data-community="total"]')).to_contain_text("全区合计")
    names = page.locator("tbody tr td:first-child").all_inner_texts()
    j.both_sizes("district", "/district")
    first = next(iter(communities))
    page.click(f'tr[data-community="{first}"] a.detail-link')
    page.wait_for_url(re.compile(rf"#/district/{first}$"), timeout=TIMEOUT)
    expect(page.locator("main h1")).to_contain_text(communities[first])
    kpis = page.locator("tbody tr").count()
    assert kpis > 0
    j.both_sizes("district-community", f"/district/{first}")
    j.step("district_page", rows=names, detail=first, kpis=kpis)


def audit_log_lists_the_reveal(j, reveal):
    page = j.page
    expect(page.locator("main h1")).to_have_text("审计日志")
    entry = page.locator('tr:has([data-action="reveal_volunteer_contact"])')
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(reveal["actor"])
    expect(entry).to_contain_text("查看志愿者完整手机号")
    kind, record = reveal["target"].split(":")
    expect(entry.locator(f'a[href="#/volunteers/{record}"]')).to_have_count(1)
    # filtered to reveals: the user changes go
    before = page.locator("tbody tr").count()
    page.select_option('#audit-filters [name="kind"]', "reveal")
    page.click('#audit-filters button[type="submit"]')
    page.wait_for_url(re.compile(r"kind=reveal"), timeout=TIMEOUT)
    expect(page.locator("tbody tr")).to_have_count(1)
    # by the admin's own name: no reveal of theirs
    j.goto("/audit?actor=nobody-here")
    expect(page.locator("main .empty")).to_have_text("没有符合条件的记录")
    # a refused date range is named beside its field
    page.click("#audit-clear")
    page.wait_for_url(re.compile(r"#/audit$"), timeout=TIMEOUT)
    page.wait_for_selector("#audit-filters", timeout=TIMEOUT)
    page.fill('#audit-filters [name="from"]', "2026-12-02")
    page.fill('#audit-filters [name="to"]', "2026-12-01")
    page.click('#audit-filters button[type="submit"]')
    expect(page.locator('#audit-filters .field[data-field="to"] .field-error')).to_contain_text(
        "结束必须晚于开始", timeout=TIMEOUT)
    j.both_sizes("audit", "/audit")
    j.step("audit_log_lists_the_reveal", before=before)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", required=True)
    parser.add_argument("--setup", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--shots", default=None)
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    setup = json.loads(args.setup)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=ARGS, headless=True)
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", accept_downloads=True)
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()
        j = Journey(page, args.base, args.out, args.shots)
        try:
            login(j, *setup["viewer"], "/district")
            district_page_shows_the_communities(j, setup["communities"])
            page.click("#logout")
            login(j, args.user, args.password, "/audit")
            audit_log_lists_the_reveal(j, setup["reveal"])
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
