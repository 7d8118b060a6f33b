"""The volunteer rules at their edges, as a volunteer or a social worker would notice
them: whose hours may be corrected, what a rejection needs, which days a certificate
counts, who gets a freed place, which shifts clash, who may sign up at all, and what is
recorded about each decision."""
from datetime import datetime, timedelta, timezone

import pytest

from common import times
from common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.volunteers import domain
from services.volunteers.models import Certificate, HoursEntry, Signup
from services.volunteers.tests.test_domain import (SAT_9, approve, attend, manual, many,
                                                   register,
                                                   shift, sign_up)

UTC = timezone.utc


def told(exc):
    """The refusal as the API gives it in English: message and details rendered."""
    return exc.value.to_dict("en")



def approved_minutes(store, volunteer_id):
    with store.session() as session:
        return domain.approved_minutes(session, volunteer_id)


# -- hours ---------------------------------------------------------------------------

def test_one_volunteer_cannot_correct_another_volunteers_hours(store, crypto):
    a, b = many(store, crypto, 2)
    entry = manual(store, b["id"], 60, "2026-11-20")
    approve(store, entry["id"])
    with pytest.raises(ValidationFailed) as exc:
        manual(store, a["id"], 0, "2026-11-20", corrects_entry_id=entry["id"])
    assert told(exc)["message"] == "a correction is for the same volunteer"
    assert told(exc)["details"] == {"volunteer_id": [f"entry {entry['id']} belongs to another "
                                                f"volunteer"]}
    assert approved_minutes(store, b["id"]) == 60
    assert store.count(HoursEntry) == 1


def test_hours_for_an_unknown_volunteer_or_entry_are_refused_naming_the_field(store, crypto):
    v = register(store, crypto)
    unknown = v["id"] + 99
    with pytest.raises(ValidationFailed) as exc:
        manual(store, unknown, 30, "2026-11-20")
    assert exc.value.status == 422
    assert told(exc)["message"] == f"volunteer {unknown} not found"
    assert told(exc)["details"] == {"volunteer_id": ["no such volunteer"]}
    with pytest.raises(ValidationFailed) as exc:
        manual(store, v["id"], 30, "2026-11-20", corrects_entry_id=12345)
    assert exc.value.status == 422 and told(exc)["message"] == "hours entry 12345 not found"
    assert told(exc)["details"] == {"corrects_entry_id": ["no such entry"]}
    with pytest.raises(ValidationFailed) as exc:
        manual(store, v["id"], 30, "2026-11-20", shift_id=777)
    assert exc.value.status == 422 and told(exc)["message"] == "shift 777 not found"
    assert told(exc)["details"] == {"shift_id": ["no such shift"]}
    with pytest.raises(ValidationFailed) as exc:
        manual(store, v["id"], 0, "2026-11-20")
    assert told(exc)["details"] == {
        "minutes": ["at least 1 (0 only to correct an entry to nothing)"]}
    assert store.count(HoursEntry) == 0


def test_hours_recorded_by_hand_for_a_shift_carry_the_shift(store, crypto):
    v = register(store, crypto)
    s = shift(store)
    entry = manual(store, v["id"], 90, "2026-11-28", shift_id=s["id"])
    assert entry["shift_id"] == s["id"] and entry["description"] == "敬老院探访"
    assert entry["source"] == "manual"


@pytest.mark.parametrize("reason", ["重复", "无效", "  重复  "])
def test_a_two_character_reason_is_enough_to_reject(store, crypto, reason):
    v = register(store, crypto)
    entry = manual(store, v["id"], 60, "2026-11-20")
    with store.uow() as uow:
        rejected = domain.reject_hours(uow, entry["id"], "sw2", reason)
    assert rejected["status"] == "rejected"
    assert rejected["decision_reason"] == reason.strip()


@pytest.mark.parametrize("reason", [None, "", "否", "   ", " 否 "])
def test_a_rejection_without_a_real_reason_is_refused(store, crypto, reason):
    v = register(store, crypto)
    entry = manual(store, v["id"], 60, "2026-11-20")
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.reject_hours(uow, entry["id"], "sw2", reason)
    assert "reason" in told(exc)["details"]
    with store.session() as session:
        assert session.get(HoursEntry, entry["id"]).status == "pending"
    assert store.events("hours_rejected") == []


def test_who_approved_or_rejected_an_entry_when_and_why_is_kept(store, crypto):
    v = register(store, crypto)
    first = manual(store, v["id"], 60, "2026-11-20")
    second = manual(store, v["id"], 30, "2026-11-21")
    before = times.now()
    approved = approve(store, first["id"], "sw2", reason="签到表核对无误")
    with store.uow() as uow:
        rejected = domain.reject_hours(uow, second["id"], "sw3", "当天未开展活动")
    after = times.now()
    with store.session() as session:
        listed = {e["id"]: e for e in domain.list_hours(session, {})["items"]}
    for answer in (approved, listed[first["id"]]):
        assert answer["decided_by"] == "sw2" and answer["decision_reason"] == "签到表核对无误"
        assert before <= times.parse(answer["decided_at"]) <= after
    for answer in (rejected, listed[second["id"]]):
        assert answer["decided_by"] == "sw3" and answer["decision_reason"] == "当天未开展活动"
        assert before <= times.parse(answer["decided_at"]) <= after
    assert listed[first["id"]]["recorded_by"] == "sw1"


def test_a_certificate_counts_the_first_and_the_last_day_of_its_period(store, crypto):
    v = register(store, crypto)
    for minutes, day in ((60, "2026-10-31"), (30, "2026-11-01"), (45, "2026-11-30"),
                         (20, "2026-12-01")):
        approve(store, manual(store, v["id"], minutes, day)["id"])
    with store.uow() as uow:
        cert = domain.issue_certificate(uow, crypto, v["id"], {
            "period_from": "2026-11-01", "period_to": "2026-11-30"}, "和通社区", "hetong")
    assert cert["approved_minutes"] == 75
    assert [s["date"] for s in cert["services"]] == ["2026-11-01", "2026-11-30"]
    assert store.count(Certificate) == 1


# -- sign-ups ------------------------------------------------------------------------

def test_a_freed_place_goes_to_the_waitlist_of_that_shift_only(store, crypto):
    a1, b1, b2, a2 = many(store, crypto, 4)
    shift_a = shift(store, places=1)
    shift_b = shift(store, places=1, start=SAT_9 + timedelta(days=1))
    sign_up(store, shift_b["id"], b1["id"])
    early_wait_b = sign_up(store, shift_b["id"], b2["id"])  # waits on the other shift first
    first_a = sign_up(store, shift_a["id"], a1["id"])
    wait_a = sign_up(store, shift_a["id"], a2["id"])
    assert early_wait_b["status"] == wait_a["status"] == "waitlisted"
    before = times.now()
    with store.uow() as uow:
        cancelled = domain.cancel_signup(uow, first_a["id"])
    after = times.now()
    assert cancelled["promoted_signup_id"] == wait_a["id"]
    with store.session() as session:
        promoted = domain.get_signup(session, wait_a["id"])
        assert promoted["status"] == "confirmed"
        assert before <= times.parse(promoted["promoted_at"]) <= after
        assert session.get(Signup, early_wait_b["id"]).status == "waitlisted"
        assert domain.get_signup(session, first_a["id"])["promoted_at"] is None
    [fact] = store.events("waitlist_promoted")
    assert fact["payload"]["signup_id"] == wait_a["id"]
    assert fact["payload"]["shift_id"] == shift_a["id"]


def test_a_cancellation_is_announced_with_what_the_place_was(store, crypto):
    v, w = many(store, crypto, 2)
    s = shift(store, places=1)
    confirmed = sign_up(store, s["id"], v["id"])
    waiting = sign_up(store, s["id"], w["id"])
    with store.uow() as uow:
        domain.cancel_signup(uow, waiting["id"])
    with store.uow() as uow:
        answer = domain.cancel_signup(uow, confirmed["id"])
    assert answer["status"] == "cancelled" and answer["promoted_signup_id"] is None
    facts = store.events("shift_signup_cancelled")
    assert [(f["payload"]["signup_id"], f["payload"]["was_status"]) for f in facts] == [
        (waiting["id"], "waitlisted"), (confirmed["id"], "confirmed")]
    assert {f["payload"]["shift_id"] for f in facts} == {s["id"]}


def test_back_to_back_shifts_do_not_clash_in_either_order(store, crypto):
    v = register(store, crypto)
    morning = shift(store)
    afternoon = shift(store, start=SAT_9 + timedelta(hours=3))
    assert sign_up(store, afternoon["id"], v["id"])["status"] == "confirmed"
    assert sign_up(store, morning["id"], v["id"])["status"] == "confirmed"
    evening = shift(store, start=SAT_9 + timedelta(hours=6))
    assert sign_up(store, evening["id"], v["id"])["status"] == "confirmed"
    # A shift overlapping either end still clashes.
    with pytest.raises(Conflict):
        sign_up(store, shift(store, start=SAT_9 + timedelta(hours=2))["id"], v["id"])
    with pytest.raises(Conflict):
        sign_up(store, shift(store, start=SAT_9 - timedelta(hours=2))["id"], v["id"])
    assert store.count(Signup) == 3



def test_only_a_volunteers_own_current_places_on_open_shifts_clash(store, crypto):
    v, w = many(store, crypto, 2)
    first = shift(store, event_id=3)
    overlapping = shift(store, start=SAT_9 + timedelta(hours=1))
    sign_up(store, first["id"], w["id"])  # someone else's place at that time
    mine = sign_up(store, overlapping["id"], v["id"])
    assert mine["status"] == "confirmed"
    with store.uow() as uow:
        domain.cancel_signup(uow, mine["id"])
    # A cancelled place keeps the volunteer off nothing.
    on_first = sign_up(store, first["id"], v["id"])
    assert on_first["status"] == "confirmed"
    with store.uow() as uow:
        domain.check_in(uow, on_first["id"], {"at": SAT_9.isoformat()}, "sw1")
    with store.uow() as uow:
        domain.cancel_event_shifts(uow, 3)
    # The first shift is cancelled (the checked-in place stays, for the hours): the
    # volunteer may take a shift at that time again.
    assert sign_up(store, overlapping["id"], v["id"])["status"] == "confirmed"


def test_signing_up_twice_or_for_an_overlapping_shift_names_the_place_in_the_way(store,
                                                                                 crypto):
    v = register(store, crypto)
    morning = shift(store)
    place = sign_up(store, morning["id"], v["id"])
    with pytest.raises(Conflict) as exc:
        sign_up(store, morning["id"], v["id"])
    assert told(exc)["message"] == (f"volunteer {v['number']} is already signed up for this "
                                 f"shift")
    assert told(exc)["details"] == {"signup_id": place["id"], "shift_id": morning["id"],
                                    "status": "confirmed"}
    overlapping = shift(store, start=SAT_9 + timedelta(hours=2))
    with pytest.raises(Conflict) as exc:
        sign_up(store, overlapping["id"], v["id"])
    assert told(exc)["message"] == (f"volunteer {v['number']} is signed up for overlapping "
                                 f"shift {morning['id']}")
    assert told(exc)["details"] == {"shift_id": morning["id"], "signup_id": place["id"],
                                    "start": morning["start"], "end": morning["end"]}
    assert store.count(Signup) == 1

@pytest.mark.parametrize("status", ["suspended", "inactive"])
def test_a_volunteer_who_is_not_active_cannot_sign_up(store, crypto, status):
    v = register(store, crypto)
    with store.uow() as uow:
        domain.update_volunteer(uow, crypto, v["id"], {"status": status})
    s = shift(store)
    with pytest.raises(Conflict) as exc:
        sign_up(store, s["id"], v["id"])
    assert told(exc)["message"] == f"volunteer {v['number']} is {status}"
    assert told(exc)["details"] == {"volunteer_id": v["id"], "status": status}
    assert store.count(Signup) == 0
    assert store.events("shift_signed_up") == []


def test_a_volunteer_cannot_sign_up_themselves_for_a_shift_that_is_over(store, crypto):
    v = register(store, crypto)
    s = shift(store)  # a Saturday already past
    with pytest.raises(Conflict) as exc:
        with store.uow() as uow:
            domain.sign_up(uow, s["id"], {"volunteer_id": v["id"]}, only_volunteer_id=v["id"])
    assert told(exc)["message"] == f"shift {s['id']} is over"
    assert told(exc)["details"] == {"shift_id": s["id"], "end": s["end"]}
    assert store.count(Signup) == 0
    # Staff still record, afterwards, who was on it.
    assert sign_up(store, s["id"], v["id"])["status"] == "confirmed"


def test_a_volunteer_who_cancelled_may_sign_up_again(store, crypto):
    v = register(store, crypto)
    s = shift(store, places=1)
    first = sign_up(store, s["id"], v["id"])
    with store.uow() as uow:
        domain.cancel_signup(uow, first["id"])
    before = times.now()
    again = sign_up(store, s["id"], v["id"])
    assert again["status"] == "confirmed" and again["id"] != first["id"]
    assert before.replace(microsecond=0) <= times.parse(again["created_at"]) <= times.now()


def test_signing_up_an_unknown_volunteer_is_refused_naming_the_field(store, crypto):
    s = shift(store)
    with pytest.raises(ValidationFailed) as exc:
        sign_up(store, s["id"], 4242)
    assert exc.value.status == 422 and told(exc)["message"] == "volunteer 4242 not found"
    assert told(exc)["details"] == {"volunteer_id": ["no such volunteer"]}
    assert store.count(Signup) == 0


def test_signing_up_for_an_unknown_or_cancelled_shift_says_which_and_why(store, crypto):
    v = register(store, crypto)
    with pytest.raises(NotFound) as exc:
        sign_up(store, 999, v["id"])
    assert told(exc)["message"] == "shift 999 not found"
    s = shift(store, event_id=5)
    with store.uow() as uow:
        domain.cancel_event_shifts(uow, 5)
    with pytest.raises(Conflict) as exc:
        sign_up(store, s["id"], v["id"])
    assert told(exc)["message"] == f"shift {s['id']} is cancelled"
    assert told(exc)["details"] == {"shift_id": s["id"], "status": "cancelled"}
    assert store.count(Signup) == 0


def test_cancelling_a_place_names_what_stands_in_the_way(store, crypto):
    v, w = many(store, crypto, 2)
    s = shift(store, places=2)
    mine = sign_up(store, s["id"], v["id"])
    theirs = sign_up(store, s["id"], w["id"])
    with pytest.raises(NotFound) as exc:
        with store.uow() as uow:
            domain.cancel_signup(uow, 9999)
    assert told(exc)["message"] == "sign-up 9999 not found"
    with pytest.raises(Forbidden):
        with store.uow() as uow:
            domain.cancel_signup(uow, theirs["id"], only_volunteer_id=v["id"])
    before = times.now()
    with store.uow() as uow:
        answer = domain.cancel_signup(uow, mine["id"], only_volunteer_id=v["id"])
    assert answer["status"] == "cancelled" and answer["waitlist_position"] is None
    assert before <= times.parse(answer["cancelled_at"]) <= times.now()
    with store.session() as session:
        assert session.get(Signup, mine["id"]).cancel_reason == "cancelled"
    with pytest.raises(Conflict) as exc:
        with store.uow() as uow:
            domain.cancel_signup(uow, mine["id"])
    assert told(exc)["message"] == f"sign-up {mine['id']} is already cancelled"
    assert told(exc)["details"] == {"signup_id": mine["id"], "status": "cancelled"}
    with store.uow() as uow:
        domain.check_in(uow, theirs["id"], {"at": SAT_9.isoformat()}, "sw1")
    with pytest.raises(Conflict) as exc:
        with store.uow() as uow:
            domain.cancel_signup(uow, theirs["id"])
    assert told(exc)["message"] == "a sign-up that has checked in cannot be cancelled"
    assert told(exc)["details"] == {"signup_id": theirs["id"],
                                 "checked_in_at": "2026-11-28T01:00:00Z"}


def test_a_volunteer_records_hours_only_for_themselves(store, crypto):
    v, w = many(store, crypto, 2)
    with store.uow() as uow:
        own = domain.record_hours(uow, {"volunteer_id": v["id"], "minutes": 30,
                                        "service_date": "2026-11-20", "reason": "入户陪伴"},
                                  only_volunteer_id=v["id"])
    assert own["volunteer_id"] == v["id"] and own["status"] == "pending"
    with pytest.raises(Forbidden) as exc:
        with store.uow() as uow:
            domain.record_hours(uow, {"volunteer_id": w["id"], "minutes": 30,
                                      "service_date": "2026-11-20", "reason": "入户陪伴"},
                                only_volunteer_id=v["id"])
    assert told(exc)["message"] == "volunteers may only act on their own records"
    assert store.count(HoursEntry) == 1


def test_refusals_of_hours_say_why(store, crypto):
    v = register(store, crypto)
    with pytest.raises(ValidationFailed) as exc:
        manual(store, v["id"], 0, "2026-11-20")
    assert told(exc)["message"] == "a manual entry of no time"
    entry = manual(store, v["id"], 60, "2026-11-20")
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.reject_hours(uow, entry["id"], "sw2", " ")
    assert told(exc)["message"] == "a rejection needs a reason"
    assert told(exc)["details"] == {"reason": ["required"]}


def test_approved_hours_count_until_a_correction_of_them_is_approved(store, crypto):
    v = register(store, crypto)
    entry = manual(store, v["id"], 60, "2026-11-20")
    approve(store, entry["id"])
    pending = manual(store, v["id"], 90, "2026-11-20", corrects_entry_id=entry["id"])
    assert approved_minutes(store, v["id"]) == 60  # a pending correction changes nothing
    with store.uow() as uow:
        domain.reject_hours(uow, pending["id"], "sw2", "与签到表不符")
    assert approved_minutes(store, v["id"]) == 60  # nor a rejected one


def test_a_correction_keeps_the_shift_event_and_sign_up_of_the_entry_it_corrects(store,
                                                                                crypto):
    v = register(store, crypto)
    s = shift(store, event_id=7)
    signup = sign_up(store, s["id"], v["id"])
    attended = attend(store, signup["id"], SAT_9, SAT_9 + timedelta(hours=2))["hours_entry"]
    correction = manual(store, v["id"], 150, "2026-11-28", corrects_entry_id=attended["id"])
    assert {k: correction[k] for k in ("signup_id", "shift_id", "event_id", "description",
                                       "source", "corrects_entry_id", "reason", "flagged",
                                       "recorded_by", "status")} == {
        "signup_id": signup["id"], "shift_id": s["id"], "event_id": 7,
        "description": "敬老院探访", "source": "correction",
        "corrects_entry_id": attended["id"], "reason": "纸质签到表补录", "flagged": False,
        "recorded_by": "sw1", "status": "pending"}
    # A correction naming another shift moves the hours there.
    other = shift(store, start=SAT_9 + timedelta(days=1), event_id=8)
    moved = manual(store, v["id"], 150, "2026-11-29", corrects_entry_id=attended["id"],
                   shift_id=other["id"])
    assert (moved["shift_id"], moved["event_id"]) == (other["id"], 8)


def test_hours_recorded_by_hand_keep_their_reason_and_description_through_a_correction(
        store, crypto):
    v = register(store, crypto)
    entry = manual(store, v["id"], 60, "2026-11-20", description="社区清扫")
    assert (entry["reason"], entry["source"], entry["flagged"]) == (
        "纸质签到表补录", "manual", False)
    correction = manual(store, v["id"], 45, "2026-11-20", corrects_entry_id=entry["id"],
                        reason="  少记了一刻钟 ")
    assert (correction["description"], correction["reason"], correction["flagged"]) == (
        "社区清扫", "少记了一刻钟", False)
    assert (correction["shift_id"], correction["event_id"], correction["signup_id"]) == (
        None, None, None)


def test_an_entry_already_corrected_is_corrected_through_its_correction(store, crypto):
    v = register(store, crypto)
    entry = manual(store, v["id"], 60, "2026-11-20")
    approve(store, entry["id"])
    correction = manual(store, v["id"], 90, "2026-11-20", corrects_entry_id=entry["id"])
    approve(store, correction["id"])
    with pytest.raises(Conflict) as exc:
        manual(store, v["id"], 30, "2026-11-20", corrects_entry_id=entry["id"])
    assert told(exc)["message"] == (f"entry {entry['id']} was already corrected by entry "
                                 f"{correction['id']}; correct that one")
    assert told(exc)["details"] == {"corrects_entry_id": entry["id"],
                                    "corrected_by": correction["id"]}
    again = manual(store, v["id"], 30, "2026-11-20", corrects_entry_id=correction["id"])
    assert again["corrects_entry_id"] == correction["id"]
    assert approved_minutes(store, v["id"]) == 90


def test_an_entry_replaced_by_an_approved_correction_is_no_longer_approved(store, crypto):
    v = register(store, crypto)
    entry = manual(store, v["id"], 60, "2026-11-20")
    correction = manual(store, v["id"], 90, "2026-11-20", corrects_entry_id=entry["id"])
    approve(store, correction["id"])
    with pytest.raises(Conflict) as exc:
        approve(store, entry["id"])
    assert told(exc)["message"] == (f"entry {entry['id']} was replaced by correction "
                                 f"{correction['id']}")
    assert told(exc)["details"] == {"entry_id": entry["id"],
                                    "corrected_by": correction["id"]}
    assert approved_minutes(store, v["id"]) == 90


def test_of_two_corrections_of_one_entry_only_the_first_approved_counts(store, crypto):
    v = register(store, crypto)
    entry = manual(store, v["id"], 60, "2026-11-20")
    approve(store, entry["id"])
    first = manual(store, v["id"], 90, "2026-11-20", corrects_entry_id=entry["id"])
    second = manual(store, v["id"], 120, "2026-11-20", corrects_entry_id=entry["id"])
    assert approve(store, first["id"])["counted_minutes"] == 30
    with pytest.raises(Conflict) as exc:
        approve(store, second["id"])
    assert told(exc)["message"] == (f"entry {entry['id']} was already corrected by entry "
                                 f"{first['id']}")
    assert told(exc)["details"] == {"corrects_entry_id": entry["id"],
                                    "corrected_by": first["id"]}
    assert approved_minutes(store, v["id"]) == 90


def test_deciding_an_entry_twice_or_ones_own_record_says_who_decided_and_why_not(store,
                                                                                crypto):
    v = register(store, crypto)
    entry = manual(store, v["id"], 60, "2026-11-20", recorder="sw1")
    with pytest.raises(Forbidden) as exc:
        approve(store, entry["id"], "sw1")
    assert told(exc)["message"] == (f"hours entry {entry['id']} was recorded by you: another "
                                 f"staff member approves or rejects it")
    assert told(exc)["details"] == {"entry_id": entry["id"], "recorded_by": "sw1"}
    with pytest.raises(Forbidden) as exc:
        approve(store, entry["id"], "sw2", actor_volunteer_id=v["id"])
    assert told(exc)["message"] == (f"hours entry {entry['id']} is your own service: another "
                                 f"staff member approves or rejects it")
    assert told(exc)["details"] == {"entry_id": entry["id"], "volunteer_id": v["id"]}
    approve(store, entry["id"], "sw2")
    with pytest.raises(Conflict) as exc:
        with store.uow() as uow:
            domain.reject_hours(uow, entry["id"], "sw3", "重复")
    assert told(exc)["message"] == f"hours entry {entry['id']} is already approved"
    assert told(exc)["details"] == {"entry_id": entry["id"], "status": "approved",
                                    "decided_by": "sw2"}
    with pytest.raises(NotFound) as exc:
        approve(store, 999)
    assert told(exc)["message"] == "hours entry 999 not found"


def test_a_certificate_lists_services_by_date_then_in_the_order_recorded(store, crypto):
    v = register(store, crypto)
    for minutes, day in ((45, "2026-11-30"), (30, "2026-11-02"), (20, "2026-11-15"),
                         (10, "2026-11-02")):
        approve(store, manual(store, v["id"], minutes, day)["id"])
    with store.uow() as uow:
        cert = domain.issue_certificate(uow, crypto, v["id"], {
            "period_from": "2026-11-01", "period_to": "2026-11-30"}, "和通社区", "hetong")
    assert [(s["date"], s["minutes"]) for s in cert["services"]] == [
        ("2026-11-02", 30), ("2026-11-02", 10), ("2026-11-15", 20), ("2026-11-30", 45)]


# -- attendance ----------------------------------------------------------------------

def test_a_check_out_records_the_hours_as_they_were_served(store, crypto):
    v = register(store, crypto)
    s = shift(store, event_id=4)
    signup = sign_up(store, s["id"], v["id"])
    with store.uow() as uow:
        domain.check_in(uow, signup["id"], {"at": SAT_9.isoformat()}, "sw1")
    out_at = SAT_9 + timedelta(hours=3, minutes=30)  # the grace period's last instant
    with store.uow() as uow:
        answer = domain.check_out(uow, signup["id"], None, "sw1", now=out_at)
    entry = answer["hours_entry"]
    assert answer["hours_entry_id"] == entry["id"] and answer["auto_closed"] is False
    assert {k: entry[k] for k in ("minutes", "event_id", "shift_id", "signup_id",
                                  "started_at", "ended_at", "description", "source",
                                  "flagged", "flag_reason", "recorded_by")} == {
        "minutes": 210, "event_id": 4, "shift_id": s["id"], "signup_id": signup["id"],
        "started_at": times.iso(SAT_9), "ended_at": times.iso(out_at),
        "description": "敬老院探访", "source": "check_out", "flagged": False,
        "flag_reason": None, "recorded_by": "sw1"}
    with pytest.raises(Conflict) as exc:
        with store.uow() as uow:
            domain.check_out(uow, signup["id"], None, "sw1", now=out_at)
    assert told(exc)["message"] == "already checked out"
    assert told(exc)["details"] == {"signup_id": signup["id"], "hours_entry_id": entry["id"]}


def test_a_check_in_left_open_is_closed_at_the_shifts_end_and_flagged(store, crypto):
    v, w, x = many(store, crypto, 3)
    s = shift(store)
    end = SAT_9 + timedelta(hours=3)
    forgot, never, done = (sign_up(store, s["id"], p["id"]) for p in (v, w, x))
    for signup in (forgot, done):
        with store.uow() as uow:
            domain.check_in(uow, signup["id"], {"at": SAT_9.isoformat()}, "sw1")
    attend_out = end - timedelta(minutes=10)
    with store.uow() as uow:
        domain.check_out(uow, done["id"], {"at": attend_out.isoformat()}, "sw1")
    with store.uow() as uow:  # exactly the grace period after the end: not yet
        assert domain.auto_close_overdue(uow, now=end + timedelta(minutes=30)) == []
    with store.uow() as uow:
        [entry] = domain.auto_close_overdue(uow, now=end + timedelta(minutes=31))
    assert {k: entry[k] for k in ("signup_id", "minutes", "ended_at", "source", "flagged",
                                  "flag_reason", "recorded_by")} == {
        "signup_id": forgot["id"], "minutes": 180, "ended_at": times.iso(end),
        "source": "auto_closed", "flagged": True,
        "flag_reason": "no check-out by shift end + 30 min; closed at shift end",
        "recorded_by": "system"}
    with store.session() as session:
        assert session.get(Signup, never["id"]).hours_entry_id is None
        assert session.get(Signup, forgot["id"]).hours_entry_id == entry["id"]
    assert store.count(HoursEntry) == 2
    # The reports and the social workers' lists read the flag from the fact too.
    assert [(f["payload"]["entry_id"], f["payload"]["flagged"])
            for f in store.events("hours_recorded")] == [(entry["id"] - 1, False),
                                                         (entry["id"], True)]


def test_attendance_refusals_say_which_sign_up_and_why(store, crypto):
    v, w = many(store, crypto, 2)
    s = shift(store, places=1, event_id=6)
    confirmed = sign_up(store, s["id"], v["id"])
    waiting = sign_up(store, s["id"], w["id"])
    with pytest.raises(Conflict) as exc:
        with store.uow() as uow:
            domain.check_in(uow, waiting["id"], {"at": SAT_9.isoformat()}, "sw1")
    assert told(exc)["message"] == ("only a confirmed sign-up can check in (this one is "
                                 "waitlisted)")
    assert told(exc)["details"] == {"signup_id": waiting["id"], "status": "waitlisted"}
    with pytest.raises(Forbidden):
        with store.uow() as uow:
            domain.check_in(uow, confirmed["id"], {"at": SAT_9.isoformat()}, "sw1",
                            only_volunteer_id=w["id"])
    with pytest.raises(NotFound) as exc:
        with store.uow() as uow:
            domain.check_in(uow, 999, {"at": SAT_9.isoformat()}, "sw1")
    assert told(exc)["message"] == "sign-up 999 not found"
    with pytest.raises(ValidationFailed) as exc:
        with store.uow() as uow:
            domain.check_out(uow, confirmed["id"], {"at": SAT_9.isoformat()}, "sw1")
    assert told(exc)["message"] == "check-out before check-in"
    assert told(exc)["details"] == {"checked_in_at": ["this sign-up has not checked in"]}
    with store.uow() as uow:
        domain.check_in(uow, confirmed["id"], {"at": SAT_9.isoformat()}, "sw1")
    with pytest.raises(Forbidden):
        with store.uow() as uow:
            domain.check_out(uow, confirmed["id"], None, "sw1", only_volunteer_id=w["id"],
                             now=SAT_9 + timedelta(hours=1))
    with pytest.raises(ValidationFailed) as exc:  # the same instant as the check-in
        with store.uow() as uow:
            domain.check_out(uow, confirmed["id"], {"at": SAT_9.isoformat()}, "sw1")
    assert told(exc)["message"] == "check-out must come after check-in"
    assert told(exc)["details"] == {"at": [f"must be after the check-in ({times.iso(SAT_9)})"]}
    # The event is cancelled: the checked-in place stays (for its hours), but the shift
    # takes no check-in any more.
    with store.uow() as uow:
        domain.cancel_event_shifts(uow, 6)
    with pytest.raises(Conflict) as exc:
        with store.uow() as uow:
            domain.check_in(uow, confirmed["id"], {"at": SAT_9.isoformat()}, "sw1")
    assert told(exc)["message"] == f"shift {s['id']} is cancelled"
    assert told(exc)["details"] == {"shift_id": s["id"]}


def test_a_check_in_opens_two_hours_before_the_shift_and_closes_at_its_end(store, crypto):
    v, w, x = many(store, crypto, 3)
    s = shift(store)
    end = SAT_9 + timedelta(hours=3)
    early, on_time, late = (sign_up(store, s["id"], p["id"]) for p in (v, w, x))

    def check_in(signup, at=None, now=None):
        with store.uow() as uow:
            return domain.check_in(uow, signup["id"], {"at": at.isoformat()} if at else None,
                                   "sw1", now=now)

    with pytest.raises(ValidationFailed) as exc:
        check_in(early, SAT_9 - timedelta(minutes=121))
    assert told(exc)["message"] == "too early to check in to this shift"
    assert told(exc)["details"] == {"at": [f"at most 120 minutes before the shift starts "
                                           f"({times.iso(SAT_9)})"]}
    opened = SAT_9 - timedelta(minutes=120)
    assert times.parse(check_in(early, opened)["checked_in_at"]) == opened
    with pytest.raises(ValidationFailed) as exc:
        check_in(late, now=end)
    assert told(exc)["message"] == "the shift is over"
    assert told(exc)["details"] == {"at": [f"must be before the shift ends ({times.iso(end)})"]}
    last = end - timedelta(minutes=1)
    assert times.parse(check_in(late, now=last)["checked_in_at"]) == last
    with pytest.raises(Conflict) as exc:
        check_in(early, SAT_9)
    assert told(exc)["message"] == "already checked in"
    assert told(exc)["details"] == {"signup_id": early["id"], "checked_in_at": times.iso(opened)}
    assert check_in(on_time, SAT_9)["status"] == "confirmed"
