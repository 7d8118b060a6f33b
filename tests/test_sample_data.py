"""Sample data (the demonstration partners and resources of a first start, marked
【示例】 and ``sample: true``) counts in no figure the funder reads: KPIs, the community
summary's totals, linked value, the resource list export."""
import io

from openpyxl import load_workbook

from tests.fixtures import wait_until


def kpis(client):
    return {k["kpi"]: k["actual"] for k in client.get("/reports/kpis").json()["kpis"]}


def totals(client):
    return client.get("/reports/summary").json()["total"]


def test_a_fresh_stack_with_sample_data_counts_only_the_communitys_own_records(stack):
    stack.start("resources", "reports", "gateway")
    client = stack.client()
    listed = client.get("/resources", params={"per_page": 100}).json()["items"]
    sample_resources = [r for r in listed if r["sample"]]
    assert sample_resources, "the first start loads sample resources"
    assert all(p["sample"] for p in client.get("/partners").json()["items"])

    partner = client.post("/partners", json={
        "name": "和通小学", "kind": "school", "five_society": "social_resource"}).json()
    ours = client.post("/resources", json={
        "type": "material", "title": "爱心书包", "partner_id": partner["id"],
        "target_groups": ["children"], "need_categories": ["material"], "quantity": 20,
        "value_yuan": 1600}).json()
    assert ours["sample"] is False
    need = client.post("/needs", json={"target_group": "children", "category": "material",
                                       "description": "学习用品"}).json()
    sample = next(r for r in sample_resources if r["value_yuan"] > 0)
    for resource_id, quantity in ((sample["id"], 1), (ours["id"], 2)):
        match = client.post(f"/needs/{need['id']}/matches",
                            json={"resource_id": resource_id, "quantity": quantity})
        assert match.status_code == 201, match.text

    # Our two books (¥80 each of ¥1,600 for 20) are linked; the sample match links nothing.
    wait_until(lambda: totals(client).get("resource_value_linked") == 160.0, timeout=20,
               message="reports to count the linked value")
    figures = kpis(client)
    assert figures["resource_value_linked"] == 160.0
    assert figures["needs_matched"] == 1
    total = totals(client)
    assert total["partners_registered"] == 1
    assert total["resources_registered"] == 1
    assert total["resource_value_registered"] == 1600.0
    assert total["needs_matched"] == 1

    export = client.get("/resources/export", params={"format": "xlsx"})
    assert export.status_code == 200, export.text
    sheet = load_workbook(io.BytesIO(export.content))["资源清单"]
    titles = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert titles == ["爱心书包"]
    assert export.headers["X-Resource-Count"] == "1"
