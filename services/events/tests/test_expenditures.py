"""Expenditures in the events domain, on a real database without a broker: the project
year from the date, the line checked against its amount under a lock, the admin's
override recorded, warnings past the threshold, exact fen over many writes, facts
without the payee."""
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
import yaml

from common import contract
from common.errors import Conflict, Forbidden, ValidationFailed
from services.events import expenditures
from services.events.models import Expenditure
from services.events.tests.conftest import BOTH_BACKENDS

LINES = {"personnel": {"label": "人员经费", "amount": "8000.00"},
         "activities": {"label": "活动经费", "amount": "1000.00"},
         "materials": {"label": "物资耗材", "amount": "600.00"},
         "management": {"label": "管理费用", "amount": "400.00"}}


def contract_files(where, lines=LINES, budget="10000.00", start="2026-03-01"):
    """A contract of two project years from ``start`` (not 1 January)."""
    for number in (1, 2):
        data = {"community_id": "testcity", "project_year": number, "contract_start": start,
                "budget_yuan": budget, "budget_lines": lines, "targets": {}}
        (where / f"testcity-year{number}.yaml").write_text(
            yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(where / "testcity-year1.yaml")


@pytest.fixture
def years(tmp_path):
    return contract.load_contract(contract_files(tmp_path))


def spend(store, years, amount, line="activities", day="2026-05-10", by="sw1",
          may_override=False, **extra):
    data = {"spent_on": day, "amount": amount, "budget_line": line, "plan": "service",
            "payee": "厦门某文具店", **extra}
    with store.unit_of_work() as uow:
        return expenditures.record_expenditure(uow, years, data, by, may_override)


def test_the_date_decides_the_project_year_from_the_contract_start(store, years):
    assert spend(store, years, "10.00", day="2027-02-28")["project_year"] == 1
    assert spend(store, years, "10.00", day="2027-03-01")["project_year"] == 2
    with pytest.raises(ValidationFailed) as caught:
        spend(store, years, "10.00", day="2026-02-28")
    assert caught.value.to_dict("zh")["details"] == {"spent_on": [
        "不在项目年度内（第 1 年 2026-03-01 至 2027-02-28、第 2 年 2027-03-01 至 2028-02-29）"]}
    with pytest.raises(ValidationFailed) as caught:
        spend(store, years, "10.00", line="travel")
    refused = caught.value.to_dict("zh")
    assert refused["message"] == "第 1 项目年度没有预算科目 travel"
    assert refused["details"] == {"budget_line": [
        "可选：人员经费（personnel）、活动经费（activities）、物资耗材（materials）、"
        "管理费用（management）"]}
    assert caught.value.to_dict("en")["details"] == {"budget_line": [
        "one of personnel (人员经费), activities (活动经费), materials (物资耗材), "
        "management (管理费用)"]}


def test_overspending_is_refused_naming_the_line_and_what_is_left(store, years):
    first = spend(store, years, "899.99")
    assert first["amount"] == "899.99" and first["warnings"] == []
    assert first["line"] == {"budget_line": "activities", "label": "活动经费",
                             "budget": "1000.00", "spent": "899.99", "remaining": "100.01",
                             "percent_spent": 90.0}  # 89.999 %: below the threshold
    near = spend(store, years, 0.01)  # a JSON number: read through its text
    assert [w["code"] for w in near["warnings"]] == ["budget_line_nearly_spent"]
    assert near["warnings"][0]["message"] == "活动经费已使用 90.0%，剩余 100.00 元"
    with pytest.raises(Conflict) as caught:
        spend(store, years, "100.01")
    assert caught.value.details["budget_line"] == "activities"
    assert caught.value.details["remaining"] == "100.00"
    assert caught.value.to_dict("zh")["message"] == \
        "第 1 项目年度的“活动经费”（activities）仅剩 100.00 元，不足 100.01 元"
    assert caught.value.to_dict("en")["message"] == (
        "budget line activities (活动经费) of project year 1 has 100.00 left, less than 100.01")
    assert store.count(Expenditure) == 2  # nothing half-written
    assert spend(store, years, "100.00")["line"]["remaining"] == "0.00"


def test_only_an_admin_overrides_and_the_reason_is_recorded(store, years):
    spend(store, years, "1000.00")
    with pytest.raises(Forbidden) as caught:
        spend(store, years, "50.00", override_reason="区里追加的儿童节活动")
    assert caught.value.to_dict("zh") == {
        "error": "FORBIDDEN", "message": "只有管理员可以批准超出预算科目的支出",
        "details": {"override_reason": ["仅限管理员"]}}
    done = spend(store, years, "50.00", by="admin", may_override=True,
                 override_reason="区里追加的儿童节活动")
    assert done["over_budget"] is True and done["overridden_by"] == "admin"
    assert done["override_reason"] == "区里追加的儿童节活动"
    assert done["line"]["remaining"] == "-50.00"
    assert [w["code"] for w in done["warnings"]] == ["budget_line_overspent"]
    assert done["warnings"][0]["message"] == "活动经费已超支 50.00 元（已使用 105.0%）"
    fact = store.events("expenditure_recorded")[-1]["payload"]
    assert fact["over_budget"] is True and fact["amount_fen"] == 5000
    assert "厦门某文具店" not in store.raw_outbox() and "儿童节" not in store.raw_outbox()


@pytest.mark.parametrize("amount, words", [
    ("1.005", "小数超过两位：金额以元为单位，最多两位小数，例如 1234.50"),
    ("0", "须大于 0 且不超过 100000000.00 元"), ("-3", "须大于 0"),
    ("ten", "不是有效的金额："), (True, "不是有效的金额：")])
def test_an_amount_that_is_not_exact_yuan_is_refused(store, years, amount, words):
    with pytest.raises(ValidationFailed) as caught:
        spend(store, years, amount)
    assert words in caught.value.to_dict("zh")["details"]["amount"][0]


@BOTH_BACKENDS
def test_a_thousand_random_expenditures_add_up_to_the_fen(store, tmp_path):
    lines = {code: dict(spec, amount="100000.00") for code, spec in LINES.items()}
    years = contract.load_contract(contract_files(tmp_path, lines, budget="400000.00"))
    rng = random.Random(17)
    expected = {code: Decimal("0") for code in lines}
    first = date(2026, 3, 1)
    for _ in range(1000):
        code = rng.choice(list(lines))
        amount = Decimal(rng.randint(1, 20000)) / 100  # 0.01 … 200.00
        text = str(amount) if rng.random() < 0.5 else float(amount)
        spend(store, years, text, line=code,
              day=(first + timedelta(days=rng.randint(0, 364))).isoformat())
        expected[code] += amount
    with store.session() as session:
        status = expenditures.budget_lines(session, years, 1)
    assert {line["budget_line"]: Decimal(line["spent"]) for line in status["lines"]} == expected
    assert Decimal(status["total"]["spent"]) == sum(expected.values())
    facts = store.events("expenditure_recorded")
    assert len(facts) == 1000
    assert sum(f["payload"]["amount_fen"] for f in facts) == int(sum(expected.values()) * 100)
    with store.session() as session:
        listed = expenditures.list_expenditures(session, years, {"year": 1, "per_page": 100})
    assert listed["total"] == 1000


@pytest.mark.postgres
@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_a_write_waits_for_the_line_another_write_holds(store, years):
    """While another transaction holds the line (and spends 500.00 of the 900.00 left),
    a write of 500.00 waits for it, then reads what it left: 409 with 400.00 left.
    Without the row lock it would have read 900.00 left and overspent."""
    import eventlet
    from sqlalchemy import select as sql_select, update as sql_update

    from services.events.models import BudgetSpending

    spend(store, years, "100.00")
    key = (BudgetSpending.project_year == 1, BudgetSpending.budget_line == "activities")
    outcome = []

    def write():
        try:
            spend(store, years, "500.00")
            outcome.append("recorded")
        except Conflict as exc:
            outcome.append(exc.details["remaining"])

    with store.session() as other:
        other.execute(sql_select(BudgetSpending).where(*key).with_for_update()).one()
        writer = eventlet.spawn(write)
        eventlet.sleep(0.5)
        assert outcome == []  # waiting for the line
        other.execute(sql_update(BudgetSpending).where(*key).values(spent_fen=60000))
        other.commit()
    writer.wait()
    assert outcome == ["400.00"]
    assert store.count(Expenditure) == 1
