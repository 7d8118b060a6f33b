"""What a coordinator reads on the KPI page at the edges of the rules: how far behind the
calendar a KPI may fall before it is at risk, a mean just under its target, a target of
nothing, and how much of the project year has gone on its first and last days."""
from datetime import date

from services.reports import domain

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
