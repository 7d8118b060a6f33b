"""Unit tests of services/volunteers/domain.py on a real SQLite database (no broker)."""
import io
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from common import times
from common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.volunteers import certificate_pdf, domain
from services.volunteers.models import (Certificate, HoursEntry, Shift, Signup, Volunteer)

VERIFY_URL = "https://ronghe.example.cn/verify/ZYFW-HETONG-2026-000001?code=ABCD2345"

UTC = timezone.utc
# A Saturday, 2026-11-28, 09:00-12:00 local time (01:00-04:00 UTC).
SAT_9 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


def register(store, crypto, name="林阿姨", phone="13812345678", **extra):
    with store.uow() as uow:
        return domain.register_volunteer(uow, crypto, {"name": name, "phone": phone, **extra})


def many(store, crypto, n, **extra):
    return [register(store, crypto, name=f"志愿者{i}", phone=f"139{i:08d}", **extra)
            for i in range(n)]


def shift(store, places=3, start=SAT_9, hours=3, **extra):
    with store.uow() as uow:
        return domain.create_shift(uow, {
            "name": "敬老院探访", "places": places, "start": start.isoformat(),
            "end": (start + timedelta(hours=hours)).isoformat(), **extra})


def sign_up(store, shift_id, volunteer_id):
    with store.uow() as uow:
        return domain.sign_up(uow, shift_id, {"volunteer_id": volunteer_id})


def attend(store, signup_id, check_in, check_out):
    with store.uow() as uow:
        domain.check_in(uow, signup_id, {"at": check_in.isoformat()}, "sw1")
    with store.uow() as uow:
        return domain.check_out(uow, signup_id, {"at": check_out.isoformat()}, "sw1")


# -- registry ------------------------------------------------------------------------

def test_registration_encrypts_hashes_and_masks_pii(store, crypto):
    v = register(store, crypto, id_number="35020319800101123X", gender="female",
                 birth_year=1962, compound="fulong_huayuan", skills=["cooking", "first_aid"],
                 talent=True, availability=[{"weekday": 6, "start": "08:00", "end": "12:00"}])
    assert v["number"] == "V000001"
    assert v["phone"] == "138****5678"
    assert v["id_number"] == "3502**********123X"
    assert v["talent"] is True and v["gender"] == "female" and v["birth_year"] == 1962
    with store.session() as session:
        row = session.get(Volunteer, v["id"])
        stored = json.dumps([row.name_enc, row.phone_enc, row.phone_hash, row.id_number_enc,
                             row.id_number_hash])
    for secret in ("林阿姨", "13812345678", "35020319800101123X"):
        assert secret not in stored
    with store.session() as session:
        assert domain.get_volunteer(session, crypto, v["id"], reveal=True)["phone"] == \
            "13812345678"
    # Facts never carry PII.
    text = json.dumps(store.events(), ensure_ascii=False)
    assert "林阿姨" not in text and "13812345678" not in text and "3502" not in text


def test_duplicate_phone_is_a_conflict_naming_the_existing_volunteer(store, crypto):
    first = register(store, crypto)
    with pytest.raises(Conflict) as exc:
        register(store, crypto, name="别人", phone="138-1234-5678")
    assert exc.value.details["volunteer_id"] == first["id"]
    assert exc.value.details["volunteer_number"] == first["number"]
    assert store.count(Volunteer) == 1


@pytest.mark.parametrize("field,value", [
    ("phone", "12345"), ("skills", ["First Aid!"]), ("id_number", "123"),
    ("availability", [{"weekday": 8, "start": "09:00", "end": "10:00"}]),
    ("availability", [{"weekday": 1, "start": "11:00", "end": "10:00"}]),
    ("nickname", "x"),
])
def test_bad_registration_names_the_field_and_writes_nothing(store, crypto, field, value):
    data = {"name": "王", "phone": "13900000001", field: value}
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.register_volunteer(uow, crypto, data)
    assert field in exc.value.details
    assert store.count(Volunteer) == 0 and store.events() == []


def test_update_records_changed_fields_and_checks_phone(store, crypto):
    a = register(store, crypto)
    b = register(store, crypto, name="李", phone="13900000002")
    with store.uow() as uow:
        updated = domain.update_volunteer(uow, crypto, a["id"], {
            "skills": ["tutoring"], "status": "inactive", "compound": "gangwu_xiaoqu"})
    assert updated["skills"] == ["tutoring"] and updated["status"] == "inactive"
    event = store.events("volunteer_updated")[-1]["payload"]
    assert sorted(event["changed_fields"]) == ["compound", "skills", "status"]
    with pytest.raises(Conflict) as exc:
        with store.uow() as uow:
            domain.update_volunteer(uow, crypto, a["id"], {"phone": "13900000002"})
    assert exc.value.details["volunteer_id"] == b["id"]


def test_list_filters_and_search(store, crypto):
    register(store, crypto, skills=["cooking"], compound="binhai_senlin", talent=True)
    register(store, crypto, name="王小明", phone="13900000002", skills=["tutoring"],
             compound="gangwu_xiaoqu")
    with store.session() as session:
        assert domain.list_volunteers(session, crypto, {"skill": "cooking"})["total"] == 1
        assert domain.list_volunteers(session, crypto, {"talent": True})["total"] == 1
        assert domain.list_volunteers(session, crypto, {"q": "小明"})["items"][0]["compound"] == \
            "gangwu_xiaoqu"
        assert domain.list_volunteers(session, crypto, {"q": "13900000002"})["total"] == 1
        assert domain.list_volunteers(session, crypto, {"q": "V000001"})["total"] == 1


def test_teams_with_leader(store, crypto):
    a, b, c = many(store, crypto, 3)
    with store.uow() as uow:
        team = domain.create_team(uow, {"name": "银龄志愿服务队", "leader_id": a["id"],
                                        "member_ids": [b["id"]]})
    assert team["leader_id"] == a["id"]
    assert [m["id"] for m in team["members"]] == [a["id"], b["id"]]
    with store.session() as session:
        assert domain.get_volunteer(session, crypto, b["id"])["team_ids"] == [team["id"]]
    with pytest.raises(Conflict):
        with store.uow() as uow:
            domain.create_team(uow, {"name": "银龄志愿服务队", "leader_id": c["id"]})
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.create_team(uow, {"name": "x", "leader_id": 999})
    assert "leader_id" in exc.value.details


def test_available_honours_skills_weekly_availability_and_shifts_taken(store, crypto):
    saturday_morning = [{"weekday": 6, "start": "08:00", "end": "12:00"}]
    free = register(store, crypto, name="甲", phone="13900000001", skills=["first_aid"],
                    availability=saturday_morning)
    register(store, crypto, name="乙", phone="13900000002", skills=["cooking"],
             availability=saturday_morning)                       # wrong skill
    register(store, crypto, name="丙", phone="13900000003", skills=["first_aid"],
             availability=[{"weekday": 7, "start": "08:00", "end": "12:00"}])  # Sundays
    busy = register(store, crypto, name="丁", phone="13900000004", skills=["first_aid"])
    flexible = register(store, crypto, name="戊", phone="13900000005", skills=["first_aid"])
    other = shift(store, start=SAT_9 + timedelta(hours=1))
    sign_up(store, other["id"], busy["id"])
    with store.session() as session:
        found = domain.available_volunteers(session, crypto, {
            "skills": ["first_aid"], "start": SAT_9.isoformat(),
            "end": (SAT_9 + timedelta(hours=2)).isoformat()})
        assert [v["id"] for v in found["items"]] == [free["id"], flexible["id"]]
        assert found["items"][0]["name"] == "甲"  # one character: nothing to mask
        # 11:00-13:00 local runs past 甲's slot.
        later = domain.available_volunteers(session, crypto, {
            "skills": ["first_aid"], "start": (SAT_9 + timedelta(hours=2)).isoformat(),
            "end": (SAT_9 + timedelta(hours=4)).isoformat()})
        assert free["id"] not in [v["id"] for v in later["items"]]
        for end, reason in ((SAT_9, "must be after start"),
                            (SAT_9 + timedelta(days=32), "at most 31 days after start")):
            with pytest.raises(ValidationFailed) as exc:
                domain.available_volunteers(session, crypto, {"start": SAT_9.isoformat(),
                                                              "end": end.isoformat()})
            assert exc.value.to_dict("en")["details"] == {"end": [reason]}


def test_is_available_across_midnight():
    night = [{"weekday": 5, "start": "22:00", "end": "24:00"},
             {"weekday": 6, "start": "00:00", "end": "02:00"}]
    fri_23 = datetime(2026, 11, 27, 23, 0)  # local
    assert domain.is_available(night, fri_23, fri_23 + timedelta(hours=2))
    assert not domain.is_available(night, fri_23, fri_23 + timedelta(hours=4))


def test_suggest_ranks_by_matching_skills_then_compound(store, crypto):
    a = register(store, crypto, name="甲", phone="13900000001", skills=["cooking"],
                 compound="binhai_senlin")
    b = register(store, crypto, name="乙", phone="13900000002", skills=["cooking", "care"],
                 compound="gangwu_xiaoqu")
    c = register(store, crypto, name="丙", phone="13900000003", skills=["care"],
                 compound="gangwu_xiaoqu")
    register(store, crypto, name="丁", phone="13900000004", skills=["law"],
             compound="gangwu_xiaoqu")
    with store.session() as session:
        ranked = domain.suggest_volunteers(session, ["cooking", "care"], compound="binhai_senlin")
    assert [r["volunteer_id"] for r in ranked] == [b["id"], a["id"], c["id"]]
    assert ranked[0]["matching_skills"] == ["care", "cooking"]
    assert set(ranked[0]) >= {"volunteer_id", "number", "skills", "compound",
                              "matching_skills"}
    assert "name" not in ranked[0] and "phone" not in ranked[0]


# -- shifts and sign-ups -------------------------------------------------------------

def test_capacity_waitlist_in_order_and_one_promotion(store, crypto):
    volunteers = many(store, crypto, 5)
    s = shift(store, places=2)
    signups = [sign_up(store, s["id"], v["id"]) for v in volunteers]
    assert [x["status"] for x in signups] == ["confirmed"] * 2 + ["waitlisted"] * 3
    assert [x["waitlist_position"] for x in signups[2:]] == [1, 2, 3]
    with store.uow() as uow:
        cancelled = domain.cancel_signup(uow, signups[0]["id"])
    assert cancelled["status"] == "cancelled"
    assert cancelled["promoted_signup_id"] == signups[2]["id"]
    with pytest.raises(Conflict):
        with store.uow() as uow:
            domain.cancel_signup(uow, signups[0]["id"])
    assert len(store.events("waitlist_promoted")) == 1
    with store.session() as session:
        statuses = [session.get(Signup, x["id"]).status for x in signups]
        assert statuses == ["cancelled", "confirmed", "confirmed", "waitlisted", "waitlisted"]
        assert domain.get_signup(session, signups[3]["id"])["waitlist_position"] == 1
    # Cancelling a waitlisted place promotes nobody.
    with store.uow() as uow:
        domain.cancel_signup(uow, signups[3]["id"])
    assert len(store.events("waitlist_promoted")) == 1
    # Each sign-up fact carries its shift's start: it counts in the shift's month.
    for kind in ("shift_signed_up", "shift_signup_cancelled", "waitlist_promoted"):
        assert {times.parse(e["payload"]["shift_start"]) for e in store.events(kind)} \
            == {SAT_9}, kind


def test_double_sign_up_and_overlapping_shifts_are_conflicts(store, crypto):
    v = register(store, crypto)
    first = shift(store)
    overlapping = shift(store, start=SAT_9 + timedelta(hours=2))
    after = shift(store, start=SAT_9 + timedelta(hours=3))
    signup = sign_up(store, first["id"], v["id"])
    with pytest.raises(Conflict) as exc:
        sign_up(store, first["id"], v["id"])
    assert exc.value.details["signup_id"] == signup["id"]
    with pytest.raises(Conflict) as exc:
        sign_up(store, overlapping["id"], v["id"])
    assert exc.value.details["shift_id"] == first["id"]
    assert sign_up(store, after["id"], v["id"])["status"] == "confirmed"  # back to back is fine
    assert store.count(Signup) == 2


def test_volunteer_may_only_sign_up_themselves(store, crypto):
    a, b = many(store, crypto, 2)
    s = shift(store)
    with pytest.raises(Forbidden):
        with store.uow() as uow:
            domain.sign_up(uow, s["id"], {"volunteer_id": b["id"]}, only_volunteer_id=a["id"])


def test_role_added_opens_one_shift_and_event_cancelled_closes_it(store, crypto):
    payload = {"role_id": 7, "event_id": 3, "name": "引导员", "skills": ["guide"],
               "places": 2, "start": "2026-12-01T01:00:00Z", "end": "2026-12-01T03:00:00Z"}
    with store.uow() as uow:
        opened = domain.open_shift_for_role(uow, payload)
    with store.uow() as uow:
        again = domain.open_shift_for_role(uow, payload)
    assert opened["id"] == again["id"] and store.count(Shift) == 1
    assert opened["event_id"] == 3 and opened["places"] == 2
    assert len(store.events("shift_opened")) == 1
    a, b, c = many(store, crypto, 3)
    for v in (a, b, c):
        sign_up(store, opened["id"], v["id"])
    with store.uow() as uow:
        result = domain.cancel_event_shifts(uow, 3)
    assert result == {"shifts_cancelled": 1, "signups_cancelled": 3}
    assert store.events("waitlist_promoted") == []
    assert {e["payload"]["was_status"] for e in store.events("shift_signup_cancelled")} == \
        {"confirmed", "waitlisted"}
    with pytest.raises(Conflict):
        sign_up(store, opened["id"], a["id"])


# -- hours ledger --------------------------------------------------------------------

def test_check_in_out_records_pending_minutes(store, crypto):
    v = register(store, crypto)
    s = shift(store)
    signup = sign_up(store, s["id"], v["id"])
    out = attend(store, signup["id"], SAT_9 - timedelta(minutes=5),
                 SAT_9 + timedelta(hours=2, minutes=50))
    entry = out["hours_entry"]
    assert entry["minutes"] == 175 and entry["status"] == "pending"
    assert entry["source"] == "check_out" and entry["flagged"] is False
    assert entry["service_date"] == "2026-11-28"
    recorded = store.events("hours_recorded")[-1]["payload"]
    assert recorded["minutes"] == 175 and recorded["shift_id"] == s["id"]
    with pytest.raises(Conflict):
        with store.uow() as uow:
            domain.check_out(uow, signup["id"], {"at": SAT_9.isoformat()})


def test_check_out_before_check_in_names_the_field_and_writes_nothing(store, crypto):
    v = register(store, crypto)
    signup = sign_up(store, shift(store)["id"], v["id"])
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.check_out(uow, signup["id"], {})
    assert "checked_in_at" in exc.value.details
    with store.uow() as uow:
        domain.check_in(uow, signup["id"], {"at": SAT_9.isoformat()})
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.check_out(uow, signup["id"], {"at": (SAT_9 - timedelta(minutes=1))
                                                 .isoformat()})
    assert "at" in exc.value.details
    assert store.count(HoursEntry) == 0 and store.events("hours_recorded") == []


def test_waitlisted_cannot_check_in(store, crypto):
    a, b = many(store, crypto, 2)
    s = shift(store, places=1)
    sign_up(store, s["id"], a["id"])
    waiting = sign_up(store, s["id"], b["id"])
    with pytest.raises(Conflict):
        with store.uow() as uow:
            domain.check_in(uow, waiting["id"], {"at": SAT_9.isoformat()})


def test_open_check_in_is_closed_at_shift_end_and_flagged(store, crypto):
    v = register(store, crypto)
    s = shift(store)  # ends SAT_9 + 3h
    signup = sign_up(store, s["id"], v["id"])
    with store.uow() as uow:
        domain.check_in(uow, signup["id"], {"at": SAT_9.isoformat()})
    end = SAT_9 + timedelta(hours=3)
    with store.uow() as uow:  # within the grace period: left alone
        assert domain.auto_close_overdue(uow, now=end + timedelta(minutes=29)) == []
    with store.uow() as uow:
        closed = domain.auto_close_overdue(uow, now=end + timedelta(minutes=31))
    assert len(closed) == 1
    assert closed[0]["minutes"] == 180 and closed[0]["flagged"] is True
    assert closed[0]["source"] == "auto_closed" and closed[0]["status"] == "pending"
    with store.uow() as uow:
        assert domain.auto_close_overdue(uow, now=end + timedelta(hours=5)) == []
    with store.session() as session:
        row = session.get(Signup, signup["id"])
        assert times.from_storage(row.checked_out_at) == end and row.auto_closed


def test_late_check_out_is_treated_like_the_auto_close(store, crypto):
    v = register(store, crypto)
    signup = sign_up(store, shift(store)["id"], v["id"])
    out = attend(store, signup["id"], SAT_9, SAT_9 + timedelta(hours=6))
    assert out["hours_entry"]["minutes"] == 180 and out["hours_entry"]["flagged"]


def test_approve_reject_and_corrections(store, crypto):
    v = register(store, crypto)
    signup = sign_up(store, shift(store)["id"], v["id"])
    entry = attend(store, signup["id"], SAT_9, SAT_9 + timedelta(hours=2))["hours_entry"]
    with store.uow() as uow:
        approved = domain.approve_hours(uow, entry["id"], "sw2")
    assert approved["status"] == "approved" and approved["counted_minutes"] == 120
    with pytest.raises(Conflict):  # decided once
        with store.uow() as uow:
            domain.approve_hours(uow, entry["id"], "sw2")
    # Manual entries need a reason.
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.record_hours(uow, {"volunteer_id": v["id"], "minutes": 30,
                                      "service_date": "2026-11-29"})
    assert "reason" in exc.value.details
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.record_hours(uow, {"volunteer_id": v["id"], "minutes": 0,
                                      "service_date": "2026-11-29", "reason": "无记录"})
    assert "minutes" in exc.value.details
    with store.uow() as uow:
        manual = domain.record_hours(uow, {"volunteer_id": v["id"], "minutes": 60,
                                           "service_date": "2026-11-29",
                                           "reason": "入户探访，纸质签到"}, "sw1")
    assert manual["source"] == "manual"
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.reject_hours(uow, manual["id"], "sw2", "")
    assert "reason" in exc.value.details
    with store.uow() as uow:
        domain.reject_hours(uow, manual["id"], "sw2", "没有签到记录")
    # A correction of the approved entry: a new entry; the old one is unchanged.
    with store.uow() as uow:
        correction = domain.record_hours(uow, {
            "volunteer_id": v["id"], "minutes": 150, "service_date": "2026-11-28",
            "reason": "签退时间录错", "corrects_entry_id": entry["id"]}, "sw1")
    assert correction["source"] == "correction" and correction["shift_id"] == entry["shift_id"]
    with store.uow() as uow:
        assert domain.approve_hours(uow, correction["id"], "sw2")["counted_minutes"] == 30
    with store.session() as session:
        old = session.get(HoursEntry, entry["id"])
        assert old.minutes == 120 and old.status == "approved"
        assert domain.approved_minutes(session, v["id"]) == 150
    # The replaced entry cannot be corrected again: correct the latest.
    with pytest.raises(Conflict) as exc:
        with store.uow() as uow:
            domain.record_hours(uow, {"volunteer_id": v["id"], "minutes": 10,
                                      "service_date": "2026-11-28", "reason": "再改",
                                      "corrects_entry_id": entry["id"]})
    assert exc.value.details["corrected_by"] == correction["id"]
    counted = [e["payload"]["counted_minutes"] for e in store.events("hours_approved")]
    assert counted == [120, 30] and sum(counted) == 150
    assert store.events("hours_rejected")[0]["payload"]["minutes"] == 60
    # The rejection counts in the month of the service it claimed, whenever decided.
    assert store.events("hours_rejected")[0]["payload"]["service_date"] == "2026-11-29"


def test_correction_of_a_pending_entry_blocks_its_later_approval(store, crypto):
    v = register(store, crypto)
    with store.uow() as uow:
        first = domain.record_hours(uow, {"volunteer_id": v["id"], "minutes": 60,
                                          "service_date": "2026-11-29", "reason": "补录"})
    with store.uow() as uow:
        fix = domain.record_hours(uow, {"volunteer_id": v["id"], "minutes": 45,
                                        "service_date": "2026-11-29", "reason": "更正",
                                        "corrects_entry_id": first["id"]})
    with store.uow() as uow:
        assert domain.approve_hours(uow, fix["id"])["counted_minutes"] == 45
    with pytest.raises(Conflict):
        with store.uow() as uow:
            domain.approve_hours(uow, first["id"])
    with store.session() as session:
        assert domain.approved_minutes(session, v["id"]) == 45



def manual(store, volunteer_id, minutes, day, recorder="sw1", **extra):
    with store.uow() as uow:
        return domain.record_hours(uow, {"volunteer_id": volunteer_id, "minutes": minutes,
                                         "service_date": day, "reason": "纸质签到表补录",
                                         **extra}, recorder)


def approve(store, entry_id, approver="sw2", **extra):
    with store.uow() as uow:
        return domain.approve_hours(uow, entry_id, approver, **extra)


def test_nobody_decides_an_entry_they_recorded_or_their_own_service(store, crypto):
    v, w = many(store, crypto, 2)
    entry = manual(store, v["id"], 60, "2026-11-20", recorder="sw1")
    for decide in (lambda uow: domain.approve_hours(uow, entry["id"], "sw1"),
                   lambda uow: domain.reject_hours(uow, entry["id"], "sw1", "重复录入")):
        with pytest.raises(Forbidden) as exc:
            with store.uow() as uow:
                decide(uow)
        assert "recorded" in str(exc.value) and exc.value.details["recorded_by"] == "sw1"
    # A staff member whose account is linked to the volunteer: not for their own hours.
    for decide in (lambda uow: domain.approve_hours(uow, entry["id"], "sw2",
                                                    actor_volunteer_id=v["id"]),
                   lambda uow: domain.reject_hours(uow, entry["id"], "sw2", "重复录入",
                                                   actor_volunteer_id=v["id"])):
        with pytest.raises(Forbidden) as exc:
            with store.uow() as uow:
                decide(uow)
        assert "own" in str(exc.value) and exc.value.details["volunteer_id"] == v["id"]
    # Hours recorded at check-out carry who closed the attendance: the same rule.
    signup = sign_up(store, shift(store)["id"], w["id"])
    checked_out = attend(store, signup["id"], SAT_9, SAT_9 + timedelta(hours=1))["hours_entry"]
    with pytest.raises(Forbidden):
        approve(store, checked_out["id"], "sw1")
    assert store.events("hours_approved") == [] and store.events("hours_rejected") == []
    with store.session() as session:
        assert {e.status for e in session.execute(select(HoursEntry)).scalars()} == {"pending"}
    decided = approve(store, entry["id"], "sw2", actor_volunteer_id=w["id"])
    assert (decided["recorded_by"], decided["decided_by"]) == ("sw1", "sw2")


def test_hours_are_for_service_done_and_at_most_a_day_long(store, crypto):
    v = register(store, crypto)
    today = times.local_today()
    with pytest.raises(ValidationFailed) as exc:
        manual(store, v["id"], 60, (today + timedelta(days=1)).isoformat())
    assert list(exc.value.details) == ["service_date"]
    with pytest.raises(ValidationFailed) as exc:
        manual(store, v["id"], 24 * 60 + 1, today.isoformat())
    assert list(exc.value.details) == ["minutes"]
    assert store.count(HoursEntry) == 0
    assert manual(store, v["id"], 24 * 60, today.isoformat())["minutes"] == 1440


# -- certificates --------------------------------------------------------------------

def _hours_for(store, crypto, v):
    s = shift(store)
    signup = sign_up(store, s["id"], v["id"])
    entry = attend(store, signup["id"], SAT_9, SAT_9 + timedelta(hours=2, minutes=30))
    with store.uow() as uow:
        domain.approve_hours(uow, entry["hours_entry"]["id"], "sw2")


def test_certificate_pdf_and_verification(store, crypto):
    v = register(store, crypto, name="林晓燕", id_number="35020319800101123X")
    _hours_for(store, crypto, v)
    with store.uow() as uow:
        cert = domain.issue_certificate(uow, crypto, v["id"], {
            "period_from": "2026-11-01", "period_to": "2026-11-30"}, "和通社区", "hetong",
            today=date(2026, 12, 1))
    assert cert["number"] == "ZYFW-HETONG-2026-000001"
    assert cert["approved_minutes"] == 150 and cert["approved_hours"] == 2.5
    assert cert["services"][0]["date"] == "2026-11-28"
    code = cert["verification_code"]
    with store.session() as session:
        doc = domain.certificate_document(session, crypto, cert["number"])
        good = domain.verify_certificate(session, crypto, cert["number"], code)
        lower = domain.verify_certificate(session, crypto, cert["number"], code.lower())
        with pytest.raises(NotFound):  # a wrong code is the same as no such number
            domain.verify_certificate(session, crypto, cert["number"], "WRONG123")
        with pytest.raises(NotFound):
            domain.verify_certificate(session, crypto, "ZYFW-X-1", code)
        with pytest.raises(Forbidden):
            domain.certificate_document(session, crypto, cert["number"],
                                        only_volunteer_id=v["id"] + 1)
    text = PdfReader(io.BytesIO(certificate_pdf.render(doc, VERIFY_URL))).pages[0].extract_text()
    for expected in ("志愿服务证明", cert["number"], "林晓燕", "2.5", "和通社区",
                     "2026-11-28", "2026-12-01", code, "3502**********123X"):
        assert expected in text, expected
    assert "35020319800101123X" not in text
    assert good["valid"] is True and lower["valid"] is True
    assert good["approved_hours"] == 2.5 and good["issuer"] == "和通社区"
    assert good["name_masked"] == "林**"
    assert "林晓燕" not in json.dumps(good, ensure_ascii=False)
    issued = store.events("certificate_issued")[0]["payload"]
    assert issued["approved_minutes"] == 150


def test_certificate_needs_approved_hours(store, crypto):
    v = register(store, crypto)
    with pytest.raises(ValidationFailed):
        with store.uow() as uow:
            domain.issue_certificate(uow, crypto, v["id"], {
                "period_from": "2026-11-01", "period_to": "2026-11-30"}, "和通社区", "hetong")
    assert store.count(Certificate) == 0
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.issue_certificate(uow, crypto, v["id"], {
                "period_from": "2026-11-30", "period_to": "2026-11-01"}, "和通社区", "hetong")
    assert "period_to" in exc.value.details


def test_no_event_payload_carries_pii(store, crypto):
    v = register(store, crypto, name="陈大伟", phone="13700001111", id_number="350203198001011234")
    _hours_for(store, crypto, v)
    with store.uow() as uow:
        domain.issue_certificate(uow, crypto, v["id"], {
            "period_from": "2026-11-01", "period_to": "2026-11-30"}, "和通社区", "hetong")
    with store.session() as session:
        rows = session.execute(select(Signup)).scalars().all()
        assert rows
    text = json.dumps(store.events(), ensure_ascii=False)
    for secret in ("陈大伟", "13700001111", "350203198001011234"):
        assert secret not in text



def certificate(store, crypto, v, period_from="2026-11-01", period_to="2026-11-30"):
    with store.uow() as uow:
        return domain.issue_certificate(uow, crypto, v["id"], {
            "period_from": period_from, "period_to": period_to}, "和通社区", "hetong", "sw2",
            today=date(2026, 12, 1))


def verify(store, crypto, cert):
    with store.session() as session:
        return domain.verify_certificate(session, crypto, cert["number"],
                                         cert["verification_code"])


def pdf_text(store, crypto, number):
    with store.session() as session:
        doc = domain.certificate_document(session, crypto, number)
    return PdfReader(io.BytesIO(certificate_pdf.render(doc, VERIFY_URL))).pages[0].extract_text()


def test_an_approved_correction_supersedes_the_certificates_covering_its_date(store, crypto):
    v = register(store, crypto, name="林晓燕")
    entry = manual(store, v["id"], 240, "2026-11-20")
    approve(store, entry["id"])
    october = manual(store, v["id"], 60, "2026-10-10")
    approve(store, october["id"])
    nov = certificate(store, crypto, v)
    year = certificate(store, crypto, v, "2026-01-01", "2026-12-31")
    oct_ = certificate(store, crypto, v, "2026-10-01", "2026-10-31")
    assert {c["status"] for c in (nov, year, oct_)} == {"valid"}
    assert nov["approved_hours"] == 4.0
    fix = manual(store, v["id"], 210, "2026-11-20", corrects_entry_id=entry["id"])
    assert verify(store, crypto, nov)["valid"] is True  # a pending correction changes nothing
    approve(store, fix["id"])

    stale = verify(store, crypto, nov)
    assert stale == {"number": nov["number"], "valid": False, "status": "superseded",
                     "volunteer_number": v["number"], "name_masked": "林**",
                     "period_from": "2026-11-01",
                     "period_to": "2026-11-30", "approved_hours": 4.0, "current_hours": 3.5,
                     "superseded_at": stale["superseded_at"], "replaces": None,
                     "replaced_by": None,
                     "issuer": "和通社区", "issued_on": "2026-12-01",
                     "services": [{"date": "2026-11-20", "minutes": 240,
                                   "recorded_by": "sw1", "decided_by": "sw2"}]}
    assert "林晓燕" not in json.dumps(stale, ensure_ascii=False)  # masked: 林**
    assert verify(store, crypto, year)["status"] == "superseded"
    assert verify(store, crypto, oct_) | {"valid": True, "status": "valid"} == \
        verify(store, crypto, oct_)
    with store.session() as session:
        listed = {c["number"]: c for c in
                  domain.list_certificates(session, crypto, v["id"])["items"]}
    assert listed[nov["number"]]["status"] == "superseded"
    assert str(fix["id"]) in listed[nov["number"]]["superseded_reason"]
    assert listed[oct_["number"]]["status"] == "valid"
    superseded = [e["payload"] for e in store.events("certificate_superseded")]
    assert sorted(p["certificate_number"] for p in superseded) == \
        sorted([nov["number"], year["number"]])
    assert {(p["approved_minutes"], p["current_minutes"], p["entry_id"])
            for p in superseded if p["certificate_number"] == nov["number"]} == \
        {(240, 210, fix["id"])}
    text = pdf_text(store, crypto, nov["number"])
    assert "已作废" in text and "3.5" in text

    # Reissue: one action, the same period at the current approved hours, linked both ways.
    with store.uow() as uow:
        new = domain.reissue_certificate(uow, crypto, nov["number"], "和通社区", "hetong",
                                         "sw2", today=date(2026, 12, 2))
    assert (new["period_from"], new["period_to"], new["approved_minutes"]) == \
        ("2026-11-01", "2026-11-30", 210)
    assert new["replaces"] == nov["number"] and new["status"] == "valid"
    assert [s["entry_id"] for s in new["services"]] == [fix["id"]]
    assert verify(store, crypto, nov)["replaced_by"] == new["number"]
    assert verify(store, crypto, new)["valid"] is True
    assert new["number"] in pdf_text(store, crypto, nov["number"])
    assert nov["number"] in pdf_text(store, crypto, new["number"])
    issued = store.events("certificate_issued")
    assert [e["payload"]["replaces"] for e in issued] == [None, None, None, nov["number"]]
    for number in (nov["number"], oct_["number"]):  # reissued already; still valid
        with pytest.raises(Conflict):
            with store.uow() as uow:
                domain.reissue_certificate(uow, crypto, number, "和通社区", "hetong", "sw2")


def test_only_changes_to_a_certified_periods_approved_hours_supersede(store, crypto):
    v = register(store, crypto)
    approve(store, manual(store, v["id"], 240, "2026-11-20")["id"])
    nov = certificate(store, crypto, v)
    rejected = manual(store, v["id"], 60, "2026-11-25")
    with store.uow() as uow:
        domain.reject_hours(uow, rejected["id"], "sw2", "无签到记录")
    approve(store, manual(store, v["id"], 30, "2026-12-01")["id"])  # after the period
    with store.uow() as uow:  # another volunteer's hours in the period
        other = domain.register_volunteer(uow, crypto, {"name": "陈", "phone": "13700001111"})
    approve(store, manual(store, other["id"], 30, "2026-11-20")["id"])
    assert verify(store, crypto, nov)["valid"] is True
    # A late entry approved inside the period changes its figure.
    approve(store, manual(store, v["id"], 45, "2026-11-05")["id"])
    assert verify(store, crypto, nov)["current_hours"] == 4.8


def test_a_correction_moving_service_to_another_period_supersedes_both(store, crypto):
    v = register(store, crypto)
    entry = manual(store, v["id"], 120, "2026-11-20")
    approve(store, entry["id"])
    approve(store, manual(store, v["id"], 60, "2026-10-10")["id"])
    nov = certificate(store, crypto, v)
    oct_ = certificate(store, crypto, v, "2026-10-01", "2026-10-31")
    approve(store, manual(store, v["id"], 120, "2026-10-20",
                          corrects_entry_id=entry["id"])["id"])
    assert (verify(store, crypto, nov)["current_hours"],
            verify(store, crypto, oct_)["current_hours"]) == (0.0, 3.0)
    # Nothing left to certify in November: the reissue is refused, naming the period.
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.reissue_certificate(uow, crypto, nov["number"], "和通社区", "hetong", "sw2")
    assert "period_from" in exc.value.details


# -- the time rule -------------------------------------------------------------------

@pytest.fixture
def new_york():
    """The community's zone set to one with summer time, then set back."""
    before = str(times.zone())
    times.configure({"TIMEZONE": "America/New_York"})
    yield
    times.configure({"TIMEZONE": before})


def test_naive_times_are_the_configured_zones_local_time(store, crypto, new_york):
    v = register(store, crypto, availability=[{"weekday": 3, "start": "21:00", "end": "23:59"}])
    with store.uow() as uow:  # Wednesday 1 July 2026, 21:30-23:00 in New York (EDT, -4)
        s = domain.create_shift(uow, {"name": "夜间巡查", "places": 1,
                                      "start": "2026-07-01T21:30:00", "end": "2026-07-01T23:00"})
    assert (s["start"], s["end"]) == ("2026-07-02T01:30:00Z", "2026-07-02T03:00:00Z")
    with store.session() as session:
        free = domain.available_volunteers(session, crypto, {"start": "2026-07-01T21:30",
                                                             "end": "2026-07-01T23:00"})
    assert [x["id"] for x in free["items"]] == [v["id"]]
    signup = sign_up(store, s["id"], v["id"])
    out = attend(store, signup["id"], datetime(2026, 7, 1, 21, 30),
                 datetime(2026, 7, 1, 22, 45))
    # The local day of the check-in, not the UTC one (2 July).
    assert out["hours_entry"]["service_date"] == "2026-07-01"
    assert out["checked_in_at"] == "2026-07-02T01:30:00Z"


def test_a_shift_may_mix_offset_and_local_times_within_this_century(store):
    with store.uow() as uow:
        s = domain.create_shift(uow, {"name": "早班", "places": 1,
                                      "start": "2026-11-28T09:00:00",
                                      "end": "2026-11-28T04:00:00Z"})
    assert (s["start"], s["end"]) == ("2026-11-28T01:00:00Z", "2026-11-28T04:00:00Z")
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.create_shift(uow, {"name": "早班", "places": 1,
                                      "start": "1999-11-28T09:00:00",
                                      "end": "1999-11-28T10:00:00"})
    assert "start" in exc.value.details and store.count(Shift) == 1
