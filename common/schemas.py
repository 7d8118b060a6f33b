"""Schema pieces every service shares: the strict base (unknown fields are refused), the
time field that applies the time rule (``common.times``), and the page of a listing."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from common import times
from common.messages import msg

MIN_YEAR, MAX_YEAR = 2000, 2099
MAX_ID = 2 ** 31 - 1  # ids are 32-bit integers in PostgreSQL
MAX_PAGE = 100_000
MAX_PAGE_SIZE = 100


class Strict(Schema):
    class Meta:
        unknown = RAISE


# One instance per schema class, built on first use. Building a marshmallow schema binds
# and copies every field (a good part of a small body's validation); loading keeps no state
# on the instance: no schema of ours reads or writes ``context`` or keeps anything between
# loads, and a load runs without yielding to another green thread.
_INSTANCES = {}


def instance(schema):
    """The shared instance of ``schema`` (a class), or ``schema`` itself if an instance."""
    if not isinstance(schema, type):
        return schema
    built = _INSTANCES.get(schema)
    if built is None:
        built = _INSTANCES[schema] = schema()
    return built


def _check_year(value):
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationError(msg("year_out_of_range", min_year=MIN_YEAR, max_year=MAX_YEAR))


class Instant(fields.DateTime):
    """An instant in, under the time rule: ISO 8601 with an offset, or without one (the
    community's local time), loaded as an aware UTC datetime; dumped as UTC with ``Z``.

    ``date_ok=True`` (listing filters) also takes a date alone: its local day's start, or
    with ``upper_bound=True`` the start of the next day, so ``to=2026-12-01`` includes
    the whole of that day."""

    default_error_messages = {"invalid": "not a date and time (ISO 8601)"}

    def __init__(self, date_ok=False, upper_bound=False, **kwargs):
        self.date_ok = date_ok
        self.upper_bound = upper_bound
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            if self.date_ok and isinstance(value, str) and len(value.strip()) == 10:
                parsed = times.parse(value, upper_bound=self.upper_bound)
            else:
                parsed = times.utc(super()._deserialize(value, attr, data, **kwargs))
            local = times.local(parsed)
        except ValueError:
            raise self.make_error("invalid") from None
        except OverflowError:
            # 0001-01-01 or 9999-12-31 with an offset falls off the calendar on the way
            # to UTC: still the caller's mistake, named by the field.
            raise ValidationError(msg("year_out_of_range", min_year=MIN_YEAR,
                                      max_year=MAX_YEAR)) from None
        _check_year(local)
        return parsed

    def _serialize(self, value, attr, obj, **kwargs):
        return times.iso(value)


class Day(fields.Date):
    """A calendar date of this century."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        _check_year(value)
        return value


Id = lambda **kw: fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kw)  # noqa: E731
# An id in a query string arrives as text ("3"): the same range, read from its digits.
QueryId = lambda **kw: fields.Integer(validate=validate.Range(1, MAX_ID), **kw)  # noqa: E731


class PageQuery(Strict):
    """``page`` and ``per_page`` of every listing (bounded)."""

    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, MAX_PAGE_SIZE))


def wire(loaded):
    """A loaded query or body back to JSON-able values for RPC: instants in the one answer
    form (UTC, ``Z``), dates as ``YYYY-MM-DD``; the service loads it again with the same
    schema. List RPCs take one such ``query`` dict."""
    from datetime import date

    plain = {}
    for key, value in loaded.items():
        if isinstance(value, date):  # datetimes too
            value = times.iso(value)
        plain[key] = value
    return plain


class RowAnswer:
    """What an output schema dumps: a stored row, with the fields of its answer that are
    not its columns (decrypted personal data, counts, related numbers) given beside it."""

    def __init__(self, row, **extra):
        self._row = row
        self._extra = extra

    def __getattr__(self, name):
        extra = self.__dict__["_extra"]
        return extra[name] if name in extra else getattr(self._row, name)
