"""The KPI board through the gateway on the real broker: statuses when nothing is counted,
the activities of each plan and the people served from the priority groups, the weights
a community publishes for its district, and the district instance's own board."""
from datetime import datetime, timezone

import pytest
import yaml

from common import contracts
from services.reports.tests.test_service import OVERRIDES, inbox_count, publish
from tests.fixtures import wait_until

NOV = datetime(2026, 11, 14, 2, 0, tzinfo=timezone.utc)


def fact(source, event_type, payload, when=NOV, community="hetong"):
    return contracts.envelope(event_type, payload, source, community, occurred_at=when)


def completed(event_id, plan, kind="activity"):
    return fact("events", "event_completed", {
        "event_id": event_id, "plan": plan, "kind": kind, "target_groups": ["children"],
        "compounds": [], "start": NOV, "end": NOV, "registered": 0, "attended": 0,
        "walk_ins": 0, "people_served": 0, "volunteers": 0, "feedback_count": 0})


def attended(n, group, event_id=1, plan="service"):
    return fact("events", "attendance_recorded", {
        "attendance_id": n, "event_id": event_id, "resident_id": 100 + n,
        "registration_id": None, "walk_in": True, "target_group": group, "compound": None,
        "plan": plan, "kind": "activity", "attended_at": NOV, "event_start": NOV})


def board(client):
    response = client.get("/reports/kpis")
    assert response.status_code == 200, response.text
    return {k["kpi"]: k for k in response.json()["kpis"]}


def test_nothing_counted_is_no_data_and_plans_and_priority_groups_are_on_the_board(
        stack, rabbit_config):
    stack.start("reports", **dict(OVERRIDES, REPORTS_TODAY="2026-01-10"))
    stack.start("gateway")
    client = stack.client()
    empty = board(client)
    assert {k: v["status"] for k, v in empty.items()
            if k in ("mean_satisfaction", "people_served", "activities_culture")} == {
        "mean_satisfaction": "no_data", "people_served": "no_data",
        "activities_culture": "no_data"}
    assert empty["mean_satisfaction"]["actual"] is None

    facts = [completed(1, "service"), completed(2, "service"), completed(3, "culture"),
             completed(4, "system", "joint_meeting"),
             attended(1, "children"), attended(2, "elderly"), attended(3, "disabled"),
             attended(4, "youth"), attended(5, "all_residents"), attended(6, "in_difficulty"),
             fact("events", "feedback_submitted", {
                 "feedback_id": 1, "event_id": 1, "score": 5, "plan": "service",
                 "kind": "activity", "event_start": NOV})]
    publish(rabbit_config["AMQP_URI"], facts)
    wait_until(lambda: inbox_count(stack) == len(facts), message="the facts applied")
    kpis = board(client)
    assert {k: kpis[k]["actual"] for k in ("activities_resources", "activities_system",
                                           "activities_service", "activities_culture",
                                           "activities_held")} == {
        "activities_resources": 0, "activities_system": 1, "activities_service": 2,
        "activities_culture": 1, "activities_held": 4}
    assert kpis["activities_service"]["label"] == "服务融和活动场次"
    assert kpis["people_served_priority"]["actual"] == 4  # not youth, not all residents
    assert kpis["people_served"]["actual"] == 6
    assert kpis["people_served"]["status"] == "on_track"
    assert kpis["activities_resources"]["status"] == "no_data"
    assert kpis["mean_satisfaction"]["status"] == "achieved"


def test_a_targets_file_that_cannot_be_counted_names_the_kpi(stack, tmp_path):
    bad = yaml.safe_load(open("config/targets/hetong-year1.yaml", encoding="utf-8"))
    bad["targets"]["distinct_children"] = {"target": 10, "metric": "distinct_people",
                                           "where": {"target_group": "children"}}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    stack.start("reports", **dict(OVERRIDES, KPI_TARGETS_FILE=str(path)))
    stack.start("gateway")
    response = stack.client().get("/reports/kpis")
    assert response.status_code == 422
    assert list(response.json()["details"]) == ["distinct_children"]


def test_the_published_summary_carries_the_weights_of_every_mean(stack, rabbit_config):
    stack.start("reports", **OVERRIDES)
    stack.start("gateway")
    client = stack.client()
    closed = fact("resources", "need_closed", {
        "need_id": 1, "outcome": "resolved", "satisfaction": 5, "category": "care",
        "target_group": "elderly", "closed_at": NOV})
    publish(rabbit_config["AMQP_URI"], [closed])
    wait_until(lambda: inbox_count(stack) == 1, message="the need closed")
    published = client.post("/reports/summary/publish")
    assert published.status_code == 202, published.text
    figures = published.json()["figures"]
    assert figures["need_satisfaction_count"] == 1
    assert figures["feedback_count"] == 0


def summary_of(community, people, targets_people, counted=("people_served",)):
    return contracts.envelope("community_summary_published", {
        "community_id": community, "project_year": 1, "as_of": NOV,
        "figures": {"people_served": people, "mean_satisfaction": 4.0, "feedback_count": 2,
                    "need_satisfaction_count": 0, "needs_matched": 0},
        "targets": {"people_served": targets_people, "mean_satisfaction": 4.5},
        "labels": {"people_served": "服务人次", "mean_satisfaction": "平均满意度"},
        "units": {"people_served": "人次", "mean_satisfaction": "分"},
        "counted": list(counted) + ["mean_satisfaction"], "project": "治在融和",
        "sample_targets": True, "year_start": "2026-01-01", "year_end": "2026-12-31"},
        "reports", community, occurred_at=NOV)


@pytest.mark.parametrize("own_file", [False, True])
def test_the_district_board_shows_the_districts_targets_against_its_communities(
        stack, rabbit_config, tmp_path, own_file):
    overrides = dict(OVERRIDES, REPORTS_MODE="district", COMMUNITY_ID="huli")
    if own_file:
        own = {"community_id": "huli", "project": "湖里区社区治理", "project_year": 1,
               "year_start": "2026-01-01", "year_end": "2026-12-31", "sample": True,
               "targets": {"people_served": {"label": "服务人次", "target": 20000,
                                             "unit": "人次"},
                           "volunteers_registered": {"target": 500}}}
        path = tmp_path / "huli-year1.yaml"
        path.write_text(yaml.safe_dump(own, allow_unicode=True), encoding="utf-8")
        overrides["KPI_TARGETS_FILE"] = str(path)
    stack.start("reports", **overrides)
    stack.start("gateway", COMMUNITY_ID="huli")
    client = stack.client()
    publish(rabbit_config["AMQP_URI"], [summary_of("hetong", 5000, 6000),
                                        summary_of("binhai", 4500, 4000)])
    wait_until(lambda: client.get("/district/summary").json()["community_count"] == 2,
               message="both summaries at the district")
    response = client.get("/reports/kpis")
    assert response.status_code == 200, response.text
    body = response.json()
    kpis = {k["kpi"]: k for k in body["kpis"]}
    assert body["community_count"] == 2
    assert kpis["people_served"]["actual"] == 9500
    assert kpis["people_served"]["percent_year_elapsed"] == 91.8
    if own_file:
        assert body["project"] == "湖里区社区治理"
        assert kpis["people_served"]["target"] == 20000
        assert kpis["people_served"]["status"] == "at_risk"
        assert kpis["volunteers_registered"]["actual"] is None
        assert kpis["volunteers_registered"]["status"] == "no_data"
    else:
        assert body["project"] == "治在融和" and body["community_id"] == "huli"
        assert kpis["people_served"]["target"] == 10000
        assert kpis["people_served"]["status"] == "on_track"
        assert kpis["mean_satisfaction"]["actual"] == 4.0
        assert kpis["mean_satisfaction"]["target"] == 4.5
