"""Three project years: without ?year the reports answer for the year that holds today
(year 2's targets from its first day), year 1's figures stay what they were, and the
periodic report of a month uses the targets of the year the month belongs to."""
from datetime import datetime, timezone

from services.reports.tests.test_kpis import completed, fact
from services.reports.tests.test_service import OVERRIDES, inbox_count, publish
from tests.fixtures import wait_until

NOV_2026 = datetime(2026, 11, 14, 2, 0, tzinfo=timezone.utc)
JAN_2027 = datetime(2027, 1, 3, 2, 0, tzinfo=timezone.utc)


def held(event_id, when):
    envelope = completed(event_id, "service")
    envelope["payload"]["start"] = envelope["payload"]["end"] = when.isoformat()
    envelope["occurred_at"] = when.isoformat()
    return envelope


def activities(client, query=""):
    response = client.get(f"/reports/kpis{query}")
    assert response.status_code == 200, response.text
    body = response.json()
    item = next(k for k in body["kpis"] if k["kpi"] == "activities_held")
    return body["project_year"], item["target"], item["actual"], body["year_start"]


def test_year_two_targets_apply_from_its_first_day_and_year_one_is_unchanged(
        stack, rabbit_config):
    facts = [held(1, NOV_2026), held(2, NOV_2026), held(3, JAN_2027)]
    stack.start("reports", **dict(OVERRIDES, REPORTS_TODAY="2026-12-31"))
    stack.start("gateway")
    client = stack.client()
    publish(rabbit_config["AMQP_URI"], facts)
    wait_until(lambda: inbox_count(stack) == len(facts), message="the facts applied")
    before = activities(client)
    assert before == (1, 120.0, 2, "2026-01-01")
    periodic_before = client.get("/reports/periodic?period=2026-11").json()
    stack.stop("reports")

    stack.start("reports", **dict(OVERRIDES, REPORTS_TODAY="2027-01-01"))
    assert activities(client) == (2, 132.0, 1, "2027-01-01")
    assert activities(client, "?year=2") == (2, 132.0, 1, "2027-01-01")
    assert activities(client, "?year=1") == before
    periodic = client.get("/reports/periodic?period=2026-11").json()
    assert periodic["kpis"]["project_year"] == 1
    assert periodic["period_kpis"] == periodic_before["period_kpis"]
    assert client.get("/reports/kpis?year=4").status_code == 404
    whole = client.get("/reports/periodic?year=1").json()
    assert whole["period"] == "2026" and whole["summary"]["activities_held"] == 2
    assert client.get("/reports/periodic?year=4").status_code == 404


def test_a_project_year_that_is_not_a_calendar_year_is_reported_whole(
        stack, rabbit_config, tmp_path):
    import yaml

    for number in (1, 2):
        data = {"community_id": "hetong", "project": "治在融和", "project_year": number,
                "contract_start": "2026-03-01", "budget_yuan": 1000, "sample": True,
                "targets": {"activities_held": {"label": "开展活动场次",
                                                "target": 10 * number}}}
        (tmp_path / f"hetong-year{number}.yaml").write_text(
            yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    facts = [held(1, NOV_2026), held(2, JAN_2027), held(3, datetime(2027, 3, 2, 2, 0,
                                                                     tzinfo=timezone.utc))]
    stack.start("reports", **dict(OVERRIDES, REPORTS_TODAY="2027-03-01",
                                  KPI_TARGETS_FILE=str(tmp_path / "hetong-year1.yaml")))
    stack.start("gateway")
    client = stack.client()
    publish(rabbit_config["AMQP_URI"], facts)
    wait_until(lambda: inbox_count(stack) == len(facts), message="the facts applied")
    assert activities(client) == (2, 20.0, 1, "2027-03-01")
    assert activities(client, "?year=1") == (1, 10.0, 2, "2026-03-01")

    whole = client.get("/reports/periodic?year=1")
    assert whole.status_code == 200, whole.text
    report = whole.json()
    assert (report["from"], report["to"]) == ("2026-03-01", "2027-02-28")
    assert report["period_label"] == "2026年3月至2027年2月"
    assert [m["month"] for m in report["months"]][::11] == ["2026-03", "2027-02"]
    assert report["summary"]["activities_held"] == 2
    assert report["kpis"]["project_year"] == 1
    assert client.get("/reports/periodic?year=1&format=xlsx").status_code == 200
    assert client.get("/reports/periodic?year=1&format=pdf").status_code == 200
    hetong = client.get("/reports/periodic?year=2").json()
    assert (hetong["from"], hetong["to"]) == ("2027-03-01", "2028-02-29")
    neither = client.get("/reports/periodic")
    assert neither.status_code == 422 and neither.json()["details"] == {"period": [
        "请填写 period（如 2026-11、2026-Q4 或 2026）或 year（项目年度），只填其中一项"]}
    both = client.get("/reports/periodic?period=2026&year=1")
    assert both.status_code == 422

    # The evaluation dossier's periodic workbook is that same project year's report.
    from datetime import date

    from sqlalchemy.orm import Session

    from common.contract import load_contract
    from services.reports.dossier import periodic_of_year

    engine = stack.engine("reports")
    with Session(engine) as session:
        name, in_dossier = periodic_of_year(
            session, load_contract(str(tmp_path / "hetong-year1.yaml")).year(1), "hetong",
            date(2027, 3, 1))
    engine.dispose()
    assert name == "周期报表-2026年3月至2027年2月.xlsx"
    assert (in_dossier["from"], in_dossier["to"]) == (report["from"], report["to"])
    assert in_dossier["summary"] == report["summary"]
