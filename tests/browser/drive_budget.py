"""Drives the console's 预算与支出 page in headless Chromium (Playwright): a social worker
records an expenditure, is refused one that would overspend its line (the form says what
is left), the admin records it with a reason, then voids it (作废) and the line has the
money back. Run by test_console_budget.py in a child
process, for the reason drive.py gives; by hand, against a running gateway:

    .venv/bin/python tests/browser/drive_budget.py --base http://127.0.0.1:8000 \
        --password ronghe-admin --setup '{"worker": ["sw", "password-123"]}' --out /tmp/x

Prints "STEP <name> ok ..." per step and a final "RESULT {...}" line.
"""
import json
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from drive import ARGS, DESKTOP, TIMEOUT, Journey, driver_arguments
from drive_district import login


def record(page, amount, line="activities", reason=None):
    form = page.locator("#expenditure-form")
    form.locator('[name="amount"]').fill(amount)
    form.locator('[name="budget_line"]').select_option(line)
    form.locator('[name="plan"]').select_option("service")
    form.locator('[name="payee"]').fill("厦门某文具店")
    form.locator('[name="note"]').fill("六一儿童节活动物料")
    if reason is not None:
        form.locator('[name="override_reason"]').fill(reason)
    form.locator('button[type="submit"]').click()


def worker_records_and_is_refused_past_the_line(j):
    page = j.page
    expect(page.locator("main h1")).to_have_text("预算与支出")
    expect(page.locator('tr[data-line="activities"]')).to_contain_text("活动经费")
    expect(page.locator('#expenditure-form [name="override_reason"]')).to_have_count(0)
    record(page, "950.00")
    expect(page.locator('tr[data-line="activities"]')).to_contain_text("950.00 元",
                                                                       timeout=TIMEOUT)
    expect(page.locator("tr[data-expenditure]")).to_have_count(1)
    record(page, "100.00")
    expect(page.locator("#expenditure-form .form-error")).to_contain_text(
        "项目年度的“活动经费”（activities）仅剩 50.00 元，不足 100.00 元", timeout=TIMEOUT)
    expect(page.locator("#expenditure-form .field.invalid")).to_have_count(0)
    expect(page.locator("tr[data-expenditure]")).to_have_count(1)
    j.both_sizes("budget", "/budget")
    j.step("worker_refused_past_the_line")


def admin_overrides_with_a_reason(j):
    page = j.page
    record(page, "100.00", reason="区里追加的儿童节活动")
    row = page.locator("tr[data-expenditure]").first
    expect(row).to_contain_text("超支：区里追加的儿童节活动", timeout=TIMEOUT)
    expect(page.locator('tr[data-line="activities"]')).to_contain_text("超支 50.00 元")
    j.step("admin_override_recorded")


def admin_voids_it_and_the_line_has_the_money_back(j):
    page = j.page
    row = page.locator("tr[data-expenditure]").first
    j.prompt_answer = "金额录错，应登记在物资耗材"  # the reason asked for
    row.get_by_role("button", name="作废 100.00 元的支出").click()
    row = page.locator("tr[data-expenditure]").first
    expect(row).to_contain_text("已作废：金额录错，应登记在物资耗材（admin）", timeout=TIMEOUT)
    expect(row.get_by_role("button")).to_have_count(0)
    expect(page.locator('tr[data-line="activities"]')).to_contain_text("50.00 元")
    expect(page.locator('tr[data-line="activities"]')).not_to_contain_text("超支")
    j.step("admin_voided")


def main(argv=None):
    args = driver_arguments(argv, ("--setup", {"required": True}))
    setup = json.loads(args.setup)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=ARGS, headless=True)
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", accept_downloads=True)
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()
        j = Journey(page, args.base, args.out, args.shots)
        try:
            login(j, *setup["worker"], "/budget")
            worker_records_and_is_refused_past_the_line(j)
            page.click("#logout")
            login(j, args.user, args.password, "/budget")
            admin_overrides_with_a_reason(j)
            admin_voids_it_and_the_line_has_the_money_back(j)
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
