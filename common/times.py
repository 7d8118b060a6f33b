"""The time rule, the same in every service.

- A time written without an offset is the community's local time: the zone configured as
  ``TIMEZONE`` (``Asia/Shanghai`` for Hetong). A social worker typing ``2026-12-05T09:30``
  means half past nine on the station's clock, whichever service receives it.
- A date-only value where a time is expected (``from=2026-12-01``) is that local day: its
  first instant as a lower bound, the first instant of the next day as an upper bound.
- Every answer, from every service, gives instants in UTC with a ``Z``
  (``2026-12-05T01:30:00Z``) and dates as ``YYYY-MM-DD``; months and days that a figure
  counts in are local.
- Stored instants are UTC; SQLite hands them back naive, which ``utc`` reads as UTC.

The zone is set once per process from configuration (``configure``), never read from the
environment at import time.
"""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"
_zone = ZoneInfo(DEFAULT_ZONE)


def configure(config):
    """Set the community's zone from a process's configuration (``TIMEZONE``)."""
    global _zone
    _zone = ZoneInfo(str(config.get("TIMEZONE") or DEFAULT_ZONE))
    return _zone


def zone():
    return _zone


def now():
    """The current instant, aware, in UTC."""
    return datetime.now(timezone.utc)


def local_today():
    """The community's date now (read through ``now``: one clock for every rule)."""
    return now().astimezone(_zone).date()


def utc(value):
    """An aware datetime, a naive local one (the rule) → aware UTC. ``None`` stays."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=_zone)
    return value.astimezone(timezone.utc)


def from_storage(value):
    """A stored instant (naive means UTC: SQLite drops the offset) → aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def to_storage(value):
    """Any datetime under the rule → naive UTC, the form every table keeps."""
    return utc(value).replace(tzinfo=None) if value is not None else None


def local(value):
    """A stored or aware instant → the community's wall clock (aware)."""
    return from_storage(value).astimezone(_zone) if value is not None else None


def local_date(value):
    """The local day of a stored or aware instant."""
    return local(value).date() if value is not None else None


def day_start(day):
    """The first instant (UTC) of a local day."""
    return datetime.combine(day, time.min, tzinfo=_zone).astimezone(timezone.utc)


def day_end(day):
    """The first instant (UTC) after a local day: an exclusive upper bound."""
    return day_start(day + timedelta(days=1))


def parse(value, upper_bound=False):
    """ISO 8601 text under the rule → aware UTC. A date alone is its local day's start,
    or, with ``upper_bound``, the start of the next day."""
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, date):
        return day_end(value) if upper_bound else day_start(value)
    text = str(value).strip()
    if "T" not in text and " " not in text and len(text) == 10:
        day = date.fromisoformat(text)
        return day_end(day) if upper_bound else day_start(day)
    return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def iso(value):
    """The one answer form: instants in UTC with ``Z``, dates as ``YYYY-MM-DD``.
    A naive datetime here is a stored one, hence UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return from_storage(value).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def month(value):
    """``YYYY-MM`` of the local month of an instant (aware, stored, or ISO text) or of a
    date."""
    if isinstance(value, str):
        if "T" not in value and " " not in value:
            return value[:7]
        value = parse(value)
    elif isinstance(value, datetime):
        value = from_storage(value) if value.tzinfo is None else value
    if isinstance(value, datetime):
        return value.astimezone(_zone).strftime("%Y-%m")
    if isinstance(value, date):
        return value.strftime("%Y-%m")
    raise ValueError(f"not a time: {value!r}")
