"""Sample (demonstration) data through the gateway, the real broker and every service: it
is marked ``sample: true`` wherever it appears, counts in no figure, export or community
summary, and an admin clears all of it in one action, after which no sample row remains
in any service and the figures (live and replayed) are those of the real records alone."""
import csv
import io

from sqlalchemy import inspect, text

from common import contracts, times
from tests.fixtures import wait_until

CONFIRM = {"confirm": "清除示例数据"}
PROCESSES = ("resources", "volunteers", "events", "reports", "gateway")


def event_log(stack, source="resources"):
    with stack.rpc() as rpc:
        return getattr(rpc, source).read_event_log(0, 5000)["events"]


def reports_caught_up(stack):
    """True once reports has taken in every fact resources published for it."""
    wanted = {e["event_id"] for e in event_log(stack)
              if "reports" in contracts.get(e["event_type"]).consumers}
    engine = stack.engine("reports")
    with engine.connect() as conn:
        seen = set(conn.execute(text("SELECT event_id FROM inbox")).scalars())
    engine.dispose()
    return wanted <= seen


def wait_for_reports(stack):
    wait_until(lambda: reports_caught_up(stack), timeout=30,
               message="reports to take in every fact of resources")


def this_month_totals(client):
    month = times.local_today().strftime("%Y-%m")
    summary = client.get("/reports/summary", params={"from": month, "to": month})
    assert summary.status_code == 200, summary.text
    return summary.json()["total"]


def sample_rows(stack):
    """{(process, table): rows marked sample} over every table of every service's
    database that has a ``sample`` column."""
    found = {}
    for process in PROCESSES:
        engine = stack.engine(process)
        with engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                columns = {c["name"] for c in inspect(conn).get_columns(table)}
                if "sample" in columns:
                    found[(process, table)] = conn.execute(text(
                        f'SELECT count(*) FROM "{table}" WHERE sample = :yes'),
                        {"yes": True}).scalar_one()
        engine.dispose()
    return found


def real_records(client):
    """A real partner with a ¥1,000 resource, and a real need matched once to a sample
    resource (¥100) and once to the real one (¥250)."""
    partner = client.post("/partners", json={
        "name": "和通小学", "kind": "school", "five_society": "social_resource",
        "compounds": ["fulong_huayuan"]})
    assert partner.status_code == 201, partner.text
    resource = client.post("/resources", json={
        "type": "material", "title": "爱心书包", "partner_id": partner.json()["id"],
        "target_groups": ["children"], "need_categories": ["tutoring"], "quantity": 4,
        "value_yuan": 1000})
    assert resource.status_code == 201, resource.text
    need = client.post("/needs", json={
        "target_group": "children", "category": "tutoring", "description": "放学后无人辅导"})
    assert need.status_code == 201, need.text
    tutoring = next(r for r in client.get("/resources", params={"per_page": 100}).json()["items"]
                    if r["title"] == "【示例】四点半课堂课业辅导")
    on_sample = client.post(f"/needs/{need.json()['id']}/matches",
                            json={"resource_id": tutoring["id"], "quantity": 1})
    assert on_sample.status_code == 201, on_sample.text
    on_real = client.post(f"/needs/{need.json()['id']}/matches",
                          json={"resource_id": resource.json()["id"], "quantity": 1})
    assert on_real.status_code == 201, on_real.text
    return partner.json(), resource.json(), on_real.json()


def test_sample_records_are_marked_and_count_in_no_figure_export_or_summary(full_stack):
    client = full_stack.client()
    partners = client.get("/partners", params={"per_page": 100}).json()["items"]
    resources = client.get("/resources", params={"per_page": 100}).json()["items"]
    assert len(partners) == 6 and all(p["sample"] for p in partners)
    assert len(resources) == 8 and all(r["sample"] for r in resources)
    # The station's rooms are the station's, not demonstration data.
    venues = client.get("/venues").json()["items"]
    assert len(venues) == 11 and not any(v.get("sample") for v in venues)

    partner, resource, need = real_records(client)
    assert partner["sample"] is False and resource["sample"] is False
    assert [m["sample"] for m in need["matches"]] == [True, False]
    # The need's linked value is the real resource's alone.
    assert need["value_linked_yuan"] == 250.0
    suggestions = client.get(f"/needs/{need['id']}/suggestions").json()["resources"]
    assert {s["title"]: s["sample"] for s in suggestions}["爱心书包"] is False
    assert any(s["sample"] for s in suggestions)

    matched = [e["payload"] for e in event_log(full_stack) if e["event_type"] == "need_matched"]
    assert [(m["sample"], m["first_match"]) for m in matched] == [(True, False), (False, True)]
    registered = [e["payload"]["sample"] for e in event_log(full_stack)
                  if e["event_type"] in ("partner_registered", "resource_registered")]
    assert registered.count(True) == 14 and registered.count(False) == 2

    wait_for_reports(full_stack)
    totals = this_month_totals(client)
    assert totals["partners_registered"] == 1
    assert totals["resources_registered"] == 1
    assert totals["resource_value_registered"] == 1000
    assert totals["resource_value_linked"] == 250
    assert totals["matches_made"] == 1 and totals["needs_matched"] == 1
    assert full_stack.kpi(client, "resource_value_linked") == 250
    assert full_stack.kpi(client, "needs_matched") == 1
    published = client.post("/reports/summary/publish")
    assert published.status_code == 202, published.text
    assert published.json()["figures"]["resource_value_linked"] == 250
    assert published.json()["figures"]["needs_matched"] == 1

    # The resource list (资源清单) holds the real resource only.
    export = client.get("/resources/export")
    assert export.status_code == 200 and export.headers["X-Resource-Count"] == "1"
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [row[2] for row in rows[1:]] == ["爱心书包"]
    assert not any("示例" in cell for cell in rows[0])


def test_an_admin_clears_all_sample_data_and_nothing_sample_remains(full_stack):
    client = full_stack.client()
    partner, resource, need = real_records(client)
    wait_for_reports(full_stack)
    before = sample_rows(full_stack)
    assert before[("resources", "partners")] == 6 and before[("resources", "resources")] == 8
    with full_stack.rpc() as rpc:
        figures = rpc.reports.dump_figures()

    status = client.get("/admin/sample-data")
    assert status.status_code == 200, status.text
    assert status.json()["present"] is True
    assert status.json()["services"]["resources"] == {"partners": 6, "resources": 8,
                                                      "matches": 1}
    for body in ({}, {"confirm": "yes"}):
        refused = client.post("/admin/sample-data/clear", json=body)
        assert refused.status_code == 422 and "confirm" in refused.json()["details"]
    assert sample_rows(full_stack) == before

    cleared = client.post("/admin/sample-data/clear", json=CONFIRM)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["services"]["resources"] == {"partners": 6, "resources": 8,
                                                       "matches": 1}
    assert set(sample_rows(full_stack).values()) == {0}
    assert client.get("/admin/sample-data").json()["present"] is False

    # Real records stay whole; the need keeps its real match only.
    assert client.get(f"/partners/{partner['id']}").json()["resource_count"] == 1
    assert client.get(f"/resources/{resource['id']}").json()["quantity_left"] == 3
    kept = client.get(f"/needs/{need['id']}").json()
    assert [m["resource_id"] for m in kept["matches"]] == [resource["id"]]
    assert kept["status"] == "matched" and kept["value_linked_yuan"] == 250.0
    assert len(client.get("/venues").json()["items"]) == 11

    # The facts of the clearing, and figures that never counted sample data stay put,
    # live and when rebuilt from the event logs.
    deleted = [e["payload"] for e in event_log(full_stack)
               if e["event_type"] in ("partner_deleted", "resource_deleted")]
    assert len(deleted) == 14 and all(p["sample"] for p in deleted)
    assert [e["event_type"] for e in event_log(full_stack)][-1] == "sample_data_cleared"
    wait_for_reports(full_stack)
    with full_stack.rpc() as rpc:
        assert rpc.reports.dump_figures() == figures
    rebuild = client.post("/reports/rebuild")
    assert rebuild.status_code == 202, rebuild.text
    wait_until(lambda: client.get("/reports/rebuild").json()["status"] == "done",
               timeout=30, interval=0.2, message="the rebuild")
    with full_stack.rpc() as rpc:
        assert rpc.reports.dump_figures() == figures
    assert this_month_totals(client)["partners_registered"] == 1

    # Sample data is loaded once: a restart does not bring it back.
    full_stack.stop("resources")
    full_stack.start("resources")
    assert set(sample_rows(full_stack).values()) == {0}
    again = client.post("/admin/sample-data/clear", json=CONFIRM)
    assert again.status_code == 200
    assert again.json()["services"]["resources"] == {"partners": 0, "resources": 0,
                                                     "matches": 0}


def test_clearing_refuses_while_a_real_resource_names_a_sample_partner(full_stack):
    client = full_stack.client()
    school = next(p for p in client.get("/partners").json()["items"]
                  if p["name"] == "【示例】和通社区周边小学")
    real = client.post("/resources", json={
        "type": "service", "title": "周末托管", "partner_id": school["id"],
        "target_groups": ["children"]}).json()
    refused = client.post("/admin/sample-data/clear", json=CONFIRM)
    assert refused.status_code == 409, refused.text
    assert refused.json()["details"]["resources"] == [real["id"]]
    assert sample_rows(full_stack)[("resources", "partners")] == 6
    # Once the real resource has a real provider, clearing goes through.
    client.patch(f"/resources/{real['id']}", json={"partner_id": None})
    assert client.post("/admin/sample-data/clear", json=CONFIRM).status_code == 200

