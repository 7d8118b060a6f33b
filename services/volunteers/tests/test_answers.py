"""The exact form of the volunteers service's answers, for one representative record of
each kind: keys, values, masking and time forms. The console and other clients read these
fields; a change here is a change they see."""
import re
from datetime import date, datetime, timezone

import pytest

from common.errors import NotFound
from services.volunteers import domain
from services.volunteers.models import Certificate, HoursEntry, Shift, Signup, Team, Volunteer

UTC = timezone.utc
SAT_9 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)   # Saturday 09:00 local
CREATED = datetime(2026, 11, 20, 2, 30, 15, tzinfo=UTC)
DECIDED = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
ANSWER_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

# PostgreSQL hands times back aware, SQLite naive: the answers are the same.
pytestmark = pytest.mark.parametrize(
    "store", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


def _pin(store, model, ident, **columns):
    """Give a stored record fixed times, so that its answer can be written out."""
    with store.session() as session:
        row = session.get(model, ident)
        for name, value in columns.items():
            setattr(row, name, value)


def _now_instant(answer, key):
    """A time the service set to now: in the answer form; removed for the exact check."""
    value = answer.pop(key)
    assert ANSWER_INSTANT.match(value), value
    return value


@pytest.fixture
def people(store, crypto):
    with store.uow() as uow:
        lin = domain.register_volunteer(uow, crypto, {
            "name": "林晓燕", "phone": "13812345678", "id_number": "35020319800101123X",
            "gender": "female", "birth_year": 1962, "compound": "fulong_huayuan",
            "skills": ["first_aid", "cooking", "cooking"], "talent": True,
            "availability": [{"weekday": 6, "start": "08:00", "end": "12:00"}]})
    with store.uow() as uow:
        chen = domain.register_volunteer(uow, crypto, {"name": "陈大伟", "phone": "13700001111"})
    for person in (lin, chen):
        _pin(store, Volunteer, person["id"], created_at=CREATED)
    return lin["id"], chen["id"]


LIN = {"id": 1, "number": "V000001", "name": "林晓燕", "phone": "138****5678",
       "id_number": "3502**********123X", "gender": "female", "birth_year": 1962,
       "compound": "fulong_huayuan", "skills": ["cooking", "first_aid"], "talent": True,
       "availability": [{"weekday": 6, "start": "08:00", "end": "12:00"}],
       "status": "active", "team_ids": [1], "created_at": "2026-11-20T02:30:15Z"}
CHEN = {"id": 2, "number": "V000002", "name": "陈大伟", "phone": "137****1111",
        "id_number": None, "gender": None, "birth_year": None, "compound": None,
        "skills": [], "talent": False, "availability": [], "status": "active",
        "team_ids": [1], "created_at": "2026-11-20T02:30:15Z"}


def test_volunteer_answers(store, crypto, people):
    lin, chen = people
    with store.uow() as uow:
        team = domain.create_team(uow, {"name": "银龄志愿服务队", "description": "每周探访",
                                        "leader_id": lin, "member_ids": [chen]})
    _pin(store, Team, team["id"], created_at=CREATED)
    with store.session() as session:
        masked = domain.get_volunteer(session, crypto, lin)
        revealed = domain.get_volunteer(session, crypto, lin, reveal=True)
        listing = domain.list_volunteers(session, crypto, {})
        teams = domain.list_teams(session, {})
    assert masked == LIN
    assert revealed == LIN | {"phone": "13812345678", "id_number": "35020319800101123X"}
    assert listing == {"items": [LIN, CHEN], "total": 2, "page": 1, "per_page": 20}
    assert teams == {"items": [{
        "id": 1, "name": "银龄志愿服务队", "description": "每周探访", "leader_id": 1,
        "leader_number": "V000001", "members": [{"id": 1, "number": "V000001"},
                                                {"id": 2, "number": "V000002"}],
        "created_at": "2026-11-20T02:30:15Z"}], "total": 1, "page": 1, "per_page": 20}


def test_available_volunteers_answer(store, crypto, people):
    with store.session() as session:
        found = domain.available_volunteers(session, crypto, {
            "skills": ["cooking"], "start": "2026-11-28T09:00", "end": "2026-11-28T03:00Z"})
    assert found == {"items": [{"id": 1, "number": "V000001", "name": "林**",
                                "compound": "fulong_huayuan",
                                "skills": ["cooking", "first_aid"],
                                "matching_skills": ["cooking"], "talent": True}],
                     "total": 1, "start": "2026-11-28T01:00:00Z",
                     "end": "2026-11-28T03:00:00Z", "skills": ["cooking"]}


SHIFT = {"id": 1, "name": "敬老院探访", "event_id": 7, "role_id": None,
         "skills": ["care", "cooking"], "places": 1, "start": "2026-11-28T01:00:00Z",
         "end": "2026-11-28T04:00:00Z", "location": "福龙花园活动室", "status": "open",
         "confirmed": 0, "waitlisted": 0}
SIGNUP = {"id": 1, "shift_id": 1, "volunteer_id": 1, "status": "confirmed",
          "waitlist_position": None, "created_at": "2026-11-20T02:30:15Z",
          "promoted_at": None, "cancelled_at": None, "checked_in_at": None,
          "checked_out_at": None, "auto_closed": False, "hours_entry_id": None}


def test_shift_and_signup_answers(store, crypto, people):
    lin, chen = people
    with store.uow() as uow:
        created = domain.create_shift(uow, {
            "name": "敬老院探访", "skills": ["cooking", "care"], "places": 1,
            "start": "2026-11-28T09:00:00", "end": "2026-11-28T12:00:00",
            "event_id": 7, "location": "福龙花园活动室"})
    assert created == SHIFT
    signups = []
    for vid in (lin, chen):
        with store.uow() as uow:
            signups.append(domain.sign_up(uow, 1, {"volunteer_id": vid}))
        _pin(store, Signup, signups[-1]["id"], created_at=CREATED)
    assert [_now_instant(s, "created_at") for s in signups]
    assert signups == [{k: v for k, v in SIGNUP.items() if k != "created_at"},
                       {k: v for k, v in SIGNUP.items() if k != "created_at"}
                       | {"id": 2, "volunteer_id": 2, "status": "waitlisted",
                          "waitlist_position": 1}]
    with store.session() as session:
        shift = domain.get_shift(session, 1)
        listing = domain.list_shifts(session, {})
        waiting = domain.get_signup(session, 2)
        signup_list = domain.list_signups(session, {})
    assert shift == SHIFT | {"confirmed": 1, "waitlisted": 1}
    assert listing == {"items": [shift], "total": 1, "page": 1, "per_page": 20}
    assert waiting == SIGNUP | {"id": 2, "volunteer_id": 2, "status": "waitlisted",
                                "waitlist_position": 1}
    assert signup_list == {"items": [SIGNUP, waiting], "total": 2, "page": 1, "per_page": 20}

    with store.uow() as uow:
        cancelled = domain.cancel_signup(uow, 1)
    _now_instant(cancelled, "cancelled_at")
    assert cancelled == {k: v for k, v in SIGNUP.items() if k != "cancelled_at"} | {
        "status": "cancelled", "promoted_signup_id": 2}
    with store.uow() as uow:
        promoted_at = _now_instant(domain.get_signup(uow.session, 2), "promoted_at")
    assert promoted_at


ENTRY = {"id": 1, "volunteer_id": 2, "signup_id": 2, "shift_id": 1, "event_id": 7,
         "minutes": 130, "source": "check_out", "description": "敬老院探访", "reason": None,
         "corrects_entry_id": None, "flag_reason": None, "status": "pending",
         "recorded_by": "sw1", "decided_by": None, "decision_reason": None,
         "flagged": False, "service_date": "2026-11-28",
         "started_at": "2026-11-28T00:50:00Z", "ended_at": "2026-11-28T03:00:00Z",
         "decided_at": None, "created_at": "2026-11-20T02:30:15Z"}


def _attended(store, crypto, people):
    lin, chen = people
    with store.uow() as uow:
        domain.create_shift(uow, {"name": "敬老院探访", "places": 2, "event_id": 7,
                                  "start": "2026-11-28T09:00:00",
                                  "end": "2026-11-28T12:00:00"})
    for vid in (lin, chen):
        with store.uow() as uow:
            domain.sign_up(uow, 1, {"volunteer_id": vid})
        _pin(store, Signup, vid, created_at=CREATED)
    with store.uow() as uow:
        checked_in = domain.check_in(uow, 2, {"at": "2026-11-28T08:50:00"}, "sw1")
    with store.uow() as uow:
        checked_out = domain.check_out(uow, 2, {"at": "2026-11-28T03:00:00Z"}, "sw1")
    return checked_in, checked_out


def test_attendance_and_hours_answers(store, crypto, people):
    checked_in, checked_out = _attended(store, crypto, people)
    signup = SIGNUP | {"id": 2, "volunteer_id": 2, "checked_in_at": "2026-11-28T00:50:00Z"}
    assert checked_in == signup
    _now_instant(checked_out["hours_entry"], "created_at")
    assert checked_out == signup | {
        "checked_out_at": "2026-11-28T03:00:00Z", "hours_entry_id": 1,
        "hours_entry": {k: v for k, v in ENTRY.items() if k != "created_at"}}

    _pin(store, HoursEntry, 1, created_at=CREATED)
    with store.session() as session:
        assert domain.list_hours(session, {}) == {
            "items": [ENTRY], "total": 1, "page": 1, "per_page": 20}
    with store.uow() as uow:
        approved = domain.approve_hours(uow, 1, "sw2", "签到表核对无误")
    _now_instant(approved, "decided_at")
    assert approved == {k: v for k, v in ENTRY.items() if k != "decided_at"} | {
        "status": "approved", "decided_by": "sw2", "decision_reason": "签到表核对无误",
        "counted_minutes": 130}
    with store.uow() as uow:
        manual = domain.record_hours(uow, {"volunteer_id": 1, "minutes": 45,
                                           "service_date": "2026-11-20",
                                           "reason": "入户探访，纸质签到"}, "sw1")
    _pin(store, HoursEntry, manual["id"], created_at=CREATED)
    with store.uow() as uow:
        rejected = domain.reject_hours(uow, manual["id"], "sw2", "无签到记录")
    _now_instant(rejected, "decided_at")
    assert rejected == {
        "id": 2, "volunteer_id": 1, "signup_id": None, "shift_id": None, "event_id": None,
        "minutes": 45, "source": "manual", "description": None,
        "reason": "入户探访，纸质签到", "corrects_entry_id": None, "flag_reason": None,
        "status": "rejected", "recorded_by": "sw1", "decided_by": "sw2",
        "decision_reason": "无签到记录", "flagged": False, "service_date": "2026-11-20",
        "started_at": None, "ended_at": None, "created_at": "2026-11-20T02:30:15Z"}
    _pin(store, HoursEntry, 2, decided_at=DECIDED)
    with store.session() as session:
        rejected_listed = domain.list_hours(session, {"status": "rejected"})["items"]
    assert rejected_listed == [rejected | {"decided_at": "2026-11-29T06:00:00Z"}]


def test_certificate_answers(store, crypto, people):
    _attended(store, crypto, people)
    with store.uow() as uow:
        domain.approve_hours(uow, 1, "sw2")
    with store.uow() as uow:
        issued = domain.issue_certificate(uow, crypto, 2, {
            "period_from": "2026-11-01", "period_to": "2026-11-30"}, "和通社区", "hetong",
            "sw2", today=date(2026, 12, 1))
    code = issued["verification_code"]
    assert re.fullmatch(r"[A-Z2-9]{8}", code)
    certificate = {
        "number": "ZYFW-HETONG-2026-000001", "volunteer_id": 2, "volunteer_number": "V000002",
        "period_from": "2026-11-01", "period_to": "2026-11-30", "approved_minutes": 130,
        "approved_hours": 2.2, "services": [{"entry_id": 1, "date": "2026-11-28",
                                             "description": "敬老院探访", "minutes": 130,
                                             "recorded_by": "sw1", "decided_by": "sw2"}],
        "issuer": "和通社区", "issued_on": "2026-12-01",
        "pdf_url": "/api/v1/certificates/ZYFW-HETONG-2026-000001/pdf",
        "verification_code": code, "status": "valid", "superseded_at": None,
        "superseded_reason": None, "replaces": None, "replaced_by": None}
    assert issued == certificate
    with store.session() as session:
        listed = domain.list_certificates(session, crypto, 2)
        document = domain.certificate_document(session, crypto, issued["number"])
        valid = domain.verify_certificate(session, crypto, issued["number"], code)
        with pytest.raises(NotFound):
            domain.verify_certificate(session, crypto, issued["number"], "WRONG234")
    assert listed == {"items": [certificate], "total": 1, "page": 1, "per_page": 1}
    assert document == certificate | {"name": "陈大伟", "id_number_masked": None,
                                      "gender": None, "current_minutes": 130}
    assert valid == {"number": "ZYFW-HETONG-2026-000001", "valid": True, "status": "valid",
                     "volunteer_number": "V000002", "name_masked": "陈**", "period_from": "2026-11-01",
                     "period_to": "2026-11-30", "approved_hours": 2.2, "replaces": None,
                     "issuer": "和通社区", "issued_on": "2026-12-01", "services": [
                         {"date": "2026-11-28", "minutes": 130, "recorded_by": "sw1",
                          "decided_by": "sw2"}]}
    assert store.count(Certificate) == 1 and store.count(Shift) == 1

    # A correction approved: the certificate is superseded; its reissue replaces it.
    with store.uow() as uow:
        fix = domain.record_hours(uow, {"volunteer_id": 2, "minutes": 100,
                                        "service_date": "2026-11-28", "reason": "签退时间录错",
                                        "corrects_entry_id": 1}, "sw1")
    with store.uow() as uow:
        domain.approve_hours(uow, fix["id"], "sw2")
    _pin(store, Certificate, 1, superseded_at=DECIDED)
    with store.uow() as uow:
        reissued = domain.reissue_certificate(uow, crypto, issued["number"], "和通社区",
                                               "hetong", "sw2", today=date(2026, 12, 2))
    with store.session() as session:
        superseded = domain.list_certificates(session, crypto, 2)["items"][0]
        stale = domain.verify_certificate(session, crypto, issued["number"], code)
    assert superseded == certificate | {
        "status": "superseded", "superseded_at": "2026-11-29T06:00:00Z",
        "superseded_reason": "hours entry 2 approved, correcting entry 1: the ledger counts "
                             "100 min for the period, the certificate states 130",
        "replaced_by": "ZYFW-HETONG-2026-000002"}
    assert stale == {"number": "ZYFW-HETONG-2026-000001", "valid": False,
                     "status": "superseded", "volunteer_number": "V000002",
                     "name_masked": "陈**", "period_from": "2026-11-01", "period_to": "2026-11-30",
                     "approved_hours": 2.2, "current_hours": 1.7,
                     "superseded_at": "2026-11-29T06:00:00Z", "replaces": None,
                     "replaced_by": "ZYFW-HETONG-2026-000002", "issuer": "和通社区",
                     "issued_on": "2026-12-01", "services": [
                         {"date": "2026-11-28", "minutes": 130, "recorded_by": "sw1",
                          "decided_by": "sw2"}]}
    assert reissued == certificate | {
        "number": "ZYFW-HETONG-2026-000002", "approved_minutes": 100, "approved_hours": 1.7,
        "services": [{"entry_id": 2, "date": "2026-11-28", "description": "敬老院探访",
                      "minutes": 100, "recorded_by": "sw1", "decided_by": "sw2"}],
        "issued_on": "2026-12-02", "verification_code": reissued["verification_code"],
        "pdf_url": "/api/v1/certificates/ZYFW-HETONG-2026-000002/pdf",
        "replaces": "ZYFW-HETONG-2026-000001"}
