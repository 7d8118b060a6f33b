"""Drives a consultation (意见征集) in headless Chromium: staff create it in the console,
a resident answers it on the public page at 375 px (a wrong phone first, then the right
one; a second answer from the same phone is refused), and the console's result chart
moves. Run by tests/browser/test_consultations.py in a child process (see drive.py for
why); by hand, against any running gateway:

    .venv/bin/python -m tests.browser.drive_consultations --base http://127.0.0.1:8000 \
        --password ronghe-admin --out /tmp/x --shots /tmp/x/shots

Prints "STEP <name> ok ..." per step and a final "RESULT {...}" line; exits non-zero on
the first failure (with the page's screenshot in --out). The public page is scanned with
axe-core (tests/browser/node_modules: ``npm ci --prefix tests/browser``): no serious or
critical violation.
"""
import argparse
import json
import re
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from openpyxl import load_workbook

from tests.browser.drive import (ARGS, CHROMIUM, DESKTOP, PHONE, TIMEOUT, Journey, axe_scan,
                                 login, save_download)

PHONE_NUMBER = "13911112222"


def chart_count(page, question, choice):
    bar = page.locator(f'article.result[data-question="{question}"] '
                       f'rect.bar[data-choice="{choice}"]')
    return int(bar.get_attribute("data-count"))


def create_consultation(j):
    page = j.page
    j.goto("/consultations")
    form = "#consultation-form"
    page.fill(f'{form} [name="title"]', "港务小区停车改造意见征集")
    page.fill(f'{form} [name="description"]', "请您说说对小区停车改造的想法。")
    page.check(f'{form} input[name="compounds"][value="gangwu_xiaoqu"]')
    rows = page.locator(f"{form} .question-row")
    rows.nth(0).locator("[name=q-text]").fill("您最支持哪种方案？")
    rows.nth(0).locator("[name=q-options]").fill("划线停车\n建立体车库\n维持现状")
    page.click("#add-question")
    rows.nth(1).locator("[name=q-kind]").select_option("rating")
    rows.nth(1).locator("[name=q-text]").fill("您对目前停车秩序的满意度")
    page.click("#add-question")
    rows.nth(2).locator("[name=q-kind]").select_option("text")
    rows.nth(2).locator("[name=q-text]").fill("其他建议")
    rows.nth(2).locator("[name=q-required]").uncheck()
    j.shot("consultation-new")
    page.click(f'{form} button[type="submit"]')
    page.wait_for_url(re.compile(r"#/consultations/\d+$"), timeout=TIMEOUT)
    page.wait_for_selector("article.result", timeout=TIMEOUT)
    consultation_id = int(page.url.rsplit("/", 1)[1])
    assert chart_count(page, 1, 1) == 0
    link = page.locator(".public-link a").get_attribute("href")
    assert link.endswith(f"/consult/{consultation_id}"), link
    j.result["consultation_id"] = consultation_id
    j.step("create_consultation", id=consultation_id)
    return consultation_id, link


def resident_answers(j, link):
    """A resident on a phone: the public page, no login, at 375 px."""
    resident = j.page.context.new_page()
    resident.set_viewport_size(PHONE)
    # From the residents' site: its 意见征集 menu lists the open consultation.
    resident.goto(j.base + "/#/consultations")
    entry = resident.locator(f"a[data-consultation='{link.rsplit('/', 1)[1]}']")
    expect(entry).to_be_visible(timeout=TIMEOUT)
    assert entry.get_attribute("href") == "/consult/" + link.rsplit("/", 1)[1]
    response = resident.goto(link)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    resident.wait_for_selector("form #question-1", timeout=TIMEOUT)
    width = resident.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the answering page is {width}px wide at 375 px"
    assert resident.evaluate("document.documentElement.lang") == "zh-CN"
    saved, j.page = j.page, resident
    j.shot("consult", full_page=True)
    resident.click("#question-1 label:has-text('建立体车库')")
    resident.click("#question-2 label:has(input[value='4'])")
    resident.fill("#question-3 textarea", "希望增加充电桩")
    resident.fill("#phone", "12345")
    resident.click("button[type=submit]")
    expect(resident.locator("#phone-error")).to_contain_text("手机号", timeout=TIMEOUT)
    expect(resident.locator("#phone-box")).to_have_class(re.compile("invalid"))
    j.shot("consult-error")
    resident.fill("#phone", PHONE_NUMBER)
    resident.click("button[type=submit]")
    expect(resident.locator(".thanks")).to_contain_text("感谢您的参与", timeout=TIMEOUT)
    expect(resident.locator(".thanks")).to_contain_text("已有 1 位居民参与")
    assert PHONE_NUMBER not in resident.content()
    j.shot("consult-thanks")
    j.step("resident_answers_at_375")
    # The same phone again: refused, in Chinese, nothing counted twice.
    resident.goto(link)
    resident.wait_for_selector("form #question-1", timeout=TIMEOUT)
    resident.click("#question-1 label:has-text('维持现状')")
    resident.click("#question-2 label:has(input[value='2'])")
    resident.fill("#phone", PHONE_NUMBER)
    resident.click("button[type=submit]")
    expect(resident.locator(".error")).to_contain_text("已经回答过", timeout=TIMEOUT)
    j.step("second_answer_refused")
    j.page = saved
    resident.close()


def chart_moves(j, consultation_id):
    page = j.page
    j.goto(f"/consultations/{consultation_id}")
    expect(page.locator("#answer-count")).to_have_text("1", timeout=TIMEOUT)
    assert chart_count(page, 1, 1) == 1 and chart_count(page, 1, 0) == 0
    assert chart_count(page, 2, 3) == 1  # a 4 out of 5
    expect(page.locator('article.result[data-question="2"] .mean')).to_have_text("4.00")
    expect(page.locator('article.result[data-question="3"] ul.texts')).to_contain_text("希望增加充电桩")
    j.shot("consultation-results", full_page=True)
    workbook = load_workbook(save_download(j, lambda: page.click("#export-results")))
    rows = list(workbook["结果"].iter_rows(values_only=True))
    assert ("建立体车库", 1) in [(r[3], r[4]) for r in rows if len(r) > 4], rows
    page.set_viewport_size(PHONE)
    j.goto(f"/consultations/{consultation_id}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the results are {width}px wide at 375 px"
    j.shot("consultation-results", full_page=True)
    page.set_viewport_size(DESKTOP)
    j.step("console_chart_moves", answers=1, exported=len(rows))


def public_page_is_accessible(browser, j, link):
    """axe-core on the answering page, blank and with an error shown, in a fresh context."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    saved, j.page = j.page, context.new_page()
    try:
        j.page.goto(link)
        j.page.wait_for_selector("form #question-1", timeout=TIMEOUT)
        axe_scan(j.page, "consult-375", j.result)
        j.page.fill("#phone", "123")
        j.page.click("button[type=submit]")
        expect(j.page.locator(".error")).to_be_visible(timeout=TIMEOUT)
        axe_scan(j.page, "consult-error-375", j.result)
    finally:
        j.page = saved
        context.close()
    j.step("public_page_accessible", pages=j.result["axe_pages"])


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", required=True)
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
            login(j, args.user, args.password)
            consultation_id, link = create_consultation(j)
            resident_answers(j, link)
            chart_moves(j, consultation_id)
            public_page_is_accessible(browser, j, link)
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
