"""Drives the console's 合作伙伴, 资源库 and 活动 month / list pages in headless Chromium
(run by tests/browser/test_console_partners.py in a child process, like drive.py; its
Journey, login and download helpers are reused). Each page is scanned with axe-core
(tests/browser/node_modules, from tests/browser/package.json): no violation of impact
"serious" or "critical".

Prints one line per step ("STEP <name> ok ...") and a final JSON line ("RESULT {...}");
exits non-zero on the first failure (with the page's screenshot in --out).
"""
import argparse
import json
import re
import sys
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect, sync_playwright

from drive import (ARGS, AXE, CHROMIUM, DESKTOP, PHONE, TIMEOUT, Journey, axe_scan, login,
                   save_download)

def field_error(page, form, field):
    return page.locator(f'{form} .field[data-field="{field}"] .field-error')


def partners_by_category(j):
    page = j.page
    # bad input: each reason beside its field, nothing written
    j.goto("/partners/new")
    page.fill('#partner-form [name="name"]', "和通社区书画协会（浏览器测试）")
    page.select_option('#partner-form [name="kind"]', "resident_group")
    page.fill('#partner-form [name="contact_phone"]', "12345")
    page.click('#partner-form button[type="submit"]')
    expect(field_error(page, "#partner-form", "contact_phone")).to_contain_text("电话号码", timeout=TIMEOUT)
    expect(field_error(page, "#partner-form", "five_society")).to_have_text("必填")
    expect(page.locator("#partner-form .form-error")).to_contain_text("填写有误")
    j.shot("partner-validation-error")
    axe_scan(j.page, "partner-new", j.result)
    # two partners in two 五社 categories
    page.select_option('#partner-form [name="five_society"]', "self_governance")
    page.fill('#partner-form [name="contact_name"]', "郑阿姨")
    page.fill('#partner-form [name="contact_phone"]', "13812345678")
    page.check('#partner-form input[name="compounds"][value="fulong_huayuan"]')
    page.click('#partner-form button[type="submit"]')
    page.wait_for_url(re.compile(r"#/partners/\d+$"), timeout=TIMEOUT)
    first = int(page.url.rsplit("/", 1)[1])
    contact = page.locator("#partner-contact")
    expect(contact).to_have_text("138****5678", timeout=TIMEOUT)
    page.click("#reveal-contact")
    expect(contact).to_have_text("13812345678", timeout=TIMEOUT)
    expect(page.locator("dl.facts")).to_contain_text("社区自治组织")
    expect(page.locator("dl.facts")).to_contain_text("福隆花园")

    j.goto("/partners/new")
    page.fill('#partner-form [name="name"]', "乐活社工服务中心（浏览器测试）")
    page.select_option('#partner-form [name="five_society"]', "social_org")
    page.select_option('#partner-form [name="kind"]', "social_org")
    page.click('#partner-form button[type="submit"]')
    page.wait_for_url(re.compile(r"#/partners/\d+$"), timeout=TIMEOUT)
    second = int(page.url.rsplit("/", 1)[1])
    page.click("#archive-partner")
    expect(page.locator(".page-head h1 .badge")).to_have_text("已归档", timeout=TIMEOUT)
    # the list: samples marked, the category tabs and the status filter
    j.goto("/partners")
    expect(page.locator(f'tr[data-partner="{first}"]')).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(f'tr[data-partner="{second}"]')).to_have_count(0)  # archived: not current
    assert page.locator("table.list .sample-mark").count() > 0, "sample partners show 【示例】"
    page.click('#five-society-tabs button[data-five-society="self_governance"]')
    page.wait_for_url(re.compile(r"five_society=self_governance"), timeout=TIMEOUT)
    expect(page.locator(f'tr[data-partner="{first}"]')).to_be_visible(timeout=TIMEOUT)
    categories = page.locator('table.list td[data-label="五社类别"]').all_inner_texts()
    assert categories and set(categories) == {"社区自治组织"}, categories
    page.click('#five-society-tabs button[data-five-society="social_org"]')
    page.wait_for_url(re.compile(r"five_society=social_org"), timeout=TIMEOUT)
    expect(page.locator("p.empty")).to_be_visible(timeout=TIMEOUT)
    page.select_option('.filters select[name="status"]', "archived")
    expect(page.locator(f'tr[data-partner="{second}"]')).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(f'tr[data-partner="{second}"] .badge')).to_have_text("已归档")
    j.result["partners"] = [first, second]
    j.step("partners_by_category", first=first, second=second, categories=categories)
    return first, second


def partner_edit_and_delete(j, first, second):
    """Changed in place; deleted when nothing refers to it; refused, naming the resource,
    when one does (archive it instead)."""
    page = j.page
    j.goto(f"/partners/{first}")
    page.fill('#partner-edit [name="contact_name"]', "郑秀珍")
    page.fill('#partner-edit [name="description"]', "书法、国画兴趣班")
    page.click('#partner-edit button[type="submit"]')
    expect(page.locator("dl.facts")).to_contain_text("郑秀珍", timeout=TIMEOUT)
    expect(page.locator("#partner-contact")).to_have_text("138****5678")  # phone kept
    page.click("#delete-partner")
    expect(page.locator("#toast")).to_contain_text("不能删除", timeout=TIMEOUT)
    assert page.url.endswith(f"#/partners/{first}"), page.url
    j.goto(f"/partners/{second}")
    page.click("#delete-partner")
    page.wait_for_url(re.compile(r"#/partners$"), timeout=TIMEOUT)
    j.step("partner_edit_and_delete", refused=first, deleted=second)


def resource_library(j, partner_id):
    page = j.page
    j.goto(f"/resources/new?partner_id={partner_id}")
    assert page.input_value('#resource-form [name="partner_id"]') == str(partner_id)
    page.fill('#resource-form [name="title"]', "书画班活动经费（浏览器测试）")
    page.select_option('#resource-form [name="type"]', "funding")
    page.check('#resource-form input[name="target_groups"][value="elderly"]')
    page.check('#resource-form input[name="target_groups"][value="children"]')
    page.check('#resource-form input[name="need_categories"][value="culture"]')
    page.fill('#resource-form [name="quantity"]', "10")
    page.fill('#resource-form [name="unit"]', "期")
    page.fill('#resource-form [name="available_from"]', "2027-03-01")
    page.fill('#resource-form [name="available_to"]', "2027-01-31")
    page.fill('#resource-form [name="value_yuan"]', "3000")
    page.click('#resource-form button[type="submit"]')
    expect(field_error(page, "#resource-form", "available_to")).to_have_text(
        "结束日期不能早于开始日期", timeout=TIMEOUT)
    page.fill('#resource-form [name="available_from"]', "2026-09-01")
    page.click('#resource-form button[type="submit"]')
    page.wait_for_url(re.compile(r"#/resources/\d+$"), timeout=TIMEOUT)
    resource_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#resource-availability")).to_contain_text("剩余 10 / 10 期", timeout=TIMEOUT)
    expect(page.locator("#resource-availability")).to_contain_text("2026-09-01 至 2027-01-31")
    expect(page.locator("dl.facts")).to_contain_text("资金")
    expect(page.locator("dl.facts")).to_contain_text("儿童、老年人")
    # the list filtered by type: ours, not the sample 物资
    j.goto("/resources")
    expect(page.locator("table.list .sample-mark").first).to_be_visible(timeout=TIMEOUT)
    venue_row = page.locator("tr[data-resource]", has_text="党群服务中心阵地")
    expect(venue_row.locator('a[href="#/rooms"]')).to_be_visible()
    page.select_option('#resource-filters select[name="type"]', "funding")
    page.wait_for_url(re.compile(r"type=funding"), timeout=TIMEOUT)
    expect(page.locator(f'tr[data-resource="{resource_id}"]')).to_be_visible(timeout=TIMEOUT)
    types = page.locator('table.list td[data-label="类型"]').all_inner_texts()
    assert set(types) == {"资金"}, types
    page.select_option('#resource-filters select[name="compound"]', "fulong_huayuan")
    page.wait_for_url(re.compile(r"compound=fulong_huayuan"), timeout=TIMEOUT)
    expect(page.locator(f'tr[data-resource="{resource_id}"]')).to_be_visible(timeout=TIMEOUT)
    page.select_option('#resource-filters select[name="compound"]', "banshan_linhai")
    page.wait_for_url(re.compile(r"compound=banshan_linhai"), timeout=TIMEOUT)
    expect(page.locator("p.empty")).to_be_visible(timeout=TIMEOUT)
    # the 资源清单 download: the row is there with Chinese labels
    target = save_download(j, lambda: page.click("#export-xlsx"))
    sheet = load_workbook(target).active
    rows = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    header = rows[0]
    mine = [dict(zip(header, row)) for row in rows[1:] if row[header.index("资源名称")] == "书画班活动经费（浏览器测试）"]
    assert len(mine) == 1, rows
    row = mine[0]
    assert row["资源类型"] == "资金", row
    assert row["提供单位"] == "和通社区书画协会（浏览器测试）", row
    assert row["服务对象"] == "儿童、老年人", row
    assert row["服务小区"] == "福隆花园", row
    assert not any(str(r[header.index("资源名称")]).startswith("【示例】") for r in rows[1:]), "no samples"
    # changed, then archived: out of the current listing
    j.goto(f"/resources/{resource_id}")
    page.fill('#resource-edit [name="quantity"]', "8")
    page.click('#resource-edit button[type="submit"]')
    expect(page.locator("#resource-availability")).to_contain_text("剩余 8 / 8 期", timeout=TIMEOUT)
    page.click("#archive-resource")
    expect(page.locator(".page-head h1 .badge")).to_have_text("已归档", timeout=TIMEOUT)
    j.result["resource_id"] = resource_id
    j.step("resource_library", resource_id=resource_id, xlsx=target.name, row=row)
    return resource_id


def events_month_and_list(j, title, event_month):
    page = j.page
    j.goto("/events")
    page.click('.view-tabs a[data-view="month"]')
    page.wait_for_url(re.compile(r"#/events/month"), timeout=TIMEOUT)
    page.wait_for_selector(".month-grid", timeout=TIMEOUT)
    page.click("#prev-month")
    page.wait_for_url(re.compile(rf"month={event_month}"), timeout=TIMEOUT)
    expect(page.locator(".month-grid li", has_text=title)).to_be_visible(timeout=TIMEOUT)
    # the list: last month one click away, then narrowed by target group
    page.click('.view-tabs a[data-view="list"]')
    page.wait_for_url(re.compile(r"#/events/list"), timeout=TIMEOUT)
    page.click("#last-month")
    page.wait_for_url(re.compile(rf"from={event_month}-01"), timeout=TIMEOUT)
    row = page.locator("table.list tr[data-event]", has_text=title)
    expect(row).to_be_visible(timeout=TIMEOUT)
    expect(row).to_contain_text("老年人")
    page.select_option('.event-filters select[name="target_group"]', "children")
    page.wait_for_url(re.compile(r"target_group=children"), timeout=TIMEOUT)
    expect(page.locator("table.list tr[data-event]", has_text=title)).to_have_count(0, timeout=TIMEOUT)
    page.select_option('.event-filters select[name="target_group"]', "elderly")
    page.wait_for_url(re.compile(r"target_group=elderly"), timeout=TIMEOUT)
    expect(page.locator("table.list tr[data-event]", has_text=title)).to_be_visible(timeout=TIMEOUT)
    j.step("events_month_and_list", month=event_month)


def screenshots_and_accessibility(j, partner_id, resource_id, event_month):
    pages = [("partners", "/partners"), ("partner-detail", f"/partners/{partner_id}"),
             ("resources", "/resources"), ("resource-detail", f"/resources/{resource_id}"),
             ("resource-new", "/resources/new"),
             ("events-month", f"/events/month?month={event_month}"),
             ("events-list", f"/events/list?from={event_month}-01")]
    for name, path in pages:
        j.both_sizes(name, path)  # at 375 px: nothing wider than the screen
        j.page.set_viewport_size(PHONE)
        j.goto(path)
        axe_scan(j.page, f"{name}-375", j.result)
        j.page.set_viewport_size(DESKTOP)
        j.goto(path)
        axe_scan(j.page, f"{name}-desktop", j.result)
    j.step("screenshots_and_accessibility", pages=len(pages), scanned=len(j.result["axe_pages"]))


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", required=True)
    parser.add_argument("--event-title", required=True)
    parser.add_argument("--event-month", required=True, help="YYYY-MM: last month")
    parser.add_argument("--out", required=True)
    parser.add_argument("--shots", default=None)
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    assert AXE.exists(), f"{AXE} is missing: npm install --prefix tests/browser (.ci/run does)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=ARGS, headless=True)
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", accept_downloads=True)
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()
        j = Journey(page, args.base, args.out, args.shots)
        try:
            login(j, args.user, args.password)
            first, second = partners_by_category(j)
            resource_id = resource_library(j, first)
            partner_edit_and_delete(j, first, second)
            events_month_and_list(j, args.event_title, args.event_month)
            screenshots_and_accessibility(j, first, resource_id, args.event_month)
            assert not j.errors, f"JavaScript errors: {j.errors}"
        except Exception:
            page.set_viewport_size(DESKTOP)
            page.screenshot(path=str(Path(args.out) / "failure.png"), full_page=True)
            print(f"FAILED at {page.url}; JS errors: {j.errors}", flush=True)
            raise
        finally:
            browser.close()
    print("RESULT " + json.dumps(j.result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
