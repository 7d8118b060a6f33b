"""The seed-shaped KPIs on the board, through the gateway on the real broker: 五社 coverage
(active partners per five-society category, the categories covered), 能人骨干 recruited,
activities per series of the service menu; figures typed in after the fact count in the
month the service happened (a rejected entry's service date, a shift's month, a need's
intake); the monthly reports add up to the project year; a rebuild gives the same."""
from datetime import date, datetime, timedelta

import yaml

from common import times, vocab
from common.config import ROOT
from services.reports import periods
from services.reports.tests.test_service import (OVERRIDES, event_log_double, inbox_count,
                                                 publish)
from services.reports.tests.test_period_close import Facts
from tests.fixtures import wait_until

TARGETS = yaml.safe_load((ROOT / "config/targets/hetong-year1.yaml").read_text(encoding="utf-8"))
JINSHAN = yaml.safe_load((ROOT / "deploy/k8s/overlays/jinshan/kpi-targets.yaml")
                         .read_text(encoding="utf-8"))
MONTHS = ["2026-09", "2026-10", "2026-11", "2026-12"]


def local(day, hour=10):
    return times.utc(datetime(day.year, day.month, day.day, hour))


def seed_facts():
    """Facts of an autumn, several typed in weeks after the service happened."""
    f = Facts()
    typed_in = local(date(2026, 11, 20), 9)  # the day paper records were entered
    # Partners: two social organisations (one later archived), the community itself, a
    # sample self-governance group that counts nowhere, one deleted.
    for pid, category, sample in ((1, "social_org", False), (2, "social_org", False),
                                  (3, "community", False), (4, "self_governance", True),
                                  (5, "social_worker", False)):
        f.add("resources", "partner_registered", {
            "partner_id": pid, "kind": "org", "five_society": category, "compounds": [],
            "registered_at": local(date(2026, 9, pid)), "sample": sample},
            local(date(2026, 9, pid)))
    f.add("resources", "partner_updated", {
        "partner_id": 2, "changed_fields": ["status"], "kind": "org",
        "five_society": "social_org", "compounds": [], "status": "archived"},
        local(date(2026, 10, 3)))
    f.add("resources", "partner_updated", {  # a change of category, then deleted
        "partner_id": 5, "changed_fields": ["five_society"], "kind": "org",
        "five_society": "social_resource", "compounds": [], "status": "active"},
        local(date(2026, 10, 4)))
    f.add("resources", "partner_deleted", {
        "partner_id": 5, "kind": "org", "five_society": "social_worker", "compounds": [],
        "registered_at": local(date(2026, 9, 5)), "sample": False}, local(date(2026, 10, 5)))
    # Volunteers: two skilled residents (能人骨干) at registration, one recognised later.
    for vid, talent, day in ((11, True, date(2026, 9, 8)), (12, True, date(2026, 10, 8)),
                             (13, False, date(2026, 10, 9))):
        f.add("volunteers", "volunteer_registered", {
            "volunteer_id": vid, "volunteer_number": f"V{vid}", "compound": None,
            "skills": [], "talent": talent, "registered_at": local(day)}, local(day))
    f.add("volunteers", "volunteer_updated", {
        "volunteer_id": 13, "changed_fields": ["talent"], "status": "active",
        "compound": None, "skills": [], "talent": True}, local(date(2026, 11, 2)))
    # Activities of the service menu's series, and one outside it.
    for series, day in (("festivals", date(2026, 9, 20)), ("festivals", date(2026, 10, 1)),
                        ("after_school", date(2026, 10, 15)), (None, date(2026, 11, 5))):
        f.add("events", "event_completed", {
            "event_id": next(f.ids), "plan": "culture", "kind": "festival",
            "target_groups": ["families"], "compounds": [], "start": local(day),
            "end": local(day, 12), "registered": 0, "attended": 0, "walk_ins": 0,
            "people_served": 0, "volunteers": 0, "feedback_count": 0, "series": series},
            local(day, 12))
    # An hours entry of 12 October rejected on 20 November: a rejection of October.
    f.add("volunteers", "hours_rejected", {"entry_id": 31, "volunteer_id": 11,
                                           "minutes": 60, "service_date": date(2026, 10, 12)},
          typed_in)
    # Sign-ups for a September shift typed in in November; one cancelled, one promoted.
    shift_start = local(date(2026, 9, 27), 14)
    for sid, status in ((41, "confirmed"), (42, "waitlisted")):
        f.add("volunteers", "shift_signed_up", {
            "signup_id": sid, "shift_id": 40, "volunteer_id": sid, "status": status,
            "event_id": None, "shift_start": shift_start}, typed_in)
    f.add("volunteers", "shift_signup_cancelled", {
        "signup_id": 41, "shift_id": 40, "volunteer_id": 41, "was_status": "confirmed",
        "event_id": None, "shift_start": shift_start}, typed_in)
    f.add("volunteers", "waitlist_promoted", {
        "signup_id": 42, "shift_id": 40, "volunteer_id": 42, "event_id": None,
        "shift_start": shift_start}, typed_in)
    # A need taken on paper on 28 October, entered on 20 November.
    f.add("resources", "need_registered", {
        "need_id": 51, "target_group": "elderly", "category": "care", "urgency": "normal",
        "compound": None, "registered_at": local(date(2026, 10, 28))}, typed_in)
    return f


def test_seed_kpis_month_by_month_add_up_to_the_year_and_replay(stack, rabbit_config,
                                                                 container_factory):
    stack.start("reports", **OVERRIDES)
    stack.start("gateway")
    admin = stack.client()
    facts = seed_facts()
    amqp = rabbit_config["AMQP_URI"]
    publish(amqp, facts.envelopes)
    wait_until(lambda: inbox_count(stack) == len(facts.envelopes), message="the facts")

    board = {k["kpi"]: k for k in admin.get("/reports/kpis").json()["kpis"]}
    # 五社 coverage: active partners of each category (the archived, the deleted and the
    # sample one not), and how many of the five categories have one.
    coverage = {f"partners_{c}": board[f"partners_{c}"]["actual"] for c in vocab.FIVE_SOCIETY}
    assert coverage == {"partners_community": 1, "partners_social_org": 1,
                        "partners_social_worker": 0, "partners_social_resource": 0,
                        "partners_self_governance": 0}
    assert board["five_society_covered"]["actual"] == 2
    assert board["five_society_covered"]["target"] == TARGETS["targets"][
        "five_society_covered"]["target"]
    # 能人骨干: two at registration, one recognised later.
    assert board["talents_registered"]["actual"] == 3
    # Activities per series of the community's service menu.
    assert board["activities_festivals"]["actual"] == 2
    assert board["activities_after_school"]["actual"] == 1
    # None of 儿童友好 by 1 December: behind the calendar, at risk.
    assert (board["activities_child_friendly"]["actual"],
            board["activities_child_friendly"]["status"]) == (0, "at_risk")
    for series in vocab.codes("series"):
        assert f"activities_{series}" in board, series

    # The month the service happened, whenever it was typed in.
    by_month = {g["key"]: g["figures"] for g in admin.get(
        "/reports/summary", params={"from": "2026-09", "to": "2026-12",
                                    "group_by": "month"}).json()["groups"]}
    assert by_month["2026-10"]["hours_entries_rejected"] == 1
    assert by_month["2026-09"]["shift_signups"] == 2
    assert by_month["2026-09"]["shift_signups_cancelled"] == 1
    assert by_month["2026-09"]["waitlist_promotions"] == 1
    assert by_month["2026-10"]["needs_registered"] == 1
    assert by_month["2026-11"]["talents_registered"] == 1
    assert all(by_month.get("2026-11", {}).get(name, 0) == 0 for name in (
        "hours_entries_rejected", "shift_signups", "needs_registered"))

    # Every additive KPI: the monthly reports add up to the project year's figure.
    def monthly_sums():
        sums = {}
        for month in MONTHS:
            report = admin.get(f"/reports/periodic?period={month}").json()
            for kpi, value in report["period_kpis"].items():
                sums[kpi] = sums.get(kpi, 0) + value
        return sums

    sums = monthly_sums()
    additive = [k for k in TARGETS["targets"] if k in sums]
    assert {"activities_festivals", "activities_after_school", "talents_registered",
            "activities_held"} <= set(additive)
    assert "five_society_covered" not in sums and "mean_satisfaction" not in sums
    assert {k: sums[k] for k in additive} == {k: board[k]["actual"] or 0 for k in additive}

    # And every figure that adds up: the months' reports add up to the year's.
    year = admin.get("/reports/periodic?period=2026").json()["summary"]
    months = [admin.get(f"/reports/periodic?period={m}").json()["summary"] for m in MONTHS]
    for name in periods.ADDITIVE:
        assert sum(m[name] for m in months) == year[name], name
    assert year["hours_entries_rejected"] == year["needs_registered"] == 1
    assert year["shift_signups"] == 2 and year["talents_registered"] == 3

    # The activities by series, labelled as the service menu names them.
    series = {g["key"]: (g["label"], g["figures"]["activities_held"]) for g in admin.get(
        "/reports/summary", params={"from": "2026-01", "to": "2026-12",
                                    "group_by": "series"}).json()["groups"]}
    assert series == {"festivals": ("我们的节日", 2), "after_school": ("四点半课堂", 1)}

    # A rebuild from the services' event logs lands on the same board and months.
    for source in ("events", "volunteers", "resources"):
        container_factory(event_log_double(source, [e for e in facts.envelopes
                                                    if e["source"] == source]),
                          {"AMQP_URI": amqp}).start()
    assert admin.post("/reports/rebuild").status_code == 202
    wait_until(lambda: admin.get("/reports/rebuild").json()["status"] == "done",
               timeout=30, message="the rebuild")
    rebuilt = {k["kpi"]: k for k in admin.get("/reports/kpis").json()["kpis"]}
    assert rebuilt == board
    assert monthly_sums() == sums


def test_hetong_and_jinshan_targets_have_the_same_kpis():
    assert list(JINSHAN["targets"]) == list(TARGETS["targets"])
    for name in ("five_society_covered", "talents_registered", "activities_festivals",
                 "partners_social_org"):
        assert name in TARGETS["targets"]
