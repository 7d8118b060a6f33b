"""A month marked reported (月报已报送), through the gateway on the real broker: its report is
kept as sent; what is entered for it afterwards is shown as a late entry (补录) in the next
report, beside the reported and the amended figures; the reports as sent plus their late
entries add up to the project year; a rebuild gives the same.

Months are relative to the real clock (the month before this one is closed, entries are
typed in now), so the test holds whatever day it runs."""
import io
from datetime import datetime, timedelta

import yaml
from openpyxl import load_workbook
from pypdf import PdfReader

from common import contracts, times
from services.reports import report_xlsx
from services.reports.tests.test_printable_report import has_row
from services.reports.tests.test_service import event_log_double, inbox_count, publish
from tests.fixtures import wait_until

ADDITIVE_KPIS = ("activities_held", "people_served", "volunteer_hours_approved")


def month_of(day):
    return day.strftime("%Y-%m")


def months_around_now():
    """(the month before last, last month, this month, next month) as first days."""
    first = times.local_today().replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    before = (previous - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return before, previous, first, following


def at(day, hour):
    """A local wall-clock time of ``day`` as an aware UTC instant."""
    return times.utc(datetime(day.year, day.month, day.day, hour))


class Facts:
    def __init__(self):
        self.envelopes = []
        self.ids = iter(range(1, 10_000))

    def add(self, source, event_type, payload, entered=None):
        env = contracts.envelope(event_type, payload, source, "hetong", occurred_at=entered)
        self.envelopes.append(env)
        return env

    def activity(self, start, attendees, entered=None):
        event_id = next(self.ids)
        self.add("events", "event_completed", {
            "event_id": event_id, "plan": "service", "kind": "activity",
            "target_groups": ["elderly"], "compounds": [], "start": start,
            "end": start + timedelta(hours=2), "registered": 0, "attended": 0,
            "walk_ins": attendees, "people_served": attendees, "volunteers": 0,
            "feedback_count": 0}, start + timedelta(hours=2))
        self.attend(event_id, start, attendees, entered or start + timedelta(minutes=10))
        return event_id

    def attend(self, event_id, start, count, entered):
        return [self.add("events", "attendance_recorded", {
            "attendance_id": (n := next(self.ids)), "event_id": event_id,
            "resident_id": 5000 + n, "registration_id": None, "walk_in": True,
            "target_group": "elderly", "compound": None, "plan": "service",
            "kind": "activity", "attended_at": start, "event_start": start}, entered)
            for _ in range(count)]

    def hours(self, day, minutes, entered):
        return self.add("volunteers", "hours_approved", {
            "entry_id": next(self.ids), "volunteer_id": 7, "minutes": minutes,
            "counted_minutes": minutes, "corrects_entry_id": None, "event_id": None,
            "service_date": day}, entered)


def late_rows_of(response):
    """{(所属月份, 补录于, 代码): (补录数值, 报送数值, 更正后数值)} of a report's 补录 sheet."""
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content))[report_xlsx.LATE_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    at = rows.index(tuple(report_xlsx.LATE_HEADERS))
    return {(r[0], r[1], r[3]): (r[5], r[6], r[7]) for r in rows[at + 1:] if r[3]}


def pdf_words(response):
    assert response.status_code == 200, response.text
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages).split()


def test_a_reported_month_keeps_its_report_and_late_entries_show_in_the_next(
        stack, rabbit_config, container_factory, tmp_path):
    before, previous, this, following = months_around_now()
    targets = yaml.safe_load(open("config/targets/hetong-year1.yaml", encoding="utf-8"))
    targets.update(year_start=before.isoformat(),
                   year_end=((following + timedelta(days=32)).replace(day=1)
                             - timedelta(days=1)).isoformat())
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump(targets, allow_unicode=True), encoding="utf-8")
    stack.start("reports", KPI_TARGETS_FILE=str(path), KPI_CHECK_INTERVAL_SECONDS="0",
                SUMMARY_INTERVAL_SECONDS="0")
    stack.start("gateway")
    admin = stack.client()
    for username, role in (("worker1", "social_worker"), ("viewer1", "district_viewer")):
        assert admin.post("/users", json={"username": username, "password": "password-123",
                                          "role": role}).status_code == 201
    worker = stack.client(login=False).login("worker1", "password-123")
    viewer = stack.client(login=False).login("viewer1", "password-123")
    amqp = rabbit_config["AMQP_URI"]

    facts = Facts()
    facts.activity(at(before + timedelta(days=3), 10), 2)
    late_event_start = at(previous + timedelta(days=4), 19)
    late_event = facts.activity(late_event_start, 4)
    facts.hours(previous + timedelta(days=4), 120, at(previous + timedelta(days=4), 21))
    publish(amqp, facts.envelopes)
    wait_until(lambda: inbox_count(stack) == len(facts.envelopes), message="the month's facts")

    last_month = month_of(previous)
    sent = worker.get(f"/reports/periodic?period={last_month}").json()
    assert sent["summary"]["people_served"] == 4 and sent["closed"] is None

    # Marking the month reported: staff only, a month that is over, once.
    assert viewer.post(f"/reports/periods/{last_month}/close").status_code == 403
    assert worker.post(f"/reports/periods/{month_of(this)}/close").status_code == 422
    assert worker.post("/reports/periods/2026-13/close").status_code == 422
    closed = worker.post(f"/reports/periods/{last_month}/close")
    assert closed.status_code == 201, closed.text
    assert closed.json()["closed_by"] == "worker1"
    again = admin.post(f"/reports/periods/{last_month}/close")
    assert again.status_code == 409 and again.json()["details"]["closed_by"] == "worker1"

    # The sign-in sheet of three more people and an hour of service are typed in now.
    late = facts.attend(late_event, late_event_start, 3, None)
    late.append(facts.hours(previous + timedelta(days=4), 60, None))
    publish(amqp, late)
    wait_until(lambda: inbox_count(stack) == len(facts.envelopes), message="the late entries")

    # The reported month: exactly as sent, its amendments beside it.
    report = worker.get(f"/reports/periodic?period={last_month}").json()
    assert report["summary"] == sent["summary"]
    assert report["plans"] == sent["plans"]
    assert report["closed"]["closed_by"] == "worker1"
    late_figures = {"people_served": 3, "walk_ins": 3, "hours_entries_approved": 1,
                    "volunteer_hours_approved": 1}
    assert report["amendments"]["late_entries"] == [
        {"shown_in": month_of(this), "figures": late_figures}]
    assert report["amendments"]["reported"]["people_served"] == 4
    assert report["amendments"]["amended"]["people_served"] == 7
    assert report["amendments"]["amended"]["distinct_people"] == 7
    assert report["amendments"]["amended"]["volunteer_hours_approved"] == 3
    assert worker.get(f"/reports/periodic?period={last_month}&format=xlsx").status_code == 200

    # The next report shows them as late entries (补录) of the reported month.
    current = worker.get(f"/reports/periodic?period={month_of(this)}").json()
    assert current["closed"] is None
    (entry,) = current["late_entries"]
    assert entry["period"] == last_month
    assert entry["figures"] == late_figures
    assert entry["reported"] == {"people_served": 4, "walk_ins": 4,
                                 "hours_entries_approved": 1, "volunteer_hours_approved": 2}
    assert entry["amended"] == {"people_served": 7, "walk_ins": 7,
                                "hours_entries_approved": 2, "volunteer_hours_approved": 3}
    # Printed: the XLSX (sheet 补录) and the PDF (section 五、补录) of this month show the
    # late entries beside the reported and the amended figures; the reported month's own
    # XLSX and PDF, kept as sent, show what was entered for it afterwards.
    this_month = month_of(this)
    late_sheet = late_rows_of(worker.get(f"/reports/periodic?period={this_month}&format=xlsx"))
    assert late_sheet[(last_month, this_month, "people_served")] == (3, 4, 7)
    assert late_sheet[(last_month, this_month, "volunteer_hours_approved")] == (1, 2, 3)
    assert len(late_sheet) == len(late_figures)
    sent_sheet = late_rows_of(worker.get(f"/reports/periodic?period={last_month}&format=xlsx"))
    assert sent_sheet[(last_month, this_month, "people_served")] == (3, 4, 7)
    assert sent_sheet[(last_month, None, "distinct_people")] == (None, 4, 7)
    words = pdf_words(worker.get(f"/reports/periodic?period={this_month}&format=pdf"))
    assert has_row(words, last_month, this_month, "服务人次（人次）", "3", "4", "7")
    assert has_row(words, last_month, this_month, "志愿服务时长（小时）", "1", "2", "3")
    words = pdf_words(worker.get(f"/reports/periodic?period={last_month}&format=pdf"))
    assert has_row(words, last_month, this_month, "服务人次（人次）", "3", "4", "7")
    assert has_row(words, last_month, "—", "服务人数（人）", "—", "4", "7")
    assert "本报告已于" in "".join(words)
    nothing_late = late_rows_of(worker.get(f"/reports/periodic?period={month_of(before)}"
                                           "&format=xlsx"))
    assert nothing_late == {}

    # The figures themselves count in the month the service happened.
    by_month = {g["key"]: g["figures"] for g in worker.get(
        "/reports/summary", params={"from": month_of(before), "to": month_of(following),
                                    "group_by": "month"}).json()["groups"]}
    assert by_month[last_month]["people_served"] == 7
    assert by_month.get(month_of(this), {}).get("people_served", 0) == 0

    # The reports as sent plus the late entries they show add up to the project year.
    def sent_plus_late():
        totals = {}
        for first in (before, previous, this, following):
            month = worker.get(f"/reports/periodic?period={month_of(first)}").json()
            for name in ADDITIVE_KPIS:
                totals[name] = totals.get(name, 0) + month["summary"][name] + sum(
                    e["figures"].get(name, 0) for e in month["late_entries"])
        return totals

    kpis = {k["kpi"]: k["actual"] for k in worker.get("/reports/kpis").json()["kpis"]}
    assert sent_plus_late() == {name: kpis[name] for name in ADDITIVE_KPIS} == {
        "activities_held": 2, "people_served": 9, "volunteer_hours_approved": 3}

    # A rebuild from the services' event logs lands on the same reports.
    for source in ("events", "volunteers", "resources"):
        container_factory(event_log_double(source, [e for e in facts.envelopes
                                                    if e["source"] == source]),
                          {"AMQP_URI": amqp}).start()
    assert admin.post("/reports/rebuild").status_code == 202
    wait_until(lambda: admin.get("/reports/rebuild").json()["status"] == "done",
               timeout=30, message="the rebuild")
    rebuilt = worker.get(f"/reports/periodic?period={last_month}").json()
    assert (rebuilt["summary"], rebuilt["amendments"]) == (report["summary"],
                                                           report["amendments"])
    rebuilt_current = worker.get(f"/reports/periodic?period={month_of(this)}").json()
    assert rebuilt_current["late_entries"] == current["late_entries"]
    assert sent_plus_late() == {name: kpis[name] for name in ADDITIVE_KPIS}
