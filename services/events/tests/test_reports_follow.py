"""With the real reports service: an event's whole life and an idea
adopted at a joint meeting move the reports' figures exactly as counted here."""
from services.events.tests.test_interface import event_body, resident
from tests.fixtures import wait_until


def by_plan(client):
    summary = client.get("/reports/summary", params={"from": "2026-01", "to": "2026-12",
                                                     "group_by": "plan"}).json()
    return {g["key"]: g["figures"] for g in summary["groups"]}


def test_reports_follow_an_event_and_an_adopted_idea(stack):
    stack.start("events", "reports", "gateway")
    staff = stack.client()
    public = stack.client(login=False)

    eid = staff.post("/events", json=event_body(capacity=2)).json()["id"]
    staff.post(f"/events/{eid}/publish")
    regs = [public.post(f"/events/{eid}/registrations", json=resident(n)).json()
            for n in (1, 2, 3)]
    assert [r["status"] for r in regs] == ["confirmed", "confirmed", "waitlisted"]
    for body in ({"registration_id": regs[0]["id"]}, {"registration_id": regs[1]["id"]},
                 {"walk_in": True, "target_group": "elderly"}):
        assert staff.post(f"/events/{eid}/attendance", json=body).status_code == 201
    assert staff.post(f"/events/{eid}/complete").status_code == 200
    for phone, score in ((resident(1)["phone"], 5), (resident(2)["phone"], 4)):
        assert public.post(f"/events/{eid}/feedback",
                           json={"phone": phone, "score": score}).status_code == 201

    iid = public.post("/ideas", json={"title": "增设共享书架", "category": "culture",
                                      "phone": "13300000001"}).json()["id"]
    public.post(f"/ideas/{iid}/votes", json={"phone": "13300000002"})
    mid = staff.post("/events", json=event_body(
        title="联席会", plan="system", kind="joint_meeting", capacity=0,
        target_groups=["all_residents"],
        attendees=[{"organisation": "居委会", "category": "community"}])).json()["id"]
    staff.post(f"/events/{mid}/publish")
    decision = staff.post(f"/ideas/{iid}/adopt", json={
        "event_id": mid, "summary": "采纳", "action_items": [
            {"title": "采购书架", "owner": "社工站", "due_date": "2026-12-31"}]})
    assert decision.status_code == 201, decision.text
    assert staff.post(f"/events/{mid}/complete").status_code == 200

    def followed():
        plans = by_plan(staff)
        service = plans.get("service", {})
        return (service.get("activities_held") == 1 and service.get("people_served") == 3
                and service.get("mean_satisfaction") == 4.5
                and plans.get("system", {}).get("activities_held") == 1)

    wait_until(followed, timeout=20, message=f"reports to follow ({by_plan(staff)})")
    assert stack.kpi(staff, "ideas_collected") == 1
    assert stack.kpi(staff, "ideas_adopted") == 1
    assert stack.kpi(staff, "joint_meetings_held") == 1
    assert stack.kpi(staff, "people_served") == 3
    assert stack.kpi(staff, "activities_held") == 2
