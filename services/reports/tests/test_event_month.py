"""Through the gateway with every service running: attendance typed in after the month
of its event counts in the event's month, in the monthly report, the project-year KPI and
after a rebuild from the event logs."""
from services.events.tests.test_interface import event_body
from tests.fixtures import wait_until

# Four activities held in November (Beijing time), their sign-in sheets typed in on
# 3 December: 2 + 2 + 2 + 3 people.
NOVEMBER = [("2026-11-07T01:00:00Z", "2026-11-07T03:00:00Z", 2),
            ("2026-11-14T06:00:00Z", "2026-11-14T08:00:00Z", 2),
            ("2026-11-21T01:00:00Z", "2026-11-21T03:00:00Z", 2),
            # 22:00 to 00:30 on 1 December: still November's activity
            ("2026-11-30T14:00:00Z", "2026-11-30T16:30:00Z", 3)]


def month_figures(client, period):
    response = client.get("/reports/periodic", params={"period": period})
    assert response.status_code == 200, response.text
    return response.json()["summary"]


def served(client):
    november, december = month_figures(client, "2026-11"), month_figures(client, "2026-12")
    return ((november["activities_held"], november["people_served"]),
            (december["activities_held"], december["people_served"]),
            client.get("/reports/kpis").json())


def test_a_sign_in_sheet_typed_in_december_counts_in_november(full_stack):
    staff = full_stack.client()
    for n, (start, end, people) in enumerate(NOVEMBER):
        eid = staff.post("/events", json=event_body(start=start, end=end, capacity=0)).json()["id"]
        assert staff.post(f"/events/{eid}/publish").status_code == 200
        for p in range(people):
            body = {"walk_in": True, "target_group": "children",
                    "phone": f"1591100{n}{p:03d}"}
            if p == 0:
                body["attended_at"] = end  # the sheet's time of the last one in
            assert staff.post(f"/events/{eid}/attendance", json=body).status_code == 201
        assert staff.post(f"/events/{eid}/complete").status_code == 200

    expected = ((4, 9), (0, 0))
    wait_until(lambda: served(staff)[:2] == expected, timeout=30,
               message=f"the November report ({served(staff)[:2]})")
    november = month_figures(staff, "2026-11")
    assert november["distinct_people"] == 9
    kpis = {k["kpi"]: k["actual"] for k in staff.get("/reports/kpis").json()["kpis"]}
    year = month_figures(staff, "2026")
    assert kpis["people_served"] == year["people_served"] == 9
    assert kpis["activities_held"] == year["activities_held"] == 4
    before = served(staff)

    response = staff.post("/reports/rebuild")
    assert response.status_code == 202, response.text
    generation = response.json()["generation"]
    wait_until(lambda: (lambda s: s["status"] == "done" and s["active_generation"] >= generation)(
        staff.get("/reports/rebuild").json()), timeout=60, message="the rebuild")
    assert served(staff) == before
