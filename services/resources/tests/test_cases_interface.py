"""Case files through the gateway on the real broker: a child's whole file with the
guardian's consent, need-to-know reading (summary for another worker, the whole file
after a break-the-glass reason with its audit entry), volunteers and district viewers
refused, the follow-up list, a duplicate offered and merged, facts without personal
data."""
import json
from datetime import timedelta

from sqlalchemy import text

from common import times
from services.resources.tests.test_sample_data import wait_for_reports
from tests.fixtures import ApiClient, refused, wait_until

NAME, PHONE, GUARDIAN = "陈小明", "13912340001", "陈大海"
YEAR = times.local_today().year


def case_body(**person):
    person = dict({"name": NAME, "phone": PHONE, "birth_year": YEAR - 9, "gender": "male",
                   "compound": "fulong_huayuan", "target_groups": ["children"],
                   "guardian": {"name": GUARDIAN, "phone": "13912340002", "relation": "父亲"}},
                  **person)
    return {"person": person,
            "consent": {"given_by": "guardian", "name": GUARDIAN, "relation": "父亲",
                        "scope": ["case_work", "referral"]},
            "category": "care", "target_group": "children", "risk": "high",
            "risk_reason": "父母外出务工，独自在家", "workers": ["sw-li"]}


def test_case_file_need_to_know_follow_up_and_duplicates(stack):
    stack.start("resources", "volunteers", "gateway")
    admin = stack.client()
    volunteer_id = admin.post("/volunteers", json={"name": "志愿者甲",
                                                   "phone": "13812345670"}).json()["id"]
    for username, role, extra in (("sw-li", "social_worker", {}),
                                  ("sw-wang", "social_worker", {}),
                                  ("vol", "volunteer", {"volunteer_id": volunteer_id}),
                                  ("district", "district_viewer", {})):
        made = admin.post("/users", json=dict({"username": username, "password": "password-123",
                                               "role": role}, **extra))
        assert made.status_code == 201, made.text
    li, wang, vol, district = (ApiClient(stack.url("gateway")).login(u, "password-123")
                               for u in ("sw-li", "sw-wang", "vol", "district"))
    partner = admin.post("/partners", json={
        "name": "和通小学", "kind": "school", "five_society": "social_resource",
        "contact_name": "王老师", "contact_phone": "13912345678"}).json()

    # a child's file is refused without the guardian's consent
    alone = case_body()
    alone["consent"] = dict(alone["consent"], given_by="self", name=NAME)
    minor = refused(li.post("/cases", json=alone), "consent.given_by")
    assert minor["details"] == {"consent.given_by": ["未满 14 周岁者须由监护人同意"]}
    no_guardian = case_body(guardian=None)
    refused(li.post("/cases", json=no_guardian), "person.guardian")
    assert li.get("/cases").json()["total"] == 0

    opened = li.post("/cases", json=case_body())
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert case["number"] == "GA000001" and case["person"]["minor"] is True
    assert case["person"]["phone"] == "139****0001" and case["possible_duplicates"] == []
    cid = case["id"]

    # the assigned worker keeps the file: assessment, plan, visits, referral
    today = times.local_today()
    for path, payload in (
            ("assessments", {"needs": [{"category": "care", "note": "放学后无人照看"},
                                       {"category": "tutoring"}],
                             "risk": "high", "reason": "独自在家"}),
            ("goals", {"text": "每周三次课后托管", "due_on": (today - timedelta(days=1)).isoformat()}),
            ("entries", {"kind": "home_visit", "text": "第一次入户", "next_visit_on":
                         (today - timedelta(days=2)).isoformat()}),
            ("referrals", {"partner_id": partner["id"], "reason": "课后托管"})):
        answer = li.post(f"/cases/{cid}/{path}", json=payload)
        assert answer.status_code == 201, answer.text
    referral = answer.json()["referrals"][0]
    accepted = li.post(f"/cases/{cid}/referrals/{referral['id']}/answer",
                       json={"status": "accepted", "outcome": "已安排托管班"})
    assert accepted.status_code == 200 and accepted.json()["referrals"][0]["status"] == "accepted"

    mine = li.get(f"/cases/{cid}").json()
    assert mine["access"] == "assigned" and mine["person"]["name"] == NAME
    assert [e["kind"] for e in mine["timeline"]] == ["home_visit"]
    assert mine["goals"][0]["overdue"] is True and mine["visit_overdue"] is True

    # another worker: the summary only
    summary = wang.get(f"/cases/{cid}")
    assert summary.status_code == 200
    assert summary.json() == {"id": cid, "number": "GA000001", "category": "care",
                              "risk": "high", "status": "open", "assigned_to_me": False,
                              "restricted": True}
    assert NAME not in summary.text and GUARDIAN not in summary.text
    note = {"kind": "note", "text": "x"}
    not_theirs = wang.post(f"/cases/{cid}/entries", json=note)
    assert not_theirs.status_code == 403 and not_theirs.json()["message"] == "个案 GA000001 未分派给您"
    in_english = wang.post(f"/cases/{cid}/entries", json=note, headers={"Accept-Language": "en"})
    assert in_english.json()["message"] == "case GA000001 is not assigned to you"
    assert admin.get("/audit-log", params={"action": "break_glass_case_file"}).json()["total"] == 0
    # ... and the whole file after giving a reason, audited
    glass = wang.get(f"/cases/{cid}", params={"reason": "夜间值班接到邻居紧急求助"})
    assert glass.status_code == 200 and glass.json()["access"] == "break_glass"
    assert glass.json()["person"]["name"] == NAME
    log = admin.get("/audit-log", params={"action": "break_glass_case_file"}).json()
    assert [(e["username"], e["target"], e["kind"]) for e in log["items"]] == [
        ("sw-wang", f"case:{cid}", "reveal")]
    assert log["items"][0]["request_id"] == glass.headers["X-Request-Id"]
    assert NAME not in json.dumps(log, ensure_ascii=False)
    access = li.get(f"/cases/{cid}").json()["access_log"]
    assert ("sw-wang", "break_glass", "夜间值班接到邻居紧急求助") in [
        (a["username"], a["access"], a["reason"]) for a in access]
    # revealing the phone is audited too
    assert PHONE in li.get(f"/cases/{cid}", params={"reveal": "true"}).text
    assert admin.get("/audit-log", params={"action": "reveal_case_contact"}).json()["total"] == 1

    # volunteers and district viewers never see a file; the district sees counts
    for outsider in (vol, district):
        assert outsider.get(f"/cases/{cid}").status_code == 403
        assert outsider.get("/cases").status_code == 403
        assert outsider.get(f"/cases/{cid}", params={"reason": "想看看"}).status_code == 403
    assert vol.get("/cases/counts").status_code == 403
    counts = district.get("/cases/counts")
    assert counts.status_code == 200, counts.text
    assert counts.json()["open"] == 1 and counts.json()["open_by_risk"]["high"] == 1
    assert NAME not in counts.text and "GA000001" not in counts.text

    # follow-up: the overdue visit and goal on sw-li's list; another worker sees only theirs
    follow = li.get("/cases/follow-up").json()
    [row] = follow["workers"]
    assert row["worker"] == "sw-li"
    assert [(v["number"], v["days_overdue"]) for v in row["overdue_visits"]] == [("GA000001", 2)]
    assert [(g["number"], g["days_overdue"]) for g in row["overdue_goals"]] == [("GA000001", 1)]
    assert NAME not in json.dumps(follow, ensure_ascii=False)
    assert wang.get("/cases/follow-up").json()["workers"] == [
        {"worker": "sw-wang", "overdue_visits": [], "overdue_goals": [],
         "high_risk_without_contact": []}]
    assert wang.get("/cases/follow-up", params={"worker": "sw-li"}).status_code == 403
    assert [w["worker"] for w in admin.get("/cases/follow-up").json()["workers"]] == ["sw-li"]

    # a second intake of the same child (same phone) is offered for merge
    again = wang.post("/cases", json=dict(case_body(name="陈晓明"), workers=["sw-wang"]))
    assert again.status_code == 201, again.text
    assert again.json()["possible_duplicates"] == [{
        "person_id": case["person"]["id"], "matched_on": ["phone"],
        "case_numbers": ["GA000001"]}]
    pairs = admin.get("/cases/duplicates").json()["items"]
    assert [(p["person_id"], p["duplicate_person_id"]) for p in pairs] == [
        (case["person"]["id"], again.json()["person"]["id"])]
    assert district.get("/cases/counts").json()["distinct_people"] == 2
    assert li.post(f"/case-persons/{again.json()['person']['id']}/merge",
                   json={"into_person_id": case["person"]["id"]}).status_code == 403
    merged = admin.post(f"/case-persons/{again.json()['person']['id']}/merge",
                        json={"into_person_id": case["person"]["id"]})
    assert merged.status_code == 200, merged.text
    assert merged.json()["case_numbers"] == ["GA000001", "GA000002"]
    assert district.get("/cases/counts").json()["distinct_people"] == 1
    assert admin.get("/cases/duplicates").json()["items"] == []
    # both histories stay: each case keeps its own timeline and consent
    second = wang.get(f"/cases/{again.json()['id']}").json()
    assert second["person"]["id"] == case["person"]["id"] and len(second["consents"]) == 1
    assert len(li.get(f"/cases/{cid}").json()["timeline"]) == 1

    # closing
    closed = li.post(f"/cases/{cid}/close", json={"outcome": "goals_met", "note": "已好转"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert district.get("/cases/counts").json()["closed"] == 1

    # no personal data in any fact of the event log
    with stack.engine("resources").connect() as conn:
        envelopes = [json.loads(row) for row in conn.execute(text(
            "SELECT envelope FROM outbox WHERE envelope LIKE '%case_%'")).scalars()]
    facts = json.dumps(envelopes, ensure_ascii=False)
    assert {e["event_type"] for e in envelopes} >= {
        "case_opened", "case_assessed", "case_contact_recorded", "case_referred",
        "case_referral_answered", "case_persons_merged", "case_closed"}
    for secret in (NAME, "陈晓明", GUARDIAN, PHONE, "13912340002", "独自在家", "入户", "托管"):
        assert secret not in facts


def _database_bytes(stack, process):
    """Every byte of a process's SQLite database (with its journal files)."""
    from pathlib import Path

    path = Path(stack.db_uris[process].split("sqlite:///", 1)[1])
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_access_export_and_erasure_by_crypto_shredding(full_stack):
    stack = full_stack
    admin = stack.client()
    assert admin.post("/users", json={"username": "sw-li", "password": "password-123",
                                      "role": "social_worker"}).status_code == 201
    li = ApiClient(stack.url("gateway")).login("sw-li", "password-123")
    body = case_body(id_number="350203201701011234")
    first = li.post("/cases", json=body, headers={"Idempotency-Key": "open-chen-1"})
    assert first.status_code == 201, first.text
    case = first.json()
    cid, pid = case["id"], case["person"]["id"]
    assert li.post(f"/cases/{cid}/entries", json={"kind": "home_visit",
                                                   "text": f"入户见到{NAME}和{GUARDIAN}"}
                   ).status_code == 201
    adult = li.post("/cases", json=dict(case_body(name="林阿婆", phone="13912349999",
                                                   birth_year=1940, guardian=None),
                                         consent={"given_by": "self", "name": "林阿婆",
                                                  "scope": ["case_work"]},
                                         target_group="elderly"))
    assert adult.status_code == 201, adult.text
    need = li.post("/needs", json={"target_group": "children", "category": "care",
                                   "description": "放学后无人照看", "compound": "fulong_huayuan",
                                   "resident_name": GUARDIAN, "resident_phone": PHONE})
    assert need.status_code == 201, need.text
    assert li.get(f"/needs/{need.json()['id']}?reveal=true").json()["resident_name"] == GUARDIAN
    linked = li.post(f"/cases/{cid}/needs", json={"need_id": need.json()["id"]})
    assert linked.status_code == 200 and linked.json()["needs"][0]["number"] == need.json()["number"]
    wait_for_reports(stack)
    with stack.rpc() as rpc:
        figures = rpc.reports.dump_figures()

    # the access request: one file with everything of theirs
    assert li.get(f"/case-persons/{pid}/export").status_code == 403
    export = admin.get(f"/case-persons/{pid}/export")
    assert export.status_code == 200, export.text
    assert "attachment" in export.headers["Content-Disposition"]
    document = json.loads(export.content)
    assert document["person"]["name"] == NAME and document["person"]["phone"] == PHONE
    assert [c["number"] for c in document["cases"]] == ["GA000001"]
    assert f"入户见到{NAME}" in document["cases"][0]["timeline"][0]["text"]
    assert admin.get("/audit-log", params={"action": "export_case_person"}).json()["total"] == 1

    counts = li.get("/cases/counts").json()
    refused(admin.post(f"/case-persons/{pid}/erasure", json={"reason": "bored"}), "reason")
    assert li.post(f"/case-persons/{pid}/erasure",
                   json={"reason": "consent_withdrawn"}).status_code == 403
    erased = admin.post(f"/case-persons/{pid}/erasure", json={"reason": "consent_withdrawn"})
    assert erased.status_code == 200, erased.text
    assert erased.json()["persons_erased"] == 1

    # nothing of them can be read again, the counts stay, the file still counts
    assert li.get("/cases/counts").json() == counts
    after = li.get(f"/cases/{cid}").json()
    assert after["person"]["erased"] is True and NAME not in json.dumps(after, ensure_ascii=False)
    assert after["category"] == "care" and after["risk"] == "high"
    erased = li.post(f"/cases/{cid}/entries", json={"kind": "note", "text": "x"})
    assert erased.status_code == 409, erased.text
    assert "服务对象的个人信息已删除" in erased.json()["message"]
    # the linked need stays, without the contact it held of them
    need_after = li.get(f"/needs/{need.json()['id']}?reveal=true").json()
    assert need_after["category"] == "care" and need_after["description"] == "放学后无人照看"
    assert need_after["resident_name"] is None and need_after["resident_phone"] is None
    # the other person is untouched
    assert li.get(f"/cases/{adult.json()['id']}").json()["person"]["name"] == "林阿婆"
    # the figures, live and rebuilt from the event logs after the erasure, do not move
    with stack.rpc() as rpc:
        assert rpc.reports.dump_figures() == figures
    assert admin.post("/reports/rebuild").status_code == 202
    wait_until(lambda: admin.get("/reports/rebuild").json()["status"] == "done",
               timeout=30, interval=0.2, message="the rebuild")
    with stack.rpc() as rpc:
        assert rpc.reports.dump_figures() == figures

    # the answer kept for a retry of the first write is a receipt without personal data
    with stack.engine("resources").connect() as conn:
        [kept] = conn.execute(text("SELECT answer FROM idempotency_keys "
                                   "WHERE entrypoint = 'open_case'")).scalars().all()
    assert json.loads(kept)["number"] == "GA000001" and "person" not in json.loads(kept)
    retry = li.post("/cases", json=body, headers={"Idempotency-Key": "open-chen-1"})
    assert retry.status_code == 201 and retry.json()["id"] == cid
    assert retry.json()["person"]["erased"] is True

    # the database, the event log: no name, phone or ID number, in any encoding
    with stack.rpc() as rpc:
        log = rpc.resources.read_event_log(0, 5000)
    log_text = json.dumps(log, ensure_ascii=False, default=str)
    stored = _database_bytes(stack, "resources") + _database_bytes(stack, "gateway")
    for secret in (NAME, GUARDIAN, PHONE, "13912340002", "350203201701011234"):
        assert secret not in log_text
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert secret.encode(encoding) not in stored, (secret, encoding)
        assert json.dumps(secret).strip('"').encode() not in stored
