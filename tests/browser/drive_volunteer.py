"""Drives a volunteer's road in headless Chromium (run by
tests/browser/test_volunteer_journey.py in a child process, like drive.py; its Journey and
login helpers are reused): a resident applies on the public form at phone width, staff
approve and read out the one-time password, the volunteer logs in on the phone, changes
the password, signs up for a shift and checks in. Screenshots of the new pages at desktop
and 375 px; each scanned with axe-core when tests/browser/node_modules has it.

Prints one line per step ("STEP <name> ok ...") and a final JSON line ("RESULT {...}");
exits non-zero on the first failure (with the page's screenshot in --out).
"""
import argparse
import json
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from drive import ARGS, AXE, CHROMIUM, DESKTOP, PHONE, TIMEOUT, Journey, axe_scan

NEW_PASSWORD = "Banshan-Linhai-2026"


def scan(j, label):
    if AXE.exists():
        axe_scan(j.page, label, j.result)


def field_error(page, form, field):
    return page.locator(f'#{form} .field[data-field="{field}"] .field-error')


def not_too_wide(j, label):
    width = j.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{label}: {width}px wide at 375 px"


def login(j, user, password):
    """Staff log in (the stack here has no reports service: the KPI board is not awaited)."""
    page = j.page
    j.goto("/login")
    page.fill('#login-form [name="username"]', user)
    page.fill('#login-form [name="password"]', password)
    page.click('#login-form button[type="submit"]')
    page.wait_for_selector("#topbar:not([hidden])", timeout=TIMEOUT)
    j.step("login")


def apply_on_the_phone(j, name, phone):
    page = j.page
    page.set_viewport_size(PHONE)
    j.goto("/apply")
    page.fill('#apply-form [name="name"]', name)
    page.fill('#apply-form [name="phone"]', phone)
    page.select_option('#apply-form [name="compound"]', "banshan_linhai")
    page.check('#apply-form input[name="skills"][value="reading"]')
    page.click('#apply-form button[type="submit"]')  # consent not given
    expect(field_error(page, "apply-form", "consent")).to_have_text(
        "请阅读并同意个人信息保护告知", timeout=TIMEOUT)
    not_too_wide(j, "apply")
    j.shot("volunteer-apply", full_page=True)
    scan(j, "volunteer-apply-375")
    page.check('#apply-form input[name="consent"]')
    page.click('#apply-form button[type="submit"]')
    expect(page.locator("#apply-done")).to_contain_text("申请已提交", timeout=TIMEOUT)
    j.step("apply", consent_refused=True)


def staff_approve(j, user, password):
    page = j.page
    page.set_viewport_size(DESKTOP)
    login(j, user, password)
    j.goto("/applications")
    row = page.locator("table.list tbody tr").first
    expect(row).to_contain_text("绘本阅读", timeout=TIMEOUT)
    masked = row.locator("td").nth(1).inner_text()
    assert "****" in masked, masked
    j.shot("applications")
    scan(j, "applications-desktop")
    row.locator("button[data-approve]").click()
    page.wait_for_selector("#login-password", timeout=TIMEOUT)
    username = page.inner_text("#login-username")
    initial = page.inner_text("#login-password")
    j.shot("application-approved")
    j.step("approve", username=username)
    return username, initial


def volunteer_on_the_phone(j, username, initial, shift_name):
    page = j.page
    page.click("#logout")
    page.wait_for_selector("#login-form", timeout=TIMEOUT)
    page.set_viewport_size(PHONE)
    page.fill('#login-form [name="username"]', username)
    page.fill('#login-form [name="password"]', initial)
    page.click('#login-form button[type="submit"]')
    page.wait_for_selector("section.hours-summary", timeout=TIMEOUT)
    assert page.url.endswith("#/mine"), page.url
    j.step("volunteer_login")

    j.goto("/password")
    page.fill('#password-form [name="current_password"]', initial)
    page.fill('#password-form [name="new_password"]', "short1")
    page.fill('#password-form [name="confirm"]', "short1")
    page.click('#password-form button[type="submit"]')
    expect(field_error(page, "password-form", "new_password")).to_contain_text(
        "密码至少", timeout=TIMEOUT)
    not_too_wide(j, "password")
    j.shot("password")
    scan(j, "password-375")
    page.fill('#password-form [name="current_password"]', initial)
    page.fill('#password-form [name="new_password"]', NEW_PASSWORD)
    page.fill('#password-form [name="confirm"]', NEW_PASSWORD)
    page.click('#password-form button[type="submit"]')
    page.wait_for_selector("#password-changed", timeout=TIMEOUT)
    j.step("password_changed")

    j.goto("/mine")  # the new token still works
    open_row = page.locator("table.list tbody tr", has_text=shift_name).first
    expect(open_row).to_be_visible(timeout=TIMEOUT)
    open_row.locator("button[data-signup]").click()
    checkin = page.locator("button[data-checkin]").first
    expect(checkin).to_be_visible(timeout=TIMEOUT)
    j.step("signed_up")
    checkin.click()
    expect(page.locator("button[data-checkout]").first).to_be_visible(timeout=TIMEOUT)
    not_too_wide(j, "mine")
    j.shot("volunteer-mine", full_page=True)
    scan(j, "volunteer-mine-375")
    j.step("checked_in")

    # availability and skills: add a skill
    page.click("details.add summary")
    page.check('#profile-form input[name="skills"][value="first_aid"]')
    page.click('#profile-form button[type="submit"]')
    expect(page.locator("section.hours-summary")).to_contain_text("急救", timeout=TIMEOUT)
    j.step("profile_saved")


def admin_pages(j, user, password):
    page = j.page
    page.set_viewport_size(DESKTOP)
    page.evaluate("sessionStorage.clear()")
    login(j, user, password)
    for name, path in (("users", "/users"), ("applications-approved", "/applications?status=approved"),
                       ("password", "/password")):
        j.both_sizes(name, path)
        scan(j, f"{name}-desktop")
    j.page.set_viewport_size(DESKTOP)
    j.goto("/users")
    page.fill('#user-form [name="username"]', "sw-browser")
    page.select_option('#user-form [name="role"]', "social_worker")
    page.fill('#user-form [name="password"]', "weak")
    page.click('#user-form button[type="submit"]')
    expect(field_error(page, "user-form", "password")).to_contain_text("密码至少", timeout=TIMEOUT)
    page.fill('#user-form [name="password"]', "Hetong-Social-77")
    page.click('#user-form button[type="submit"]')
    expect(page.locator("table.list tbody")).to_contain_text("sw-browser", timeout=TIMEOUT)
    j.step("users")

    # The new user logs in and changes the password (修改密码 is in every role's menu).
    page.click("#logout")
    login(j, "sw-browser", "Hetong-Social-77")
    page.click('#nav a[data-nav="password"]')
    page.wait_for_selector("#password-form", timeout=TIMEOUT)
    page.fill('#password-form [name="current_password"]', "wrong-password-1")
    page.fill('#password-form [name="new_password"]', "Hetong-Social-88")
    page.fill('#password-form [name="confirm"]', "Hetong-Social-88")
    page.click('#password-form button[type="submit"]')
    expect(field_error(page, "password-form", "current_password")).to_have_text(
        "当前密码不正确", timeout=TIMEOUT)
    page.fill('#password-form [name="current_password"]', "Hetong-Social-77")
    page.click('#password-form button[type="submit"]')
    page.wait_for_selector("#password-changed", timeout=TIMEOUT)
    j.step("new_user_changed_password")


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", required=True)
    parser.add_argument("--shift-name", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--shots", default=None)
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=ARGS, headless=True)
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", accept_downloads=True)
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()
        j = Journey(page, args.base, args.out, args.shots)
        try:
            apply_on_the_phone(j, "林晓燕", "13912345678")
            username, initial = staff_approve(j, args.user, args.password)
            volunteer_on_the_phone(j, username, initial, args.shift_name)
            admin_pages(j, args.user, args.password)
            j.result.update(username=username, new_password=NEW_PASSWORD,
                            axe=AXE.exists())
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
    raise SystemExit(main())
