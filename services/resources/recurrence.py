"""Recurring bookings: the occurrences of a rule (RFC 5545 RRULE, through dateutil).

A rule comes structured (``{"freq": "weekly", "by_weekday": ["mon", "fri"], "interval":
1, "until": date}`` or with ``count``) or as RRULE text (``FREQ=WEEKLY;BYDAY=MO,FR;
UNTIL=20270630``), read strictly into the same structure, so one path generates the
occurrences. Only daily and weekly rules, bounded by ``until`` or ``count``, at most
``MAX_OCCURRENCES`` occurrences within ``MAX_SPAN_DAYS`` of the first.

Occurrences keep their wall-clock time in the community's zone (``common.times``): the
rule runs over naive local times (a floating DTSTART) and each occurrence becomes an
instant afterwards, so 16:30 stays 16:30 across a daylight-saving change. A wall-clock
time that does not exist on a day (skipped by a change of clock) is reported as that
occurrence's problem, never moved silently.
"""
import re
from datetime import datetime, time, timedelta
from itertools import islice

from dateutil import rrule as du

from common import times
from common.errors import ValidationFailed
from common.messages import msg

MAX_OCCURRENCES = 300
MAX_SPAN_DAYS = 366
MAX_INTERVAL = 52
DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RFC_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FREQUENCIES = {"daily": du.DAILY, "weekly": du.WEEKLY}
_RRULE_PARTS = {"FREQ", "INTERVAL", "BYDAY", "UNTIL", "COUNT", "WKST"}
_UNTIL = re.compile(r"^(\d{8})(T(\d{6})(Z?))?$")


def _refuse(field, reason):
    """422 naming the field; ``rule.until`` is nested as marshmallow nests its errors."""
    details = [reason]
    for part in reversed(field.split(".")):
        details = {part: details}
    raise ValidationFailed("field_reason", details, field=field, reason=reason)


def parse_rrule(text):
    """RRULE text (``RRULE:`` prefix optional) → the structured rule; ValidationFailed
    naming ``rrule`` and the part at fault for anything this calendar does not take."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:"):]
    parts = {}
    for piece in body.split(";"):
        key, sep, value = piece.partition("=")
        key, value = key.strip().upper(), value.strip()
        if not sep or not key or not value:
            _refuse("rrule", msg("not_name_value", piece=repr(piece)))
        if key not in _RRULE_PARTS:
            _refuse("rrule", msg("not_supported_use_freq_interval_byday", the_key=key))
        if key in parts:
            _refuse("rrule", msg("given_twice", the_key=key))
        parts[key] = value.upper()
    if "FREQ" not in parts:
        _refuse("rrule", msg("freq_required"))
    freq = parts["FREQ"].lower()
    if freq not in FREQUENCIES:
        _refuse("rrule", msg("freq_not_supported_daily_or_weekly", FREQ=parts['FREQ']))
    rule = {"freq": freq, "interval": 1, "by_weekday": [], "until": None, "count": None}
    if "WKST" in parts:
        if parts["WKST"] not in RFC_DAYS:
            _refuse("rrule", msg("wkst_not_day_mo_su", WKST=parts['WKST']))
        # The week's first day matters to a weekly rule with INTERVAL > 1 and BYDAY.
        rule["wkst"] = DAY_CODES[RFC_DAYS.index(parts["WKST"])]
    if "INTERVAL" in parts:
        if not parts["INTERVAL"].isdigit() or not 1 <= int(parts["INTERVAL"]) <= MAX_INTERVAL:
            _refuse("rrule", msg("interval_must_whole_number", MAX_INTERVAL=MAX_INTERVAL))
        rule["interval"] = int(parts["INTERVAL"])
    if "BYDAY" in parts:
        for code in parts["BYDAY"].split(","):
            if code not in RFC_DAYS:
                _refuse("rrule", msg("byday_not_day_mo_tu_we", code=code))
            day = DAY_CODES[RFC_DAYS.index(code)]
            if day in rule["by_weekday"]:
                _refuse("rrule", msg("byday_names_twice", code=code))
            rule["by_weekday"].append(day)
    if ("UNTIL" in parts) == ("COUNT" in parts):
        _refuse("rrule", msg("give_exactly_one_until_and_count"))
    if "COUNT" in parts:
        if not parts["COUNT"].isdigit() or not 1 <= int(parts["COUNT"]) <= MAX_OCCURRENCES:
            _refuse("rrule", msg("count_must_whole_number", MAX_OCCURRENCES=MAX_OCCURRENCES))
        rule["count"] = int(parts["COUNT"])
    else:
        rule["until"] = _parse_until(parts["UNTIL"])
    return rule


def _parse_until(value):
    """UNTIL as a local date or a local or UTC time; a time becomes its local date (the
    series is bounded by days)."""
    match = _UNTIL.match(value)
    if not match:
        _refuse("rrule", msg("until_not_yyyymmdd_or_yyyymmddthhmmss_z", value=value))
    try:
        day = datetime.strptime(match.group(1), "%Y%m%d").date()
        if match.group(2):
            moment = datetime.strptime(match.group(1) + match.group(3), "%Y%m%d%H%M%S")
            if match.group(4):  # UTC: the local date it falls on
                day = times.local(moment).date()
            else:
                day = moment.date()
    except (ValueError, OverflowError):
        _refuse("rrule", msg("until_not_real_date", value=value))
    return day


def to_rrule_text(rule):
    """The normalised RRULE text of a structured rule, as stored and answered."""
    parts = [f"FREQ={rule['freq'].upper()}", f"INTERVAL={rule['interval']}"]
    if rule.get("by_weekday"):
        parts.append("BYDAY=" + ",".join(RFC_DAYS[DAY_CODES.index(d)]
                                          for d in rule["by_weekday"]))
    if rule.get("wkst", "mon") != "mon":
        parts.append(f"WKST={RFC_DAYS[DAY_CODES.index(rule['wkst'])]}")
    if rule.get("count"):
        parts.append(f"COUNT={rule['count']}")
    else:
        parts.append(f"UNTIL={rule['until']:%Y%m%d}")
    return ";".join(parts)


def occurrences(first_start, first_end, rule, exdates=(), rule_field="rule"):
    """The occurrences of a series, in order: ``[(start, end, problem)]``, instants aware
    UTC, ``problem`` None or why that wall-clock slot does not exist that day.

    ``first_start``/``first_end`` are instants (the first occurrence's slot, DTSTART);
    their local wall-clock times are kept for every occurrence. ``exdates`` are local
    dates skipped (EXDATE). ``rule_field`` is where the rule came from (``rule`` or
    ``rrule``), named by the errors."""
    def bound_field(part):
        return f"rule.{part}" if rule_field == "rule" else rule_field

    zone = times.zone()
    local_start = times.local(first_start).replace(tzinfo=None)
    local_end = times.local(first_end).replace(tzinfo=None)
    first_day, last_allowed = local_start.date(), local_start.date() + timedelta(
        days=MAX_SPAN_DAYS)
    if local_end.date() != first_day:
        _refuse("end", msg("first_occurrence_must_end_on_day"))
    for day in exdates:
        if day < first_day:
            _refuse("exdates", msg("before_first_occurrence", day=day, first_day=first_day))
    if rule.get("until") is not None:
        if rule["until"] < first_day:
            _refuse(bound_field("until"),
                    msg("before_first_occurrence_2", until=rule['until'], first_day=first_day))
        if rule["until"] > last_allowed:
            _refuse(bound_field("until"),
                    msg("series_spans_at_most_days_from", MAX_SPAN_DAYS=MAX_SPAN_DAYS))
    recurrence = du.rruleset(cache=False)
    recurrence.rrule(du.rrule(
        FREQUENCIES[rule["freq"]], dtstart=local_start, interval=rule["interval"],
        byweekday=[DAY_CODES.index(d) for d in rule.get("by_weekday") or []] or None,
        until=datetime.combine(rule["until"], time.max) if rule.get("until") else None,
        count=rule.get("count"), wkst=DAY_CODES.index(rule.get("wkst", "mon"))))
    for day in exdates:
        recurrence.exdate(datetime.combine(day, local_start.time()))
    walls = list(islice(recurrence, MAX_OCCURRENCES + 1))
    field = bound_field("count" if rule.get("count") else "until")
    if not walls:
        _refuse(field, msg("rule_gives_no_occurrence"))
    if len(walls) > MAX_OCCURRENCES:
        _refuse(field, msg("series_has_at_most_occurrences", MAX_OCCURRENCES=MAX_OCCURRENCES))
    if walls[-1].date() > last_allowed:
        _refuse(field, msg("series_spans_at_most_days_from", MAX_SPAN_DAYS=MAX_SPAN_DAYS))
    result = []
    for wall_start in walls:
        wall_end = datetime.combine(wall_start.date(), local_end.time())
        start, end = times.utc(wall_start), times.utc(wall_end)
        problem = None
        for wall, instant in ((wall_start, start), (wall_end, end)):
            if instant.astimezone(zone).replace(tzinfo=None) != wall:
                problem = msg("no_such_local_time", wall=f"{wall:%Y-%m-%d %H:%M}",
                              zone=zone.key)
        result.append((start, end, problem))
    return result
