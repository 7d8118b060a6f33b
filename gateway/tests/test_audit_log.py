"""The audit log (审计日志) through the gateway on the real broker: a reveal of a
volunteer's phone and the creation, disabling and password reset of a user are listed,
newest first, with who and when; the filters narrow it; the rows hold usernames and record
ids, never the data revealed; only an admin reads it."""
from datetime import datetime, timedelta, timezone

from tests.fixtures import refused

PHONE = "13712340088"


def test_reveals_and_user_changes_are_listed_and_filtered(stack):
    stack.start("volunteers", "gateway")
    admin = stack.client()
    created = admin.post("/users", json={"username": "sw-audit", "password": "password-123",
                                         "role": "social_worker"})
    assert created.status_code == 201, created.text
    worker = stack.client(login=False).login("sw-audit", "password-123")
    volunteer = worker.post("/volunteers", json={"name": "审计测试", "phone": PHONE,
                                                 "compound": "fulong_huayuan"})
    assert volunteer.status_code == 201, volunteer.text
    volunteer_id = volunteer.json()["id"]
    masked = worker.get(f"/volunteers/{volunteer_id}")
    assert PHONE not in masked.text
    revealed = worker.get(f"/volunteers/{volunteer_id}", params={"reveal": "true"})
    assert PHONE in revealed.text

    log = admin.get("/audit-log")
    assert log.status_code == 200, log.text
    body = log.json()
    assert [(e["username"], e["action"], e["target"], e["kind"]) for e in body["items"]] == [
        ("sw-audit", "reveal_volunteer_contact", f"volunteer:{volunteer_id}", "reveal"),
        (stack.ADMIN[0], "create_user", f"user:{created.json()['id']}", "permission")]
    assert body["total"] == 2
    newest = body["items"][0]
    assert newest["action_label"] == "查看志愿者完整手机号/身份证号"
    at = datetime.fromisoformat(newest["at"].replace("Z", "+00:00"))
    assert abs(at - datetime.now(timezone.utc)) < timedelta(minutes=5)
    assert newest["request_id"] == revealed.headers["X-Request-Id"]
    assert PHONE not in log.text and "审计测试" not in log.text
    assert body["actions"]["create_user"] == {"label": "创建用户", "kind": "permission"}

    def actions(**params):
        answer = admin.get("/audit-log", params=params)
        assert answer.status_code == 200, answer.text
        return [e["action"] for e in answer.json()["items"]]

    assert actions(actor="sw-audit") == ["reveal_volunteer_contact"]
    assert actions(action="create_user") == ["create_user"]
    assert actions(kind="permission") == ["create_user"]
    assert actions(target=f"volunteer:{volunteer_id}") == ["reveal_volunteer_contact"]
    today = (datetime.now(timezone.utc) + timedelta(hours=8)).date()
    assert len(actions(**{"from": today.isoformat(), "to": today.isoformat()})) == 2
    assert actions(to=(today - timedelta(days=1)).isoformat()) == []
    assert actions(**{"from": (today + timedelta(days=1)).isoformat()}) == []
    page = admin.get("/audit-log", params={"per_page": 1, "page": 2}).json()
    assert [e["action"] for e in page["items"]] == ["create_user"] and page["total"] == 2

    refused(admin.get("/audit-log", params={"kind": "gossip"}), "kind")
    refused(admin.get("/audit-log", params={"from": "2026-12-02", "to": "2026-12-01"}), "to")
    refused(admin.get("/audit-log", params={"per_page": 10_000}), "per_page")
    refused(admin.get("/audit-log", params={"who": "x"}), "who")
    assert worker.get("/audit-log").status_code == 403
    assert stack.client(login=False).get("/audit-log").status_code == 401

    # an admin disables the social worker, then resets its password: two changes, two rows
    uid = created.json()["id"]
    assert admin.patch(f"/users/{uid}", json={"active": False}).status_code == 200
    assert admin.patch(f"/users/{uid}", json={"active": True,
                                              "password": "another-pass-2026"}).status_code == 200
    changes = admin.get("/audit-log", params={"kind": "permission", "target": f"user:{uid}"})
    assert [(e["username"], e["action"], e["action_label"]) for e in changes.json()["items"]] == [
        (stack.ADMIN[0], "reset_user_password", "重置用户密码"),
        (stack.ADMIN[0], "enable_user", "启用用户"),
        (stack.ADMIN[0], "disable_user", "停用用户"),
        (stack.ADMIN[0], "create_user", "创建用户")]
    assert "another-pass-2026" not in changes.text
