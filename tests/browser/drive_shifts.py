"""Drives the console's 班次 pages, the 签到/签退 kiosk and the 联席会 pages in headless
Chromium (Playwright), and saves their screenshots. Run by test_console_shifts.py in a
child process, for the reason drive.py gives; by hand, against a running gateway:

    .venv/bin/python tests/browser/drive_shifts.py --base http://127.0.0.1:8000 \
        --password ronghe-admin --setup '{"volunteers": [...], "partners": [...]}' \
        --out /tmp/x --shots /tmp/x/shots

``--setup``: the two volunteers to sign up ({id, name, phone}) and partners of three
five-society categories ({id, name, five_society}) the test created through the API.
Prints "STEP <name> ok ..." per step and a final "RESULT {...}" line.
"""
import argparse
import json
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from drive import ARGS, CHROMIUM, DESKTOP, TIMEOUT, Journey


def xiamen_now():
    return datetime.now(timezone.utc) + timedelta(hours=8)


def login(j, user, password):
    page = j.page
    page.goto(j.base + "/console/#/login")
    page.wait_for_selector("#login-form", timeout=TIMEOUT)
    page.fill('#login-form [name="username"]', user)
    page.fill('#login-form [name="password"]', password)
    page.click('#login-form button[type="submit"]')
    page.wait_for_selector(".kpi-grid", timeout=TIMEOUT)
    j.step("login")


def create_shift(j):
    page = j.page
    j.goto("/shifts")
    # Began half an hour ago, so the kiosk's check-in is on time; one place: the second
    # volunteer is waitlisted.
    start = (xiamen_now() - timedelta(minutes=30)).replace(second=0, microsecond=0)
    end = start + timedelta(hours=3)
    page.fill('#shift-form [name="name"]', "周六助餐点服务（浏览器测试）")
    page.fill('#shift-form [name="places"]', "1")
    page.fill('#shift-form [name="start"]', start.strftime("%Y-%m-%dT%H:%M"))
    page.fill('#shift-form [name="end"]', (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill('#shift-form [name="location"]', "党群服务站一楼助餐点")
    page.click('#shift-form button[type="submit"]')
    expect(page.locator('#shift-form .field[data-field="end"] .field-error')).to_contain_text(
        "结束时间必须晚于开始时间", timeout=TIMEOUT)
    j.shot("shift-validation-error")
    page.fill('#shift-form [name="end"]', end.strftime("%Y-%m-%dT%H:%M"))
    page.click('#shift-form button[type="submit"]')
    page.wait_for_url(re.compile(r"#/shifts/\d+$"), timeout=TIMEOUT)
    shift_id = int(page.url.rsplit("/", 1)[1])
    j.result["shift_id"] = shift_id
    j.step("create_shift", shift_id=shift_id)
    return shift_id


def sign_up_two(j, shift_id, volunteers):
    page = j.page
    page.wait_for_selector("#signup-form", timeout=TIMEOUT)
    page.click('#signup-form button[type="submit"]')  # nobody chosen
    expect(page.locator('#signup-form .field[data-field="volunteer_id"] .field-error')).to_have_text(
        "必填", timeout=TIMEOUT)
    for volunteer in volunteers:
        page.wait_for_selector("#signup-form", timeout=TIMEOUT)
        page.fill('#signup-form input[type="search"]', volunteer["name"])
        page.wait_for_load_state("networkidle")  # the search has answered
        options = page.locator('#signup-form [name="volunteer_id"] option:not([value=""])')
        expect(options).to_have_count(1, timeout=TIMEOUT)  # the search found just them
        page.select_option('#signup-form [name="volunteer_id"]', str(volunteer["id"]))
        page.click('#signup-form button[type="submit"]')
        expect(page.locator(f'tr[data-volunteer="{volunteer["id"]}"]')).to_be_visible(timeout=TIMEOUT)
    first, second = volunteers
    confirmed = page.locator("section.card:has(h2:text-matches('^已确认')) tr[data-volunteer]")
    waitlist = page.locator("section.card:has(h2:text-matches('^候补')) tr[data-volunteer]")
    expect(confirmed).to_have_count(1)
    expect(confirmed.first).to_contain_text(first["name"])
    expect(waitlist).to_have_count(1)
    expect(waitlist.first).to_contain_text(second["name"])
    expect(waitlist.first).to_contain_text("第 1 位")
    j.step("sign_up_two_volunteers", confirmed=first["id"], waitlisted=second["id"])


def kiosk_check_in_and_out(j, shift_id, volunteer):
    page = j.page
    j.goto("/kiosk")
    page.click(f'a.kiosk-shift[data-shift="{shift_id}"]')
    page.wait_for_selector("#kiosk-digits", timeout=TIMEOUT)
    j.page.wait_for_load_state("networkidle")
    tap = page.locator("button.kiosk-tap")
    expect(tap).to_have_count(1)  # the waitlisted volunteer is not on the door's list
    page.fill("#kiosk-digits", "0000")
    expect(page.locator("ul.kiosk-list li.empty")).to_contain_text("没有尾号相符")
    page.fill("#kiosk-digits", volunteer["phone"][-4:])
    expect(tap).to_have_count(1)
    expect(tap.first).to_contain_text(volunteer["name"])
    box = tap.first.bounding_box()
    assert box["height"] >= 96, f"a kiosk button is {box['height']} px tall"
    tap.first.click()
    expect(tap.first).to_have_attribute("data-state", "in", timeout=TIMEOUT)
    expect(page.locator("p.counter")).to_contain_text("在岗 1 人")
    j.shot("kiosk")
    tap.first.click()
    expect(tap.first).to_have_attribute("data-state", "out", timeout=TIMEOUT)
    expect(tap.first).to_be_disabled()
    expect(page.locator("p.counter")).to_contain_text("已签退 1 人")
    j.step("kiosk_check_in_and_out", volunteer=volunteer["id"])


def pending_hours_found(j, volunteer):
    page = j.page
    j.goto("/hours?status=pending")
    row = page.locator("tr[data-entry]", has_text=volunteer["name"])
    expect(row).to_have_count(1, timeout=TIMEOUT)
    expect(row).to_contain_text("待审核")
    j.result["hours_entry_id"] = int(row.get_attribute("data-entry"))
    j.step("pending_hours_found", entry=j.result["hours_entry_id"])


def cancel_waitlisted(j, shift_id, volunteer):
    page = j.page
    j.goto(f"/shifts/{shift_id}")
    row = page.locator(f'tr[data-volunteer="{volunteer["id"]}"]')
    row.locator("button:has-text('取消报名')").click()
    cancelled = page.locator("section.card:has(h2:text-matches('^已取消')) tr[data-volunteer]")
    expect(cancelled).to_have_count(1, timeout=TIMEOUT)
    expect(cancelled.first).to_contain_text(volunteer["name"])
    j.step("cancel_waitlisted")


def record_joint_meeting(j, partners):
    page = j.page
    j.goto("/meetings/new")
    today = xiamen_now().strftime("%Y-%m-%d")
    page.fill('#meeting-form [name="title"]', "第四季度五社联席会（浏览器测试）")
    page.fill('#meeting-form [name="start"]', f"{today}T09:00")
    page.fill('#meeting-form [name="end"]', f"{today}T10:30")
    page.fill('#meeting-form [name="agenda"]', "一、儿童游乐设施修缮\n二、金点子评议")
    page.fill('#meeting-form [name="minutes"]', "与会各方同意由物业牵头修缮，社工站跟进。")
    page.fill('#meeting-form [name="residents"]', "12")
    page.fill('#meeting-form [name="others"]', "3")
    for partner in partners:
        row = page.locator(f'fieldset.five-society[data-category="{partner["five_society"]}"] '
                           f'.attendee[data-partner="{partner["id"]}"]')
        row.locator('input[name="partner"]').check()
    page.locator(f'.attendee[data-partner="{partners[0]["id"]}"] input.count').fill("2")
    # A guest without a category: refused, the reason beside the guest's row, nothing written.
    page.click("#add-guest")
    page.fill('#meeting-form [name="guest_organisation"]', "厦门大学社会学系")
    page.click('#meeting-form button[type="submit"]')
    guest_error = page.locator("#meeting-form .attendee.guest .field-error")
    expect(guest_error).to_contain_text("来宾须填写", timeout=TIMEOUT)
    j.shot("meeting-validation-error")
    page.select_option('#meeting-form [name="guest_category"]', "social_resource")
    page.click('#meeting-form button[type="submit"]')
    page.wait_for_url(re.compile(r"#/meetings/\d+$"), timeout=TIMEOUT)
    meeting_id = int(page.url.rsplit("/", 1)[1])
    j.result["meeting_id"] = meeting_id
    page.wait_for_selector("#decision-form", timeout=TIMEOUT)
    for partner in partners:
        expect(page.locator(f'.attendee-group[data-category="{partner["five_society"]}"]')).to_contain_text(partner["name"])
    expect(page.locator('.attendee-group[data-category="social_resource"]')).to_contain_text("厦门大学社会学系")
    expect(page.locator(f'.stat[data-category="{partners[0]["five_society"]}"] strong')).to_have_text("2")
    j.step("joint_meeting_recorded", meeting_id=meeting_id)

    # A decision with an action item; an item without its owner is named beside the field.
    page.fill('#decision-form [name="summary"]', "由物业牵头修缮儿童游乐设施")
    page.fill('#decision-form [name="ai_title"]', "提交修缮方案")
    page.fill('#decision-form [name="ai_due_date"]', (xiamen_now() + timedelta(days=30)).strftime("%Y-%m-%d"))
    page.click('#decision-form button[type="submit"]')
    expect(page.locator('#decision-form .field[data-field="action_items.0.owner"] .field-error')).to_contain_text(
        "必填", timeout=TIMEOUT)
    page.fill('#decision-form [name="ai_owner"]', "和通物业")
    page.click('#decision-form button[type="submit"]')
    decisions = page.locator("ol.decisions")
    expect(decisions).to_contain_text("提交修缮方案", timeout=TIMEOUT)
    expect(decisions).to_contain_text("和通物业")
    expect(decisions).to_contain_text("待办")
    j.step("joint_meeting_action_item")
    return meeting_id


def screenshots(j, shift_id, meeting_id):
    j.both_sizes("shifts", "/shifts")
    j.both_sizes("shift-detail", f"/shifts/{shift_id}")
    j.both_sizes("kiosk-shifts", "/kiosk")
    j.both_sizes("kiosk-checkin", f"/kiosk?shift={shift_id}")
    j.both_sizes("meeting-new", "/meetings/new")
    j.both_sizes("meeting-detail", f"/meetings/{meeting_id}")
    j.step("screenshots", count=len(j.result["screenshots"]))


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
            login(j, args.user, args.password)
            shift_id = create_shift(j)
            sign_up_two(j, shift_id, setup["volunteers"])
            kiosk_check_in_and_out(j, shift_id, setup["volunteers"][0])
            pending_hours_found(j, setup["volunteers"][0])
            cancel_waitlisted(j, shift_id, setup["volunteers"][1])
            meeting_id = record_joint_meeting(j, setup["partners"])
            screenshots(j, shift_id, meeting_id)
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
