"""What a coordinator reads on the KPI page at the edges of the rules: how far behind the
calendar a KPI may fall before it is at risk, a mean just under its target, a target of
nothing, how much of the project year has gone on its first and last days, what each
line of the board says, and why a targets file that cannot be counted is refused."""
from datetime import date

import pytest

from common.errors import ValidationFailed
from services.reports import catalogue, domain

YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def test_a_mean_within_a_tenth_of_its_target_is_on_track_not_at_risk():
    # 4.2 against 4.5 is within the margin (4.05): on track.
    assert domain.kpi_status("mean_satisfaction", 4.2, 4.5, 0.9) == "on_track"
    # Exactly the margin still counts as on track; just under it is at risk.
    assert domain.kpi_status("mean_satisfaction", 4.5, 5.0, 0.9) == "on_track"
    assert domain.kpi_status("mean_satisfaction", 4.49, 5.0, 0.9) == "at_risk"
    # A mean is judged against the target, not against the calendar.
    assert domain.kpi_status("mean_satisfaction", 4.5, 4.5, 0.0) == "achieved"
    assert domain.kpi_status("mean_hours_to_match", 30, 30, 1.0) == "achieved"


def test_a_kpi_exactly_a_tenth_behind_the_calendar_is_still_on_track():
    # Half the year gone, 40 of 100 done: exactly the margin behind, on track.
    assert domain.kpi_status("people_served", 40, 100, 0.5) == "on_track"
    assert domain.kpi_status("people_served", 39, 100, 0.5) == "at_risk"
    # Ahead of the calendar but not yet reached: on track.
    assert domain.kpi_status("people_served", 60, 100, 0.5) == "on_track"
    assert domain.kpi_status("people_served", 99, 100, 1.0) == "on_track"


def test_a_target_of_nothing_is_achieved_and_a_target_of_one_is_not():
    assert domain.kpi_status("activities_held", 0, 0, 0.5) == "achieved"
    assert domain.kpi_status("activities_held", 0, 0, 0.5, has_data=False) == "achieved"
    assert domain.kpi_status("activities_held", 0, 1, 0.5) == "at_risk"
    assert domain.kpi_status("activities_held", 0, 1, 0.05, has_data=False) == "no_data"
    assert domain.kpi_status("activities_held", 1, 1, 0.5) == "achieved"
    assert domain.kpi_status("activities_held", 2, 1, 0.5) == "achieved"


def test_kpi_without_any_figure_is_no_data_whatever_the_calendar():
    assert domain.kpi_status("people_served", None, 100, 1.0) == "no_data"
    assert domain.kpi_status("activities_held", None, 0, 1.0) == "no_data"


def test_the_share_of_the_year_gone_counts_the_first_and_the_last_day():
    start, end = YEAR
    assert domain.year_elapsed(start, end, date(2025, 12, 31)) == 0.0
    # On its first day one day of 365 has gone (it is not still zero).
    assert domain.year_elapsed(start, end, start) == 1 / 365
    assert domain.year_elapsed(start, end, date(2026, 1, 2)) == 2 / 365
    assert domain.year_elapsed(start, end, date(2026, 7, 2)) == 183 / 365
    assert domain.year_elapsed(start, end, end) == 1.0
    assert domain.year_elapsed(start, end, date(2027, 3, 1)) == 1.0
    # A one-day "year": all of it has gone on that day.
    assert domain.year_elapsed(start, start, start) == 1.0


def refusal(targets):
    with pytest.raises(ValidationFailed) as exc:
        domain.kpi_specs({"targets": targets})
    told = exc.value.to_dict("en")
    assert exc.value.status == 422 and told["message"] == "bad targets file"
    return told["details"]


def test_a_kpi_counts_its_own_metric_or_the_one_named_under_the_keys_given():
    specs = domain.kpi_specs({"targets": {
        "activities_held": {"target": 40},
        "service_activities": {"target": 12, "metric": "activities_held",
                               "where": {"plan": "service"}},
        "priority_people": {"target": 300, "metric": "people_served",
                            "where": {"target_group": ["elderly", "children", 3]}},
        "social_partners": {"target": 2, "metric": "partners_active",
                            "where": {"five_society": "social_resource"}},
        "five_society": {"target": 5, "metric": "five_society_covered"},
        "resident_satisfaction_survey": {"target": 90}}})
    assert specs == {
        "activities_held": (catalogue.BY_NAME["activities_held"], None, None),
        "service_activities": (catalogue.BY_NAME["activities_held"], "plan", ["service"]),
        "priority_people": (catalogue.BY_NAME["people_served"], "target_group",
                            ["3", "children", "elderly"]),
        "social_partners": (catalogue.STATES["partners_active"], "five_society",
                            ["social_resource"]),
        "five_society": (catalogue.STATES["five_society_covered"], None, None),
        # A target the platform does not count (yet): on the board without a figure.
        "resident_satisfaction_survey": (None, None, None)}


def test_a_targets_file_that_cannot_be_counted_says_which_kpi_and_why():
    assert refusal({"x": {"target": 1, "metric": "no_such_figure"}}) == {
        "x": ["unknown metric no_such_figure"]}
    assert refusal({"no_such_figure": {"target": 1, "where": {"plan": "service"}}}) == {
        "no_such_figure": ["unknown metric no_such_figure"]}
    assert refusal({"x": {"target": 1, "metric": "activities_held",
                          "where": {"plan": "service", "kind": "activity"}}}) == {
        "x": ["where takes one dimension"]}
    assert refusal({"x": {"target": 1, "metric": "distinct_people",
                          "where": {"target_group": "children"}}}) == {
        "x": ["distinct_people is not counted by target_group"]}
    assert refusal({"x": {"target": 1, "metric": "activities_held",
                          "where": {"venue": "hall"}}}) == {
        "x": ["activities_held is not counted by venue"]}


def test_each_line_of_the_board_puts_the_actual_beside_its_target_and_the_calendar():
    targets = {"community_id": "hetong", "project": "融合", "project_year": 2,
               "sample": True, "year_start": date(2026, 1, 1), "year_end": date(2026, 12, 31),
               "targets": {"activities_held": {"target": 40},
                           "service_activities": {"target": "8", "metric": "activities_held",
                                                  "label": "服务活动", "unit": "次"},
                           "nothing_asked": {"target": 0, "metric": "people_served"},
                           "survey": {"target": 90},
                           "satisfaction": {"target": 5, "metric": "mean_satisfaction"},
                           "two_of_three": {"target": 3, "metric": "activities_held"}}}
    actuals = {"activities_held": 10, "service_activities": 1, "nothing_asked": 0,
               "survey": None, "satisfaction": 4.2, "two_of_three": 2}
    has_data = {"activities_held": True, "service_activities": True, "satisfaction": True,
                "two_of_three": True}
    board = domain.kpi_board(targets, actuals, has_data, 183 / 365, date(2026, 7, 2))
    assert {k: v for k, v in board.items() if k != "kpis"} == {
        "community_id": "hetong", "project": "融合", "project_year": 2,
        "sample_targets": True, "year_start": "2026-01-01", "year_end": "2026-12-31",
        "as_of": "2026-07-02"}
    assert board["kpis"] == [
        {"kpi": "activities_held", "label": "开展活动场次", "unit": "场", "target": 40.0,
         "actual": 10, "percent_done": 25.0, "percent_year_elapsed": 50.1,
         "status": "at_risk"},
        {"kpi": "service_activities", "label": "服务活动", "unit": "次", "target": 8.0,
         "actual": 1, "percent_done": 12.5, "percent_year_elapsed": 50.1,
         "status": "at_risk"},
        {"kpi": "nothing_asked", "label": "服务人次", "unit": "人次", "target": 0.0,
         "actual": 0, "percent_done": 100.0, "percent_year_elapsed": 50.1,
         "status": "achieved"},
        {"kpi": "survey", "label": "survey", "unit": "", "target": 90.0, "actual": None,
         "percent_done": None, "percent_year_elapsed": 50.1, "status": "no_data"},
        # A mean is judged against its target, whatever the KPI is called: 4.2 of 5 is
        # more than a tenth short, at risk (by the calendar it would be on track).
        {"kpi": "satisfaction", "label": "平均满意度", "unit": "分", "target": 5.0,
         "actual": 4.2, "percent_done": 84.0, "percent_year_elapsed": 50.1,
         "status": "at_risk"},
        {"kpi": "two_of_three", "label": "开展活动场次", "unit": "场", "target": 3.0,
         "actual": 2, "percent_done": 66.7, "percent_year_elapsed": 50.1,
         "status": "on_track"}]
    # Before the year is known (no dates): no share of the year; nothing behind yet.
    early = domain.kpi_board({"targets": {"activities_held": {"target": 40}}},
                             {"activities_held": 1}, {}, None, date(2026, 1, 1))
    assert early["sample_targets"] is False and early["year_start"] is None
    assert early["kpis"][0]["percent_year_elapsed"] is None
    assert early["kpis"][0]["status"] == "no_data"
