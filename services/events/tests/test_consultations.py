"""Consultations (意见征集) in the events domain, on a real database without a broker:
the open span of local days, one answer per phone, answers checked against the questions,
results counted from the answers, the XLSX export, facts without personal data."""
import base64
import io
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from common import times
from common.errors import Conflict, ValidationFailed
from services.events import consultations
from services.events.models import ConsultationAnswer
from services.events.tests.conftest import BOTH_BACKENDS

QUESTIONS = [
    {"kind": "single", "text": "您最希望增设哪类设施？", "options": ["充电桩", "健身器材", "儿童游乐"]},
    {"kind": "multiple", "text": "您方便参加活动的时间", "options": ["工作日白天", "工作日晚上", "周末"]},
    {"kind": "rating", "text": "您对社区服务的满意度"},
    {"kind": "text", "text": "其他建议", "required": False},
]


def create(store, opens=0, closes=7, **overrides):
    today = times.local_today()
    data = {"title": "小区公共空间改造意见征集", "description": "请留下您的意见",
            "questions": QUESTIONS, "opens_on": (today + timedelta(days=opens)).isoformat(),
            "closes_on": (today + timedelta(days=closes)).isoformat(),
            "compounds": ["fulong_huayuan"]}
    data.update(overrides)
    with store.unit_of_work() as uow:
        return consultations.create_consultation(uow, data, "sw1")


def answer(store, crypto, cid, phone="13800001111", answers=(0, [0, 2], 4, "多种树")):
    with store.unit_of_work() as uow:
        return consultations.answer_consultation(uow, crypto, cid, {
            "phone": phone, "answers": list(answers)})


@BOTH_BACKENDS
def test_each_phone_answers_once_and_results_count_the_answers(store, crypto):
    consultation = create(store)
    assert consultation["status"] == "open" and consultation["answers"] == 0
    cid = consultation["id"]
    first = answer(store, crypto, cid)
    assert first["answers"] == 1
    answer(store, crypto, cid, "13800002222", (0, [2], 5, None))  # a blank optional one
    answer(store, crypto, cid, "13800003333", (1, [1, 2], 3, "  加装路灯 "))
    with pytest.raises(Conflict) as again:
        answer(store, crypto, cid, "13800002222", (2, [0], 1, None))
    assert again.value.to_dict()["details"]["phone"] == ["已回答"]
    assert store.count(ConsultationAnswer) == 3

    with store.session() as session:
        results = consultations.consultation_results(session, cid)
    assert results["answers"] == 3 and results["consultation"]["answers"] == 3
    single, multiple, rating, text = results["questions"]
    assert [c["count"] for c in single["choices"]] == [2, 1, 0]
    assert [c["count"] for c in multiple["choices"]] == [1, 1, 3]
    assert rating["ratings"] == [0, 0, 1, 1, 1] and rating["mean"] == 4.0
    assert text["texts"] == ["多种树", "加装路灯"] and text["answered"] == 2

    facts = store.events("consultation_answered")
    assert [f["payload"]["answers"] for f in facts] == [1, 2, 3]
    assert store.events("consultation_created")[0]["payload"]["questions"] == 4
    assert "13800001111" not in store.raw_outbox()
    assert crypto.lookup_hash("13800001111") not in store.raw_outbox()


@pytest.mark.parametrize("opens, closes, says", [(1, 5, "尚未开始"), (-9, -1, "已于")])
def test_answers_outside_the_open_days_are_refused_in_chinese(store, crypto, opens, closes,
                                                               says):
    cid = create(store, opens, closes)["id"]
    with pytest.raises(ValidationFailed) as refused:
        answer(store, crypto, cid)
    assert says in refused.value.to_dict()["message"] and "consultation" in refused.value.details
    assert store.count(ConsultationAnswer) == 0


def test_the_last_day_is_open_until_local_midnight(store, crypto, monkeypatch):
    cid = create(store, -3, 0)["id"]
    today = times.local_today()
    # 23:30 on the closing day in Xiamen is still that day there (15:30 UTC).
    late = datetime(today.year, today.month, today.day, 15, 30, tzinfo=timezone.utc)
    monkeypatch.setattr(times, "now", lambda: late)
    assert answer(store, crypto, cid)["answers"] == 1
    monkeypatch.setattr(times, "now", lambda: late + timedelta(hours=1))
    with pytest.raises(ValidationFailed):
        answer(store, crypto, cid, "13800002222")


@pytest.mark.parametrize("answers, field, reason", [
    ((3, [0], 4, None), "answers.1", "选项"),
    ((0, [0, 0], 4, None), "answers.2", "不重复"),
    ((0, [0], 6, None), "answers.3", "1–5"),
    ((0, [0], True, None), "answers.3", "1–5"),
    ((0, None, 4, None), "answers.2", "必答"),
    ((0, [0], 4, 12), "answers.4", "文字"),
    ((0, [0], 4), "answers", "4"),
])
def test_an_answer_that_does_not_fit_its_question_is_refused_naming_it(
        store, crypto, answers, field, reason):
    cid = create(store)["id"]
    with pytest.raises(ValidationFailed) as refused:
        answer(store, crypto, cid, answers=answers)
    shown = refused.value.to_dict()["details"]
    assert field in shown and reason in str(shown[field])
    if field != "answers":
        number = field.split(".")[1]
        assert f"第{number}题" in refused.value.to_dict()["message"]
    assert store.count(ConsultationAnswer) == 0 and not store.events("consultation_answered")


@pytest.mark.parametrize("change, field", [
    ({"questions": [{"kind": "single", "text": "只有一个选项", "options": ["是"]}]}, "questions"),
    ({"questions": [{"kind": "rating", "text": "评分", "options": ["a", "b"]}]}, "questions"),
    ({"questions": [{"kind": "essay", "text": "?"}]}, "questions"),
    ({"compounds": ["atlantis"]}, "compounds"),
    ({"opens_on": "2026-12-10", "closes_on": "2026-12-01"}, "closes_on"),
])
def test_a_bad_questionnaire_is_refused_naming_the_field(store, change, field):
    with pytest.raises(ValidationFailed) as refused:
        create(store, **change)
    assert field in refused.value.details


def test_listing_shows_residents_the_open_ones_and_staff_all(store, crypto):
    open_now = create(store)["id"]
    create(store, 3, 9)
    closed = create(store, -9, -2)["id"]
    with store.session() as session:
        public = consultations.list_consultations(session, {})
        staff_closed = consultations.list_consultations(session, {"status": "closed"},
                                                        staff=True)
        everything = consultations.list_consultations(session, {}, staff=True)
    assert [c["id"] for c in public["items"]] == [open_now]
    assert "created_by" not in public["items"][0]
    assert [c["id"] for c in staff_closed["items"]] == [closed]
    assert everything["total"] == 3


def test_the_export_is_a_workbook_with_neutralised_cells(store, crypto):
    cid = create(store)["id"]
    answer(store, crypto, cid, answers=(0, [1], 5, "=1+1 多建车位"))
    with store.session() as session:
        exported = consultations.export_results(session, cid)
    book = load_workbook(io.BytesIO(base64.b64decode(exported["content_base64"])))
    values = [c for row in book["结果"].iter_rows(values_only=True) for c in row if c]
    assert values[0] == "意见征集：小区公共空间改造意见征集"
    assert ("充电桩" in values) and 1 in values
    texts = [row for row in book["简答"].iter_rows(values_only=True)]
    assert texts[1][2] == "'=1+1 多建车位"


def test_a_phone_typed_into_a_short_answer_is_masked(store, crypto):
    cid = create(store)["id"]
    answer(store, crypto, cid, answers=(0, [0], 4, "有事请打 13912345678 找我"))
    with store.session() as session:
        texts = consultations.consultation_results(session, cid)["questions"][3]["texts"]
    assert texts == ["有事请打 139****5678 找我"]
