"""The district page's answer (区级汇总) through the gateway on the real broker: two
communities' summaries arrive on the district's queue; each gets a row with its Chinese
name (from its community file), its KPIs against its own targets, a status and when it
last reported, beside the district's total; one community's detail; who may read it."""
from datetime import datetime, timezone

import pytest

from common import vocab
from services.reports.tests.test_kpis import summary_of
from services.reports.tests.test_service import OVERRIDES, publish
from tests.fixtures import wait_until

DISTRICT = dict(OVERRIDES, REPORTS_MODE="district", COMMUNITY_ID="huli")
LATER = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def communities(tmp_path, monkeypatch):
    """Hetong's own file and a second community's, as a district's deployment holds them."""
    (tmp_path / "hetong.yaml").write_text(
        (vocab.COMMUNITIES_DIR / "hetong.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "binhai.yaml").write_text(
        "community_id: binhai\nname: 滨海社区\ndistrict: 湖里区\nproject: 滨海同心\n",
        encoding="utf-8")
    monkeypatch.setattr(vocab, "COMMUNITIES_DIR", tmp_path)
    vocab._other_community.cache_clear()
    yield tmp_path
    vocab._other_community.cache_clear()


def later_summary_of(community, people, targets_people):
    envelope = summary_of(community, people, targets_people)
    envelope["payload"]["as_of"] = LATER.isoformat()
    return envelope


def test_the_district_page_has_a_row_per_community_and_the_total(
        stack, rabbit_config, communities):
    stack.start("reports", **DISTRICT)
    stack.start("gateway", COMMUNITY_ID="huli")
    admin = stack.client()
    publish(rabbit_config["AMQP_URI"], [summary_of("hetong", 5000, 6000),
                                        later_summary_of("binhai", 1000, 4000)])
    page = wait_until(lambda: (lambda b: b if b["community_count"] == 2 else None)(
        admin.get("/district/communities").json()), message="both summaries at the district")

    rows = {row["community_id"]: row for row in page["communities"]}
    assert [row["community_id"] for row in page["communities"]] == ["binhai", "hetong"]
    assert rows["hetong"]["name"] == "和通社区" and rows["binhai"]["name"] == "滨海社区"
    assert rows["hetong"]["last_reported_at"] == "2026-11-14T02:00:00Z"
    assert rows["binhai"]["last_reported_at"] == "2026-11-30T01:00:00Z"
    hetong = {k["kpi"]: k for k in rows["hetong"]["kpis"]}
    binhai = {k["kpi"]: k for k in rows["binhai"]["kpis"]}
    assert (hetong["people_served"]["label"], hetong["people_served"]["target"],
            hetong["people_served"]["actual"], hetong["people_served"]["percent_done"]) == (
        "服务人次", 6000, 5000, 83.3)
    assert hetong["people_served"]["status"] == "on_track"
    # 1,000 of 4,000 with 92 % of the year gone: behind
    assert (binhai["people_served"]["percent_done"], binhai["people_served"]["status"]) == (
        25.0, "at_risk")
    # a row's status is its worst KPI's: both communities' satisfaction (4.0 of 4.5) lags
    assert rows["hetong"]["status_counts"] == {"at_risk": 1, "on_track": 1, "achieved": 0,
                                               "no_data": 0}
    assert rows["binhai"]["status_counts"]["at_risk"] == 2
    assert rows["binhai"]["status"] == rows["hetong"]["status"] == "at_risk"
    total = {k["kpi"]: k for k in page["total"]["kpis"]}
    assert (total["people_served"]["actual"], total["people_served"]["target"]) == (6000, 10000)

    detail = admin.get("/district/communities/binhai")
    assert detail.status_code == 200, detail.text
    assert detail.json()["name"] == "滨海社区"
    assert detail.json()["kpis"] == rows["binhai"]["kpis"]
    missing = admin.get("/district/communities/xinglin")
    assert missing.status_code == 404 and "community_id" in missing.json()["details"]


def test_only_district_viewers_and_admins_read_the_district_page(stack, communities):
    stack.start("reports", **DISTRICT)
    stack.start("gateway", COMMUNITY_ID="huli")
    admin = stack.client()
    for username, role in (("worker2", "social_worker"), ("viewer2", "district_viewer")):
        assert admin.post("/users", json={"username": username, "password": "password-123",
                                          "role": role}).status_code == 201
    worker = stack.client(login=False).login("worker2", "password-123")
    viewer = stack.client(login=False).login("viewer2", "password-123")
    assert worker.get("/district/communities").status_code == 403
    answer = viewer.get("/district/communities")
    assert answer.status_code == 200, answer.text
    assert answer.json()["communities"] == [] and answer.json()["community_count"] == 0
