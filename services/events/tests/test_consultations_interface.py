"""Consultations (意见征集) through the gateway on the real broker: staff create one,
residents answer on the public API once per phone while it is open, staff read the results
and export them, and reports counts the residents consulted."""
import io
from datetime import timedelta

from openpyxl import load_workbook

from common import times
from tests.fixtures import wait_until

QUESTIONS = [
    {"kind": "single", "text": "您最希望增设哪类设施？", "options": ["充电桩", "健身器材", "儿童游乐"]},
    {"kind": "multiple", "text": "您方便参加活动的时间", "options": ["工作日白天", "工作日晚上", "周末"]},
    {"kind": "rating", "text": "您对社区服务的满意度"},
    {"kind": "text", "text": "其他建议", "required": False},
]


def body(opens=0, closes=7, **overrides):
    today = times.local_today()
    data = {"title": "小区公共空间改造意见征集", "questions": QUESTIONS,
            "opens_on": (today + timedelta(days=opens)).isoformat(),
            "closes_on": (today + timedelta(days=closes)).isoformat(),
            "compounds": ["fulong_huayuan", "banshan_linhai"]}
    data.update(overrides)
    return data


def test_residents_answer_once_and_staff_see_results_export_and_kpi(stack):
    stack.start("events", "reports", "gateway")
    staff = stack.client()
    public = stack.client(login=False)
    before = stack.kpi(staff, "residents_consulted")

    assert public.post("/consultations", json=body()).status_code == 401
    created = staff.post("/consultations", json=body())
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    assert created.json()["status"] == "open" and created.json()["created_by"] == "admin"
    shown = public.get(f"/consultations/{cid}").json()
    assert shown["questions"][0]["options"] == ["充电桩", "健身器材", "儿童游乐"]
    assert "created_by" not in shown
    assert [c["id"] for c in public.get("/consultations").json()["items"]] == [cid]

    for phone, answers in (("13900000001", [0, [0, 2], 5, "多种树"]),
                           ("13900000002", [0, [2], 4, None]),
                           ("13900000003", [2, [1, 2], 3, "=1+1"])):
        answered = public.post(f"/consultations/{cid}/answers",
                               json={"phone": phone, "answers": answers})
        assert answered.status_code == 201, answered.text
        assert "phone" not in answered.json()
    # A resident's retry after a lost answer (same key) gets the first answer, not a 409.
    retried = [public.post(f"/consultations/{cid}/answers", headers={"Idempotency-Key": "a1"},
                           json={"phone": "13900000009", "answers": [1, [1], 4, None]})
               for _ in range(2)]
    assert [r.status_code for r in retried] == [201, 201]
    assert retried[0].json() == retried[1].json() and retried[1].json()["answers"] == 4
    again = public.post(f"/consultations/{cid}/answers",
                        json={"phone": "13900000002", "answers": [1, [0], 1, None]})
    assert again.status_code == 409 and again.json()["details"]["phone"]
    bad = public.post(f"/consultations/{cid}/answers",
                      json={"phone": "13900000004", "answers": [0, [0], 9, None]})
    assert bad.status_code == 422
    assert "answers.3" in bad.json()["details"] and "第3题" in bad.json()["message"]
    assert "满意度" in bad.json()["message"]
    no_phone = public.post(f"/consultations/{cid}/answers", json={"answers": [0, [0], 3, None]})
    assert no_phone.status_code == 422 and "phone" in no_phone.json()["details"]

    closed = staff.post("/consultations", json=body(-10, -1, title="上月意见征集")).json()
    late = public.post(f"/consultations/{closed['id']}/answers",
                       json={"phone": "13900000005", "answers": [0, [0], 3, None]})
    assert late.status_code == 422 and "已于" in late.json()["message"]

    results = staff.get(f"/consultations/{cid}/results")
    assert results.status_code == 200, results.text
    results = results.json()
    assert results["answers"] == 4
    single, multiple, rating, text = results["questions"]
    assert [c["count"] for c in single["choices"]] == [2, 1, 1]
    assert [c["count"] for c in multiple["choices"]] == [1, 2, 3]
    assert rating["mean"] == 4.0 and rating["ratings"] == [0, 0, 1, 2, 1]
    assert text["texts"] == ["多种树", "=1+1"]
    assert public.get(f"/consultations/{cid}/results").status_code == 401

    export = staff.get(f"/consultations/{cid}/results/export")
    assert export.status_code == 200, export.text
    assert export.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(export.content))
    rows = list(book["结果"].iter_rows(values_only=True))
    assert any(r[3] == "充电桩" and r[4] == 2 for r in rows)
    assert any(r[3] == "4 分" and r[4] == 2 and r[5] == 4 for r in rows)
    assert [r[2] for r in book["简答"].iter_rows(values_only=True)][1:] == ["多种树", "'=1+1"]

    wait_until(lambda: stack.kpi(staff, "residents_consulted") == before + 4,
               timeout=15, message="the residents consulted in the KPIs")
    periodic = staff.get("/reports/periodic", params={"period": times.month(times.now())})
    assert periodic.status_code == 200, periodic.text
    report = periodic.json()
    kpi = [k for k in report["kpis"]["kpis"] if k["kpi"] == "residents_consulted"]
    assert kpi[0]["label"] == "征求居民意见" and kpi[0]["actual"] == before + 4
    assert report["period_kpis"]["residents_consulted"] == 4  # this month's answers
