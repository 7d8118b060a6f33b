"""Helpers of the resources tests."""
from datetime import date, timedelta


def next_weekday(weekday, weeks_ahead=2):
    """A date ``weeks_ahead`` weeks from now falling on ``weekday`` (0 = Monday)."""
    day = date.today() + timedelta(weeks=weeks_ahead)
    return day + timedelta(days=(weekday - day.weekday()) % 7)
