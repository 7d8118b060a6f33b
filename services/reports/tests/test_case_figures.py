"""Case files counted by reports from their facts (codes and counts, never a person):
a child's case from opening to closure through the gateway and the real broker moves
each figure by exactly what happened, and a rebuild from the event logs gives the same."""
from services.resources.tests.test_cases_interface import case_body
from tests.fixtures import ApiClient, wait_until

FIGURES = ("cases_opened", "case_contacts", "case_home_visits", "case_referrals",
           "case_referrals_accepted", "cases_closed")


def figures(client):
    total = client.get("/reports/summary").json()["total"]
    return {name: total.get(name, 0) for name in FIGURES}


def test_a_case_from_consent_to_closure_moves_the_case_figures_exactly(stack):
    stack.start("resources", "volunteers", "events", "reports", "gateway")
    admin = stack.client()
    assert admin.post("/users", json={"username": "sw-li", "password": "password-123",
                                      "role": "social_worker"}).status_code == 201
    li = ApiClient(stack.url("gateway")).login("sw-li", "password-123")
    partner = admin.post("/partners", json={
        "name": "和通小学", "kind": "school", "five_society": "social_resource",
        "contact_name": "王老师", "contact_phone": "13912345678"}).json()
    before = figures(admin)
    assert before == dict.fromkeys(FIGURES, 0)

    cid = li.post("/cases", json=case_body()).json()["id"]
    for path, payload in (
            ("assessments", {"needs": [{"category": "care"}], "risk": "high",
                             "reason": "独自在家"}),
            ("goals", {"text": "每周三次课后托管", "due_on": "2026-12-31"}),
            ("entries", {"kind": "home_visit", "text": "第一次入户"}),
            ("entries", {"kind": "home_visit", "text": "第二次入户"}),
            ("entries", {"kind": "phone", "text": "电话回访"}),
            ("referrals", {"partner_id": partner["id"], "reason": "课后托管"})):
        answer = li.post(f"/cases/{cid}/{path}", json=payload)
        assert answer.status_code == 201, answer.text
    referral = answer.json()["referrals"][0]["id"]
    for status in ("accepted", "completed"):
        answered = li.post(f"/cases/{cid}/referrals/{referral}/answer",
                           json={"status": status, "outcome": "已安排托管班"})
        assert answered.status_code == 200, answered.text
    closed = li.post(f"/cases/{cid}/close", json={"outcome": "goals_met", "note": "已稳定"})
    assert closed.status_code in (200, 201), closed.text

    expected = {"cases_opened": 1, "case_contacts": 3, "case_home_visits": 2,
                "case_referrals": 1, "case_referrals_accepted": 1, "cases_closed": 1}
    wait_until(lambda: figures(admin) == expected, timeout=30,
               message=f"the case figures to read {expected}")
    by_risk = admin.get("/reports/summary", params={"group_by": "category"}).json()
    assert "陈小明" not in str(by_risk) and "13912340001" not in str(by_risk)

    assert admin.post("/reports/rebuild").status_code == 202
    wait_until(lambda: admin.get("/reports/rebuild").json()["status"] == "done", timeout=60,
               message="the rebuild")
    assert figures(admin) == expected
