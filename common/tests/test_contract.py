"""The contract's project years: spans from the contract's start date, budget lines
checked when loaded, the year that holds a date."""
from datetime import date
from decimal import Decimal

import pytest
import yaml

from common import contract
from common.errors import NotFound, ServiceUnavailable, ValidationFailed


def write(path, **data):
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


LINES = {"personnel": {"label": "人员经费", "amount": "300000.00"},
         "activities": {"label": "活动经费", "amount": "100000.50"},
         "management": {"label": "管理费用", "amount": "19999.50"}}


def year_file(tmp_path, number, **extra):
    data = {"community_id": "demo", "project_year": number, "contract_start": "2026-04-15",
            "budget_yuan": 420000, "budget_lines": LINES,
            "targets": {"activities_held": {"target": 100 + number}}}
    data.update(extra)
    return write(tmp_path / f"demo-year{number}.yaml", **data)


def test_hetong_has_three_sample_years_back_to_back_with_lines_adding_up():
    years = contract.load_contract("config/targets/hetong-year1.yaml")
    assert [y.number for y in years.years] == [1, 2, 3]
    assert [(y.start, y.end) for y in years.years] == [
        (date(2026, 1, 1), date(2026, 12, 31)), (date(2027, 1, 1), date(2027, 12, 31)),
        (date(2028, 1, 1), date(2028, 12, 31))]
    for year in years.years:
        assert year.targets["sample"] is True
        assert year.budget_fen == 42_000_000
        assert year.line("personnel").label == "人员经费"


def test_years_run_from_the_contract_start_not_the_calendar(tmp_path):
    first = year_file(tmp_path, 1)
    year_file(tmp_path, 2)
    year_file(tmp_path, 3)
    years = contract.load_contract(first)
    assert [(y.start, y.end) for y in years.years] == [
        (date(2026, 4, 15), date(2027, 4, 14)), (date(2027, 4, 15), date(2028, 4, 14)),
        (date(2028, 4, 15), date(2029, 4, 14))]
    assert years.year_on(date(2027, 4, 14)).number == 1
    assert years.year_on(date(2027, 4, 15)).number == 2
    assert years.year_on(date(2026, 4, 14)) is None
    assert years.current(date(2030, 1, 1)).number == 1  # outside: the configured year
    assert years.year(3).targets["targets"]["activities_held"]["target"] == 103
    with pytest.raises(NotFound):
        years.year(4)


def test_one_file_alone_is_a_contract_of_one_year(tmp_path):
    only = write(tmp_path / "targets.yaml", community_id="solo", project_year=1,
                 year_start="2026-01-01", year_end="2026-12-31", budget_yuan=100000,
                 targets={})
    years = contract.load_contract(only)
    assert [y.number for y in years.years] == [1]
    assert years.year(None).budget_fen == 10_000_000
    assert years.year(None).lines == ()


def test_a_pattern_or_directory_names_every_year(tmp_path):
    elsewhere = tmp_path / "years"
    elsewhere.mkdir()
    first = year_file(elsewhere, 1)
    year_file(elsewhere, 2)
    assert [y.number for y in contract.load_contract(first, str(elsewhere)).years] == [1, 2]
    assert [y.number for y in contract.load_contract(
        first, str(elsewhere / "demo-year*.yaml")).years] == [1, 2]


@pytest.mark.parametrize("lines, field, words, reason", [
    (dict(LINES, management={"label": "管理费用", "amount": "19999.49"}), "budget_lines",
     "预算科目合计 419999.99 元，与合同总预算 420000.00 元不符",
     "合计 419999.99 元 ≠ 总预算 420000.00 元"),
    (dict(LINES, management={"label": "管理费用", "amount": "19999.505"}),
     "budget_lines.management", "预算科目 management 的金额“19999.505”无效：小数超过两位",
     "小数超过两位"),
    (dict(LINES, management={"label": "管理费用", "amount": "lots"}),
     "budget_lines.management", "预算科目 management 的金额“lots”无效：不是有效的金额",
     "不是有效的金额"),
    (dict(LINES, management={"label": "管理费用"}), "budget_lines.management",
     "预算科目 management 没有金额", "须有名称（label）和金额（amount）"),
    (dict(LINES, management={"amount": "19999.50"}), "budget_lines.management",
     "预算科目 management 没有名称", "须有名称（label）"),
])
def test_a_wrong_budget_line_is_refused_at_load_naming_it(tmp_path, lines, field, words,
                                                           reason):
    path = year_file(tmp_path, 1, budget_lines=lines)
    with pytest.raises(ValidationFailed) as caught:
        contract.load_contract(path)
    refused = caught.value.to_dict("zh")
    assert refused["message"].startswith(words) and "demo-year1.yaml" in refused["message"]
    assert refused["details"] == {field: [reason]}


def test_a_wrong_file_is_refused_in_english_when_asked(tmp_path):
    path = year_file(tmp_path, 1, budget_lines=dict(
        LINES, management={"label": "管理费用", "amount": "19999.505"}))
    with pytest.raises(ValidationFailed) as caught:
        contract.load_contract(path)
    refused = caught.value.to_dict("en")
    assert refused["message"] == (f"budget line management: bad amount 19999.505: more than "
                                  f"two decimals ({path})")
    assert refused["details"] == {"budget_lines.management": ["more than two decimals"]}


def test_amounts_are_exact_fen():
    assert contract.to_fen("0.10") + contract.to_fen("0.20") == contract.to_fen("0.30")
    assert contract.to_fen(Decimal("12.5")) == 1250
    assert contract.to_fen(0.1) == 10
    assert contract.yuan(123456789) == "1234567.89"
    assert contract.yuan(-5) == "-0.05"
    for bad in ("1.001", "NaN", "", True):
        with pytest.raises(ValueError):
            contract.to_fen(bad)


def test_a_missing_file_is_the_deployments_mistake_naming_it(tmp_path):
    with pytest.raises(ServiceUnavailable) as caught:
        contract.load_contract(tmp_path / "nowhere-year1.yaml")
    missing = tmp_path / "nowhere-year1.yaml"
    assert caught.value.to_dict("zh")["message"] == (
        f"找不到合同文件 {missing}（请检查配置 KPI_TARGETS_FILE、CONTRACT_YEARS）")
    assert caught.value.to_dict("en")["message"] == (
        f"contract file {missing} not found (KPI_TARGETS_FILE, CONTRACT_YEARS)")


def test_the_files_of_a_contract_are_checked_together(tmp_path):
    first = year_file(tmp_path, 1)
    year_file(tmp_path, 2, year_start="2027-04-01")  # year 1 runs to 2027-04-14
    with pytest.raises(ValidationFailed) as caught:
        contract.load_contract(first)
    assert caught.value.to_dict("zh") == {
        "error": "VALIDATION_FAILED", "message": "第 1 与第 2 项目年度的时间重叠",
        "details": {"year_start": ["2027-04-01 早于上一年度的结束日 2027-04-14"]}}
    year_file(tmp_path, 2, community_id="elsewhere")
    with pytest.raises(ValidationFailed) as caught:
        contract.load_contract(first)
    assert caught.value.to_dict("zh")["details"] == {
        "community_id": ["此文件为 elsewhere，其他文件为 demo"]}
    year_file(tmp_path, 2, contract_start="2026-13-01")
    with pytest.raises(ValidationFailed) as caught:
        contract.load_contract(first)
    assert caught.value.to_dict("zh")["details"] == {
        "contract_start": ["“2026-13-01”不是有效日期（应为 YYYY-MM-DD）"]}
    with pytest.raises(NotFound) as caught:
        contract.load_contract(first, str(tmp_path / "demo-year1.yaml")).year(4)
    assert caught.value.to_dict("zh")["message"] == "合同中没有第 4 项目年度"
    assert caught.value.to_dict("en")["details"] == {"year": ["unknown year 4"]}
