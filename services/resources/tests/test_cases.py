"""Case files (cases.py) on a real SQLite database, no broker: consent rules for minors,
need-to-know reads, follow-up, duplicates and merge, facts without personal data."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from common import times
from common.errors import Conflict, Forbidden, ValidationFailed
from services.resources import cases, domain
from services.resources.case_models import Case

PHONE = "13912340001"
YEAR = times.local_today().year


def body(name="陈小明", birth_year=None, phone=PHONE, guardian=True, given_by="guardian",
         scope=("case_work", "referral"), **extra):
    person = {"name": name, "phone": phone, "birth_year": birth_year or YEAR - 9,
              "gender": "male", "compound": "fulong_huayuan",
              "target_groups": ["children", "in_difficulty"]}
    if guardian:
        person["guardian"] = {"name": "陈大海", "phone": "13912340002", "relation": "父亲"}
    return dict({"person": person,
                 "consent": {"given_by": given_by, "name": "陈大海", "relation": "父亲",
                             "scope": list(scope)},
                 "category": "care", "target_group": "children", "risk": "high",
                 "risk_reason": "父母外出务工，独自在家", "workers": ["sw-li"]}, **extra)


def open_case(store, crypto, data=None, actor="sw-li", role="social_worker"):
    with store.uow() as uow:
        return cases.open_case(uow, crypto, data or body(), actor, role)


def test_a_minor_needs_a_guardians_consent(store, crypto):
    with pytest.raises(ValidationFailed) as refused:
        open_case(store, crypto, body(given_by="self"))
    assert "consent.given_by" in refused.value.details
    with pytest.raises(ValidationFailed) as refused:
        open_case(store, crypto, body(guardian=False))
    assert "person.guardian" in refused.value.details
    assert store.events("case_opened") == []
    answer = open_case(store, crypto)
    assert answer["number"] == "GA000001" and answer["person"]["minor"] is True
    assert answer["person"]["phone"] == "139****0001"
    # an adult consents for themself
    adult = open_case(store, crypto, body(name="林阿婆", birth_year=1940, phone="13912340009",
                                          guardian=False, given_by="self"))
    assert adult["number"] == "GA000002"


def test_only_assigned_workers_and_admins_read_contents(store, crypto):
    case = open_case(store, crypto)
    with store.uow() as uow:
        other = cases.get_case(uow, crypto, case["id"], "sw-wang", "social_worker")
        assert other == {"id": case["id"], "number": "GA000001", "category": "care",
                         "risk": "high", "status": "open", "assigned_to_me": False,
                         "restricted": True}
        glass = cases.get_case(uow, crypto, case["id"], "sw-wang", "social_worker",
                               reason="值班期间接到紧急求助")
        assert glass["access"] == "break_glass" and glass["person"]["name"] == "陈小明"
        mine = cases.get_case(uow, crypto, case["id"], "sw-li", "social_worker")
        assert mine["access"] == "assigned"
        assert [(a["username"], a["access"], a["reason"]) for a in mine["access_log"]] == [
            ("sw-li", "assigned", None), ("sw-wang", "break_glass", "值班期间接到紧急求助")]
    with pytest.raises(Forbidden):
        with store.uow() as uow:
            cases.add_entry(uow, crypto, case["id"], {"kind": "note", "text": "x"},
                            "sw-wang", "social_worker")


def test_facts_carry_no_personal_data(store, crypto, partner):
    case = open_case(store, crypto)
    with store.uow() as uow:
        cases.assess_case(uow, crypto, case["id"], {
            "needs": [{"category": "care", "note": "放学后无人照看"}], "risk": "high",
            "reason": "独自在家"}, "sw-li", "social_worker")
    with store.uow() as uow:
        cases.add_entry(uow, crypto, case["id"], {"kind": "home_visit", "text": "入户，见到陈小明"},
                        "sw-li", "social_worker")
    with store.uow() as uow:
        cases.refer_case(uow, crypto, case["id"], {"partner_id": partner["id"],
                                                   "reason": "课后托管"}, "sw-li", "social_worker")
    with store.uow() as uow:
        cases.close_case(uow, crypto, case["id"], {"outcome": "goals_met", "note": "好转"},
                         "sw-li", "social_worker")
    facts = json.dumps(store.events(), ensure_ascii=False)
    assert len(store.events()) >= 6
    for secret in ("陈小明", "陈大海", PHONE, "13912340002", "独自在家", "课后托管", "入户"):
        assert secret not in facts
    assert str(YEAR - 9) not in facts
    assert store.events("case_opened")[0]["payload"]["minor"] is True


def test_a_referral_needs_a_consent_that_covers_it(store, crypto, partner):
    case = open_case(store, crypto, body(scope=("case_work",)))
    with pytest.raises(Conflict):
        with store.uow() as uow:
            cases.refer_case(uow, crypto, case["id"], {"partner_id": partner["id"],
                                                       "reason": "托管"}, "sw-li", "social_worker")


def test_overdue_visits_goals_and_high_risk_without_contact(store, crypto):
    case = open_case(store, crypto)
    today = times.local_today()
    with store.uow() as uow:
        cases.add_goal(uow, crypto, case["id"], {"text": "每周三次课业辅导",
                                                 "due_on": (today - timedelta(days=3)).isoformat()},
                       "sw-li", "social_worker")
        uow.session.execute(update(Case).values(
            next_visit_on=today - timedelta(days=2),
            created_at=times.to_storage(times.now()) - timedelta(days=30)))
    with store.uow() as uow:
        follow = cases.follow_up(uow.session, {}, "sw-li", "social_worker", 14)
        counts = cases.count_cases(uow.session, 14)
    [mine] = follow["workers"]
    assert mine["worker"] == "sw-li"
    assert [(v["number"], v["days_overdue"]) for v in mine["overdue_visits"]] == [("GA000001", 2)]
    assert [(g["number"], g["days_overdue"]) for g in mine["overdue_goals"]] == [("GA000001", 3)]
    assert [c["number"] for c in mine["high_risk_without_contact"]] == ["GA000001"]
    assert counts["high_risk_without_contact"] == 1
    with store.uow() as uow:  # a phone call is a contact
        cases.add_entry(uow, crypto, case["id"], {"kind": "phone", "text": "电话"},
                        "sw-li", "social_worker")
    with store.uow() as uow:
        assert cases.count_cases(uow.session, 14)["high_risk_without_contact"] == 0
        with pytest.raises(Forbidden):
            cases.follow_up(uow.session, {"worker": "sw-li"}, "sw-wang", "social_worker", 14)


def test_duplicates_are_offered_and_a_merge_keeps_both_histories(store, crypto):
    first = open_case(store, crypto)
    second = open_case(store, crypto, body(phone="13912349999"))  # same name, year, compound
    third = open_case(store, crypto, body(name="陈晓明"))  # same phone
    assert second["possible_duplicates"] == [{"person_id": first["person"]["id"],
                                              "matched_on": ["name_birth_year_compound"],
                                              "case_numbers": ["GA000001"]}]
    assert [d["matched_on"] for d in third["possible_duplicates"]] == [["phone"]]
    with store.uow() as uow:
        pairs = cases.list_duplicates(uow.session)["items"]
    assert [(p["person_id"], p["duplicate_person_id"]) for p in pairs] == [(1, 2), (1, 3)]
    with store.uow() as uow:
        before = cases.count_cases(uow.session, 14)["distinct_people"]
        merged = cases.merge_persons(uow, crypto, 2, {"into_person_id": 1}, "admin", "admin")
    assert merged["case_numbers"] == ["GA000001", "GA000002"]
    with store.uow() as uow:
        assert cases.count_cases(uow.session, 14)["distinct_people"] == before - 1
        moved = cases.get_case(uow, crypto, second["id"], "sw-li", "social_worker")
        assert moved["person"]["id"] == 1 and moved["consents"]
        assert cases.full_answer(uow.session, crypto, uow.session.get(Case, 1),
                                 "admin")["merged_person_ids"] == [2]
        with pytest.raises(Forbidden):
            cases.merge_persons(uow, crypto, 3, {"into_person_id": 1}, "sw-li", "social_worker")
    assert store.events("case_persons_merged")[0]["payload"]["cases_moved"] == 1


@pytest.fixture
def partner(store, crypto):
    with store.uow() as uow:
        return domain.register_partner(uow, crypto, {
            "name": "和通小学", "kind": "school", "five_society": "social_resource",
            "contact_name": "王老师", "contact_phone": "13912345678",
            "compounds": ["fulong_huayuan"]})
