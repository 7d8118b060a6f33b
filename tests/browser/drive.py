"""Drives the web console in headless Chromium (Playwright, the system's /usr/bin/chromium)
through the daily journeys of the console, and saves screenshots.

Run by tests/browser/test_console.py in a subprocess: the test process is monkey-patched
by eventlet (root conftest.py) and serves the whole stack from its hub, and Playwright's
sync API called there hangs (its asyncio loop starves the hub serving the gateway; tried).
In a plain child process both sides are ordinary, and the child only speaks HTTP to the
gateway. By hand, against any running gateway:

    .venv/bin/python tests/browser/drive.py --base http://127.0.0.1:8000 \
        --password ronghe-admin --volunteer 3 --volunteer-user someone \
        --volunteer-password secret-pw --reviewer-user sw2 --reviewer-password secret-pw2 \
        --event-date 2026-12-02 --out /tmp/x \
        --shots /tmp/x/shots

(--volunteer is a volunteer whose hours get entered and approved; --volunteer-user a
login of role volunteer tied to it; --reviewer-user a second staff login: hours are
approved by someone other than whoever recorded them.)

Prints one line per step ("STEP <name> ok ...") and a final JSON line ("RESULT {...}");
exits non-zero on the first failure (with the page's screenshot in --out).
"""
import argparse
import json
import re
import sys
import time
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect, sync_playwright
from pypdf import PdfReader

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 375, "height": 812}
TIMEOUT = 20_000
# axe-core, from tests/browser/package.json (npm ci --prefix tests/browser; .ci/run does)
AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"
SEVERE = ("serious", "critical")



def driver_arguments(argv=None, *extra):
    """The command line every browser driver takes — the gateway's address, who logs in,
    where results and screenshots go, which Chromium — plus a driver's own options
    (``extra``: ``(flag, argparse keywords)`` pairs); the output folder is made."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", required=True)
    for flag, options in extra:
        parser.add_argument(flag, **options)
    parser.add_argument("--out", required=True)
    parser.add_argument("--shots", default=None)
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    return args

def axe_scan(page, label, result=None):
    """Fails on any serious or critical accessibility violation of the page as it is now;
    appends label to result["axe_pages"] when given a result to record it in."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not a <script> the page's own
        # Content-Security-Policy would refuse: the policy stays on while the page is
        # checked for what it blocks.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    found = page.evaluate("""async (severe) => {
        const result = await axe.run(document, { resultTypes: ["violations"] });
        return result.violations.filter((v) => severe.includes(v.impact)).map((v) => ({
          id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
    }""", list(SEVERE))
    assert not found, f"{label}: axe-core found {json.dumps(found, ensure_ascii=False)}"
    if result is not None:
        result.setdefault("axe_pages", []).append(label)


class Journey:
    def __init__(self, page, base, out, shots):
        self.page = page
        self.base = base.rstrip("/")
        self.out = Path(out)
        self.shots = Path(shots) if shots else None
        self.result = {"screenshots": []}
        self.errors = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        # Whatever the Content-Security-Policy blocks is reported on the console only.
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error"
                and "Content Security Policy" in msg.text else None)
        page.on("dialog", self._dialog)
        self.prompt_answer = None

    def _dialog(self, dialog):
        if dialog.type == "prompt":
            dialog.accept(self.prompt_answer or "")
        else:
            dialog.accept()

    def step(self, name, **facts):
        print(f"STEP {name} ok {json.dumps(facts, ensure_ascii=False)}", flush=True)

    def goto(self, hash_path):
        url = f"{self.base}/console/#{hash_path}"
        if self.page.url == url:
            self.page.reload()  # the same hash fires no hashchange: load it afresh
        else:
            self.page.goto(url)
        self.page.wait_for_selector("main .view:not(:has(> .loading))", timeout=TIMEOUT)
        self.page.wait_for_load_state("networkidle")

    def shot(self, name, full_page=False):
        if not self.shots:
            return
        self.shots.mkdir(parents=True, exist_ok=True)
        size = self.page.viewport_size
        suffix = "375" if size["width"] <= 400 else "desktop"
        path = self.shots / f"{name}-{suffix}.png"
        self.page.wait_for_timeout(150)  # let a re-render settle
        self.page.evaluate("document.getElementById('toast')?.remove()")
        self.page.screenshot(path=str(path), full_page=full_page)
        self.result["screenshots"].append(str(path))

    def both_sizes(self, name, hash_path, full_page_phone=False):
        """Screenshots of a page at desktop width and at 375 px; checks nothing at 375 px
        is wider than the screen."""
        self.page.set_viewport_size(DESKTOP)
        self.goto(hash_path)
        self.shot(name)
        self.page.set_viewport_size(PHONE)
        self.goto(hash_path)
        overflow = self.page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= PHONE["width"], f"{name}: {overflow}px wide at 375 px"
        self.shot(name, full_page=full_page_phone)
        self.page.set_viewport_size(DESKTOP)

    def kpi_actual(self, kpi):
        value = self.page.get_attribute(f'article.kpi[data-kpi="{kpi}"] .actual', "data-actual")
        return float(value or 0)


def save_download(j, click):
    """Click what starts a download; the saved file's path."""
    with j.page.expect_download(timeout=TIMEOUT) as info:
        click()
    download = info.value
    target = j.out / download.suggested_filename
    download.save_as(str(target))
    return target


def login(j, user, password):
    page = j.page
    page.goto(j.base + "/console/")  # / is the residents' site
    page.wait_for_selector("#login-form", timeout=TIMEOUT)
    assert "/console/" in page.url, page.url
    j.shot("login")
    page.fill('#login-form [name="username"]', user)
    page.fill('#login-form [name="password"]', "wrong-password")
    page.click('#login-form button[type="submit"]')
    expect(page.locator('#login-form .field[data-field="password"] .field-error')).to_have_text(
        "用户名或密码不正确", timeout=TIMEOUT)
    page.fill('#login-form [name="password"]', password)
    page.click('#login-form button[type="submit"]')
    page.wait_for_selector(".kpi-grid", timeout=TIMEOUT)
    token = page.evaluate("sessionStorage.getItem('ronghe.token')")
    assert token and token.count(".") == 2, "token kept in sessionStorage"
    j.step("login", kpis=page.locator("article.kpi").count())


def validation_error_beside_field(j):
    page = j.page
    j.goto("/volunteers/new")
    page.fill('#volunteer-form [name="name"]', "测试志愿者")
    page.fill('#volunteer-form [name="phone"]', "12345")
    page.click('#volunteer-form button[type="submit"]')
    error = page.locator('#volunteer-form .field[data-field="phone"] .field-error')
    expect(error).to_contain_text("手机号", timeout=TIMEOUT)
    expect(page.locator('#volunteer-form .field[data-field="phone"]')).to_have_class(re.compile("invalid"))
    expect(page.locator('#volunteer-form .form-error')).to_contain_text("填写有误")
    j.shot("validation-error")
    text = error.inner_text()
    j.step("validation_error", phone=text)
    # the event form: end before start is named beside 结束时间
    j.goto("/events/new")
    page.fill('#event-form [name="title"]', "时间填错的活动")
    page.select_option('#event-form [name="plan"]', "service")
    page.select_option('#event-form [name="kind"]', "activity")
    page.check('#event-form input[name="target_groups"][value="children"]')
    start = page.input_value('#event-form [name="start"]')
    page.fill('#event-form [name="end"]', start[:11] + "08:00")
    page.click('#event-form button[type="submit"]')
    expect(page.locator('#event-form .field[data-field="end"] .field-error')).to_contain_text(
        "结束时间必须晚于开始时间", timeout=TIMEOUT)
    j.step("validation_error_event_end")


def create_and_publish_event(j, event_date):
    page = j.page
    j.goto(f"/events/new?date={event_date}")
    page.fill('#event-form [name="title"]', "长者健康讲座（浏览器测试）")
    page.select_option('#event-form [name="plan"]', "service")
    page.select_option('#event-form [name="kind"]', "lecture")
    page.select_option('#event-form [name="series"]', "elder_care")
    page.check('#event-form input[name="target_groups"][value="elderly"]')
    page.check('#event-form input[name="compounds"][value="fulong_huayuan"]')
    page.fill('#event-form [name="start"]', f"{event_date}T09:30")
    page.fill('#event-form [name="end"]', f"{event_date}T11:00")
    page.dispatch_event('#event-form [name="end"]', "change")
    page.fill('#event-form [name="capacity"]', "1")
    page.wait_for_load_state("networkidle")  # the free-room look-ups have answered
    venue = page.locator('#event-form select[name="venue_id"] option:not([value=""])')
    expect(venue.first).to_be_attached(timeout=TIMEOUT)
    rooms = venue.count()
    room_value = venue.first.get_attribute("value")
    room_name = venue.first.inner_text().split("（")[0]
    page.select_option('#event-form select[name="venue_id"]', room_value)
    j.shot("event-new")
    page.click('#event-form button[type="submit"]')
    page.wait_for_url(re.compile(r"#/events/\d+$"), timeout=TIMEOUT)
    expect(page.locator(".page-head h1 .badge")).to_have_text("已发布", timeout=TIMEOUT)
    expect(page.locator("dl.facts")).to_contain_text(room_name)
    # codes sent, Chinese shown: the series and the compound by their names
    expect(page.locator("dl.facts")).to_contain_text("长者关爱")
    expect(page.locator("dl.facts")).to_contain_text("福隆花园")
    event_id = int(page.url.rsplit("/", 1)[1])
    j.result["event_id"] = event_id
    j.result["venue_id"] = int(room_value)
    j.result["room"] = room_name
    j.step("create_and_publish_event", event_id=event_id, free_rooms=rooms, room=room_name)
    return event_id


def register_two_residents(j, event_id):
    page = j.page
    people = [("王秀英", "13900001111"), ("陈建国", "13900002222")]
    for name, phone in people:
        j.goto(f"/events/{event_id}")
        details = page.locator("details.add:has(#register-form)")
        if details.get_attribute("open") is None:
            details.locator("summary").click()
        page.fill('#register-form [name="name"]', name)
        page.fill('#register-form [name="phone"]', phone)
        page.select_option('#register-form [name="target_group"]', "elderly")
        page.select_option('#register-form [name="compound"]', "fulong_huayuan")
        page.click('#register-form button[type="submit"]')
        expect(page.locator("#toast")).to_contain_text("报名成功" if name == "王秀英" else "候补",
                                                       timeout=TIMEOUT)
    # the same phone again: the API's 409 in Chinese, on the form
    j.goto(f"/events/{event_id}")
    page.locator("details.add:has(#register-form) summary").click()
    page.fill('#register-form [name="name"]', "王秀英")
    page.fill('#register-form [name="phone"]', people[0][1])
    page.select_option('#register-form [name="target_group"]', "elderly")
    page.click('#register-form button[type="submit"]')
    expect(page.locator("#register-form .form-error")).to_contain_text("该手机号已报名本活动",
                                                                       timeout=TIMEOUT)
    j.goto(f"/events/{event_id}")
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(2, timeout=TIMEOUT)
    expect(page.locator("table.list")).to_contain_text("已确认")
    expect(page.locator("table.list")).to_contain_text("候补")
    j.shot("event-detail", full_page=False)
    # The 签到表 to print: both residents by name, their phones masked.
    sheet = save_download(j, lambda: page.click("#sign-in-sheet-pdf"))
    text = "".join(p.extract_text() for p in PdfReader(str(sheet)).pages)
    assert "王秀英" in text and "139****2222" in text and "候补" in text, text
    assert not any(phone in text for _, phone in people), text
    j.step("register_two_residents", rows=rows.count(), sign_in_sheet=sheet.name)


def check_in_one(j, event_id):
    page = j.page
    page.set_viewport_size(PHONE)
    j.goto(f"/events/{event_id}/checkin")
    buttons = page.locator("ul.checkin-list button.big")
    expect(buttons).to_have_count(2, timeout=TIMEOUT)
    first = buttons.first
    first.click()
    expect(first).to_have_text("已签到 ✓", timeout=TIMEOUT)
    expect(page.locator(".counter")).to_contain_text("已签到 1 人")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"check-in page is {width}px wide at 375 px"
    j.shot("event-checkin", full_page=True)
    page.set_viewport_size(DESKTOP)
    j.step("check_in_one", width=width)


def complete_event(j, event_id):
    page = j.page
    j.goto(f"/events/{event_id}")
    page.locator("details.add:has(#role-form) summary").click()
    page.fill('#role-form [name="name"]', "签到引导")
    page.check('#role-form input[name="skills"][value="first_aid"]')
    page.fill('#role-form [name="places"]', "2")
    page.click('#role-form button[type="submit"]')
    roles = page.locator("section.card:has(h2:text-is('志愿岗位')) table.list")
    expect(roles).to_contain_text("签到引导", timeout=TIMEOUT)
    expect(roles).to_contain_text("急救")
    page.click("#complete")
    expect(page.locator(".page-head h1 .badge")).to_have_text("已结束", timeout=TIMEOUT)
    expect(page.locator(".stat:has-text('服务人次') strong")).to_have_text("1")
    j.step("complete_event")


def feedback(j, event_id):
    page = j.page
    j.goto(f"/events/{event_id}")
    page.locator("details.add:has(#feedback-form) summary").click()
    page.fill('#feedback-form [name="phone"]', "13900001111")
    page.select_option('#feedback-form [name="score"]', "5")
    page.fill('#feedback-form [name="comment"]', "讲得很清楚，希望多办")
    page.click('#feedback-form button[type="submit"]')
    expect(page.locator("section:has(#feedback-form) > p")).to_contain_text("共 1 份评价", timeout=TIMEOUT)
    expect(page.locator("section:has(#feedback-form) > p")).to_contain_text("5.00 分")
    j.step("feedback_seen")


def volunteer_search(j):
    page = j.page
    j.goto("/volunteers")
    page.select_option('#volunteer-search [name="skill"]', "calligraphy")
    page.select_option('#volunteer-search [name="compound"]', "fulong_huayuan")
    page.click('#volunteer-search button[type="submit"]')
    page.wait_for_url(re.compile(r"skill="), timeout=TIMEOUT)
    expect(page.locator("table.list tbody tr")).to_have_count(1, timeout=TIMEOUT)
    found = page.locator("table.list tbody tr td").first.inner_text()
    cells = page.locator("table.list tbody tr td")
    expect(cells.nth(3)).to_have_text("福隆花园")
    expect(cells.nth(4)).to_contain_text("书法")
    j.goto("/volunteers?skill=repair&compound=fulong_huayuan")
    expect(page.locator("p.empty")).to_have_text("没有符合条件的志愿者")
    j.step("volunteer_search", found=found)


def linkage(j, event_date):
    page = j.page
    j.goto("/linkage")
    page.locator("details.add:has(#idea-form) summary").click()
    title = f"在半山林海增设长者休息座椅（{time.strftime('%H%M%S')}）"
    page.fill('#idea-form [name="title"]', title)
    page.select_option('#idea-form [name="category"]', "facilities")
    page.select_option('#idea-form [name="compound"]', "banshan_linhai")
    page.fill('#idea-form [name="phone"]', "13900003333")
    page.click('#idea-form button[type="submit"]')
    idea = page.locator("li.idea", has_text=title)
    expect(idea).to_be_visible(timeout=TIMEOUT)
    idea_id = int(idea.get_attribute("data-idea"))
    j.prompt_answer = "13900004444"
    idea.locator("button:has-text('投票')").click()
    expect(page.locator(f'li.idea[data-idea="{idea_id}"] .votes strong')).to_have_text("1", timeout=TIMEOUT)
    # a joint meeting adopts it, with an action item already late
    j.goto(f"/events/new?date={event_date}")
    page.fill('#event-form [name="title"]', "第四季度五社联动联席会")
    page.select_option('#event-form [name="plan"]', "system")
    page.select_option('#event-form [name="kind"]', "joint_meeting")
    page.check('#event-form input[name="target_groups"][value="all_residents"]')
    for attempt in (1, 2):
        page.fill('#event-form [name="start"]', f"{event_date}T15:00")
        page.fill('#event-form [name="end"]', f"{event_date}T16:30")
        page.wait_for_load_state("networkidle")
        expect(page.locator('#event-form [name="start"]')).to_have_value(f"{event_date}T15:00")
        expect(page.locator('#event-form [name="end"]')).to_have_value(f"{event_date}T16:30")
        page.click('#event-form button[type="submit"]')
        try:
            page.wait_for_url(re.compile(r"#/events/\d+$"), timeout=TIMEOUT)
            break
        except PlaywrightTimeout:
            # Seen once in a full, loaded suite run: the form reported end <= start
            # although both inputs showed the filled values. Say so and try once more.
            errors = page.locator("#event-form .field-error, #event-form .error").all_inner_texts()
            print(f"STEP joint_meeting_submit retry {json.dumps(errors, ensure_ascii=False)}",
                  flush=True)
            if attempt == 2:
                raise
    page.wait_for_selector("#decision-form", state="attached")
    page.locator("details.add:has(#decision-form) summary").click()
    page.fill('#decision-form [name="summary"]', "采纳居民金点子：半山林海增设休息座椅")
    page.fill('#decision-form [name="idea_id"]', str(idea_id))
    page.fill('#decision-form [name="item_title"]', "联系物业确定座椅位置")
    page.fill('#decision-form [name="item_owner"]', "社区居委会")
    page.fill('#decision-form [name="item_due"]', "2026-01-15")
    page.click('#decision-form button[type="submit"]')
    expect(page.locator("ol.decisions")).to_contain_text("联系物业确定座椅位置", timeout=TIMEOUT)
    expect(page.locator("ol.decisions")).to_contain_text("已逾期")
    j.goto("/linkage")
    expect(page.locator(f'li.idea[data-idea="{idea_id}"]')).to_contain_text("已采纳")
    expect(page.locator("section.card:has(h2:text-is('待办事项')) table.list")).to_contain_text("联系物业确定座椅位置")
    j.step("linkage_idea_vote_meeting_overdue", idea_id=idea_id)


def kpi_board_changes(j, before):
    page = j.page
    deadline = time.monotonic() + 30
    while True:
        j.goto("/")
        after = {k: j.kpi_actual(k) for k in before}
        if all(after[k] > before[k] for k in before) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(700)
    assert all(after[k] == before[k] + 1 for k in before), (before, after)
    j.shot("kpi-board")
    j.step("kpi_board_changes", before=before, after=after)


def switch_user(j, user, password):
    """Log out, and in as someone else (at desktop width the bar shows 退出)."""
    page = j.page
    page.click("#logout")
    page.wait_for_selector("#login-form", timeout=TIMEOUT)
    page.fill('#login-form [name="username"]', user)
    page.fill('#login-form [name="password"]', password)
    page.click('#login-form button[type="submit"]')
    page.wait_for_selector(".kpi-grid", timeout=TIMEOUT)


def record_hours(j, minutes, description):
    """A manual entry on the volunteer's page, for today (the form's default date)."""
    page = j.page
    page.locator("details.add:has(#hours-form) summary").click()
    service_date = page.input_value('#hours-form [name="service_date"]')
    page.fill('#hours-form [name="minutes"]', str(minutes))
    page.fill('#hours-form [name="description"]', description)
    page.fill('#hours-form [name="reason"]', "纸质签到表补录")
    page.click('#hours-form button[type="submit"]')
    expect(page.locator("#toast")).to_contain_text("待审核", timeout=TIMEOUT)
    return service_date


def approve_all_pending(j):
    page = j.page
    j.goto("/hours")
    rows = page.locator("table.list tbody tr")
    expect(rows.first).to_be_visible(timeout=TIMEOUT)
    pending = rows.count()
    page.check('.actions-bar label.check input[type="checkbox"]')  # 全选本页
    page.click("#approve-selected")
    expect(page.locator("#toast")).to_contain_text(f"已通过 {pending} 条", timeout=TIMEOUT)
    expect(page.locator("p.empty")).to_have_text("没有待审核的工时", timeout=TIMEOUT)
    return pending


def hours_and_certificate(j, volunteer_id, admin, reviewer):
    """Hours recorded by one staff member are approved by another: whoever recorded an
    entry is not offered its approval."""
    page = j.page
    j.goto(f"/volunteers/{volunteer_id}")
    service_date = record_hours(j, 150, "社区长者讲座服务")
    j.goto("/hours")
    rows = page.locator("table.list tbody tr")
    expect(rows.first).to_be_visible(timeout=TIMEOUT)
    own = rows.count()
    expect(page.locator("td.pick-cell .own")).to_have_count(own)
    assert page.locator("input.pick").count() == 0, "no approving what one recorded"
    j.shot("hours-pending")
    switch_user(j, *reviewer)
    pending = approve_all_pending(j)
    j.step("approve_hours_in_bulk", approved=pending, not_offered_to_recorder=own)

    j.goto(f"/volunteers/{volunteer_id}")
    expect(page.locator("section.card:has(h2:text-is('服务时长')) table.list")).to_contain_text("已通过")
    page.fill('#certificate-form [name="period_from"]', service_date[:4] + "-01-01")
    page.fill('#certificate-form [name="period_to"]', service_date)
    page.click('#certificate-form button[type="submit"]')
    button = page.locator("button[data-pdf]").first
    expect(button).to_be_visible(timeout=TIMEOUT)
    number = button.get_attribute("data-pdf")
    target = save_download(j, button.click)
    head = target.read_bytes()[:5]
    assert head == b"%PDF-", head
    j.result["certificate"] = number
    j.shot("volunteer-detail")
    j.step("certificate_pdf", number=number, file=target.name,
           bytes=target.stat().st_size)

    # A late entry in the certified period, approved: the certificate is superseded and
    # reissued from the volunteer's page.
    record_hours(j, 30, "社区巡查")
    switch_user(j, *admin)
    approve_all_pending(j)
    j.goto(f"/volunteers/{volunteer_id}")
    row = page.locator(f"tr:has(button[data-pdf='{number}'])")
    expect(row).to_contain_text("已作废（已更正）")
    page.click(f"button[data-reissue='{number}']")
    expect(page.locator("#toast")).to_contain_text("重新开具", timeout=TIMEOUT)
    expect(row).to_contain_text("已重新开具", timeout=TIMEOUT)
    expect(page.locator(f"button[data-reissue='{number}']")).to_have_count(0)
    reissued = page.locator("button[data-pdf]").nth(1).get_attribute("data-pdf")
    j.result["reissued"] = reissued
    j.step("certificate_superseded_reissued", superseded=number, reissued=reissued)


def needs_flow(j):
    page = j.page
    j.goto("/needs/new")
    page.select_option('#need-form [name="target_group"]', "elderly")
    page.select_option('#need-form [name="category"]', "care")
    page.select_option('#need-form [name="compound"]', "binhai_senlin")
    page.fill('#need-form [name="description"]', "独居老人需要每周上门探访和代购生活用品")
    page.fill('#need-form [name="resident_phone"]', "0592-12")
    page.click('#need-form button[type="submit"]')
    expect(page.locator('#need-form .field[data-field="resident_phone"] .field-error')).to_contain_text(
        "电话", timeout=TIMEOUT)
    page.fill('#need-form [name="resident_phone"]', "13800138000")
    page.click('#need-form button[type="submit"]')
    page.wait_for_url(re.compile(r"#/needs/\d+$"), timeout=TIMEOUT)
    need_id = int(page.url.rsplit("/", 1)[1])
    page.wait_for_selector("main .view:not(:has(> .loading))")
    suggestions = page.locator("ul.suggestions li button[data-resource]")
    expect(suggestions.first).to_be_visible(timeout=TIMEOUT)  # the sample resource library
    expect(page.locator("ul.suggestions li .sample-mark").first).to_have_text("【示例】")
    count = suggestions.count()
    expect(page.locator("ul.reasons").first).to_contain_text("对应“照料”类需求")
    if count:
        j.shot("need-detail")
        suggestions.first.click()
        expect(page.locator(".page-head h1 .badge")).to_have_text("已匹配", timeout=TIMEOUT)
        # A sample resource's match is marked, and its value is not linked.
        expect(page.locator("table.list td .sample-mark")).to_have_count(1)
        page.click("text=开始服务")
        expect(page.locator(".page-head h1 .badge")).to_have_text("服务中", timeout=TIMEOUT)
        page.select_option('#close-form [name="outcome"]', "resolved")
        page.select_option('#close-form [name="satisfaction"]', "5")
        page.click('#close-form button[type="submit"]')
        expect(page.locator(".page-head h1 .badge")).to_have_text("已结案", timeout=TIMEOUT)
    j.step("needs_intake_match_close", need_id=need_id, suggestions=count)
    return need_id


def recurring_booking_conflict(j):
    """场地预约: a parents' meeting booked from the grid, then a term of 四点半课堂 every
    weekday whose preview lists the meeting as a conflict (nothing written); skipping that
    date books the term whole; one occurrence is cancelled from the grid."""
    from datetime import date, timedelta

    page = j.page
    today = date.fromisoformat(j.result["event_date"])
    first = today + timedelta(days=14 - today.weekday())  # a Monday two weeks on
    until = first + timedelta(weeks=8, days=4)             # nine weeks of weekdays
    meeting = first + timedelta(days=2)
    j.goto(f"/rooms?week={first.isoformat()}")
    expect(page.locator('table.week-grid[data-wing="children"] tbody tr')).to_have_count(7)
    expect(page.locator('table.week-grid[data-wing="elders"] tbody tr')).to_have_count(4)
    expect(page.locator("td.slot-open").first).to_contain_text("14:30–21:00")  # hours shaded
    room = page.locator('#series-form [name="venue_id"]').input_value()
    page.select_option('#booking-form [name="venue_id"]', room)
    page.fill('#booking-form [name="date"]', meeting.isoformat())
    page.fill('#booking-form [name="start_time"]', "17:00")
    page.fill('#booking-form [name="end_time"]', "19:00")
    page.fill('#booking-form [name="purpose"]', "家长会")
    page.click('#booking-form button[type="submit"]')
    chip = page.locator(f'td[data-day="{meeting.isoformat()}"][data-venue="{room}"] .booking-chip')
    expect(chip).to_contain_text("家长会", timeout=TIMEOUT)

    # A bad rule: the reason in Chinese beside its field.
    page.fill('#series-form [name="first_date"]', first.isoformat())
    page.fill('#series-form [name="until"]', (first - timedelta(days=1)).isoformat())
    page.click('#series-form button[type="submit"]')
    expect(page.locator('#series-form .field[data-field="until"] .field-error')).to_contain_text(
        "不能早于首次日期", timeout=TIMEOUT)

    page.fill('#series-form [name="until"]', until.isoformat())
    page.click('#series-form button[type="submit"]')
    expect(page.locator(".series-summary")).to_contain_text("共 45 次，其中 1 次有冲突",
                                                           timeout=TIMEOUT)
    conflicts = page.locator("#series-preview ul.conflicts li")
    expect(conflicts).to_have_count(1)
    expect(conflicts.first).to_contain_text("家长会")
    expect(page.locator("#series-confirm")).to_be_disabled()
    j.shot("rooms-series-conflict")

    page.click("#series-skip")
    expect(page.locator(".series-summary")).to_contain_text("共 44 次，没有冲突", timeout=TIMEOUT)
    page.click("#series-confirm")
    series_chips = page.locator('.booking-chip:not([data-series=""])')
    expect(series_chips).to_have_count(4, timeout=TIMEOUT)  # the week shown: Mon, Tue, Thu, Fri
    series_chips.first.locator("button", has_text="取消").click()
    series_chips.first.locator("button", has_text="仅本次").click()
    expect(series_chips).to_have_count(3, timeout=TIMEOUT)
    j.result["rooms"] = {"venue_id": int(room), "first": first.isoformat(),
                         "until": until.isoformat()}
    j.step("recurring_booking_conflict_listed", venue_id=int(room), occurrences=44)


def clear_sample_data(j, need_id):
    """The admin clears the sample data from the KPI board, typing the confirmation;
    the need matched to a sample resource keeps no sample match."""
    page = j.page
    j.goto("/")
    expect(page.locator("#sample-data")).to_contain_text("示例数据", timeout=TIMEOUT)
    j.prompt_answer = "清除示例"  # mistyped: refused, nothing cleared
    page.click("#clear-sample-data")
    expect(page.locator("#toast.error")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("#sample-data")).to_have_count(1)
    j.prompt_answer = "清除示例数据"
    page.click("#clear-sample-data")
    expect(page.locator("#sample-data")).to_have_count(0, timeout=TIMEOUT)
    expect(page.locator(".kpi-grid")).to_be_visible()
    j.prompt_answer = None
    j.goto(f"/needs/{need_id}")
    expect(page.locator("main .sample-mark")).to_have_count(0, timeout=TIMEOUT)
    j.step("sample_data_cleared", need_id=need_id)


def report_xlsx(j, period_year):
    page = j.page
    j.goto("/reports")
    expect(page.locator("table.list")).to_be_visible(timeout=TIMEOUT)
    target = save_download(j, lambda: page.click("#download-xlsx"))
    assert target.read_bytes()[:2] == b"PK", "an XLSX is a zip"
    printable = save_download(j, lambda: page.click("#download-pdf"))
    assert printable.read_bytes()[:5] == b"%PDF-", "the A4 report"
    j.step("report_xlsx", file=target.name, bytes=target.stat().st_size, pdf=printable.name)


def trend_degrades(j):
    """Without GET /reports/summary the board still shows every indicator, and says so."""
    page = j.page
    page.route("**/api/v1/reports/summary*", lambda route: route.fulfill(
        status=404, content_type="application/json",
        body='{"error": "NOT_FOUND", "message": "no route", "details": {}}'))
    j.goto("/")
    expect(page.locator("p.note")).to_contain_text("月度趋势暂不可用", timeout=TIMEOUT)
    cards = page.locator("article.kpi").count()
    assert cards > 0 and page.locator("article.kpi svg.trend").count() == 0
    page.unroute("**/api/v1/reports/summary*")
    j.goto("/")
    expect(page.locator("article.kpi svg.trend").first).to_be_visible(timeout=TIMEOUT)
    j.step("trend_degrades", cards=cards)


def volunteer_sees_own_records(j, user, password, volunteer_id):
    page = j.page
    page.set_viewport_size(PHONE)
    page.click("#menu-toggle")
    page.click("#logout")
    page.wait_for_selector("#login-form", timeout=TIMEOUT)
    page.fill('#login-form [name="username"]', user)
    page.fill('#login-form [name="password"]', password)
    page.click('#login-form button[type="submit"]')
    page.wait_for_url(re.compile(r"#/mine$"), timeout=TIMEOUT)
    page.wait_for_selector("button[data-pdf]", timeout=TIMEOUT)
    assert page.locator("#certificate-form").count() == 0, "only staff issue certificates"
    shown = page.evaluate("[...document.querySelectorAll('#nav a')].filter(a => !a.hidden)"
                          ".map(a => a.textContent)")
    assert shown == ["我的志愿服务", "修改密码"], shown
    j.shot("volunteer-self", full_page=False)
    page.set_viewport_size(DESKTOP)
    j.step("volunteer_sees_own_records", menu=shown)


def screenshots(j, event_id, volunteer_id):
    j.both_sizes("kpi-board", "/", full_page_phone=False)
    j.both_sizes("events-week", f"/events?week={j.result.get('event_date', '')}")
    j.both_sizes("event-detail", f"/events/{event_id}")
    j.both_sizes("volunteers", "/volunteers")
    j.both_sizes("volunteer-detail", f"/volunteers/{volunteer_id}")
    j.both_sizes("hours", "/hours?status=approved")
    j.both_sizes("needs", "/needs")
    j.both_sizes("linkage", "/linkage")
    j.both_sizes("reports", "/reports")
    j.both_sizes("rooms", f"/rooms?week={j.result.get('rooms', {}).get('first', '')}")
    j.both_sizes("event-new", "/events/new")
    j.step("screenshots", count=len(j.result["screenshots"]))


def api_docs(j):
    """The API's docs page renders the document under its Content-Security-Policy."""
    page = j.page
    response = page.goto(j.base + "/api/docs")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    expect(page.locator("#swagger-ui .title")).to_contain_text("Ronghe", timeout=TIMEOUT)
    page.locator("#swagger-ui .opblock").first.wait_for(timeout=TIMEOUT)
    j.step("api_docs", operations=page.locator("#swagger-ui .opblock").count())


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", required=True)
    parser.add_argument("--volunteer", type=int, required=True)
    parser.add_argument("--event-date", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--shots", default=None)
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--volunteer-user", required=True)
    parser.add_argument("--volunteer-password", required=True)
    parser.add_argument("--reviewer-user", required=True)
    parser.add_argument("--reviewer-password", required=True)
    args = parser.parse_args(argv)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=ARGS, headless=True)
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", accept_downloads=True)
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()
        j = Journey(page, args.base, args.out, args.shots)
        j.result["event_date"] = args.event_date
        try:
            login(j, args.user, args.password)
            before = {k: j.kpi_actual(k) for k in ("activities_held", "people_served")}
            validation_error_beside_field(j)
            event_id = create_and_publish_event(j, args.event_date)
            register_two_residents(j, event_id)
            check_in_one(j, event_id)
            complete_event(j, event_id)
            feedback(j, event_id)
            kpi_board_changes(j, before)
            hours_and_certificate(j, args.volunteer, (args.user, args.password),
                                  (args.reviewer_user, args.reviewer_password))
            volunteer_search(j)
            need_id = needs_flow(j)
            clear_sample_data(j, need_id)
            recurring_booking_conflict(j)
            linkage(j, args.event_date)
            report_xlsx(j, args.event_date[:4])
            trend_degrades(j)
            screenshots(j, event_id, args.volunteer)
            volunteer_sees_own_records(j, args.volunteer_user, args.volunteer_password,
                                       args.volunteer)
            api_docs(j)
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
