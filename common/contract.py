"""The contract's project years: one YAML file per year (``config/targets/<community>-year<N>.yaml``)
with its number, its span, its KPI targets and its budget lines.

- A year's span comes from the contract's start date, not the calendar: year N runs from
  ``contract_start`` + (N − 1) years to the day before the next year starts. A file may
  give ``year_start``/``year_end`` itself (year 1's file does); then those win.
- Budget lines (``budget_lines: {code: {label, amount}}``) are exact yuan with at most two
  decimals (``Decimal``; amounts are best written as strings, a YAML float is read through
  its text), and add up to ``budget_yuan``. A mistake is refused when the file is loaded,
  naming the line (``ValidationFailed``, details ``{"budget_lines.<code>": [...]}``).
- A wrong or missing file is refused when it is read, and it is read again on a request
  when it changed: its errors are the catalogue's (common/messages.yaml) like any other
  the API answers, naming the file.
- Which files: ``CONTRACT_YEARS`` (a directory or a glob pattern) names them all; left
  empty, the one file ``KPI_TARGETS_FILE`` names and its siblings
  ``<community>-year<N>.yaml`` in the same directory (an instance with one year has one
  file and nothing else to set).

``Contract.year_on(day)`` answers which project year holds a date. Files are read again
when they change (their modification times), so replacing one needs no restart.
"""
import glob
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from common.config import ROOT
from common.errors import NotFound, ServiceUnavailable, ValidationFailed, msg

CENT = Decimal("0.01")
DEFAULT_WARNING_PERCENT = 90


def to_fen(value):
    """Exact yuan (str, int, Decimal; a float through its text) → integer fen. ValueError
    when it is not a number or has more than two decimals; its text is the catalogue's
    key for why (``not_an_amount``, ``more_than_two_decimals``: ``reason(exc)``)."""
    if isinstance(value, bool):
        raise ValueError("not_an_amount")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, AttributeError):
        raise ValueError("not_an_amount") from None
    if not amount.is_finite():
        raise ValueError("not_an_amount")
    if amount != amount.quantize(CENT):
        raise ValueError("more_than_two_decimals")
    return int(amount * 100)


def reason(exc):
    """Why ``to_fen`` refused an amount, as a catalogue message."""
    return msg(str(exc))


def yuan(fen):
    """Integer fen → the yuan text with two decimals ("1234.50"), the API's form."""
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


@dataclass(frozen=True)
class BudgetLine:
    code: str
    label: str
    amount_fen: int


@dataclass(frozen=True)
class ProjectYear:
    number: int
    start: date
    end: date
    targets: dict  # the file as loaded (what reports' KPIs read)
    lines: tuple = ()
    budget_fen: int = 0
    warning_percent: int = DEFAULT_WARNING_PERCENT
    path: str = ""

    def holds(self, day):
        return self.start <= day <= self.end

    def line(self, code):
        for line in self.lines:
            if line.code == code:
                return line
        return None


@dataclass(frozen=True)
class Contract:
    years: tuple = field(default_factory=tuple)  # by number
    default: int = 1  # the year of KPI_TARGETS_FILE

    def year(self, number=None):
        number = self.default if number is None else int(number)
        for year in self.years:
            if year.number == number:
                return year
        raise NotFound("project_year_not_found", {"year": [msg("unknown_year", year=number)]},
                       year=number)

    def year_on(self, day):
        """The project year holding ``day``, or None (before the first, after the last)."""
        for year in self.years:
            if year.holds(day):
                return year
        return None

    def current(self, today):
        """The year holding ``today``; outside every year, the configured one."""
        return self.year_on(today) or self.year()


def _date(value, path, key):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed("contract_file_bad_date",
                               {key: [msg("not_a_date", value=str(value))]}, path=str(path),
                               field=key) from None


def _add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def budget_lines(data, path):
    """The file's budget lines, checked: each a known amount, together the contract's."""
    raw = data.get("budget_lines")
    contract = None
    if data.get("budget_yuan") is not None:
        try:
            contract = to_fen(data["budget_yuan"])
        except ValueError as exc:
            raise ValidationFailed("contract_file_bad_budget", {"budget_yuan": [reason(exc)]},
                                   path=str(path)) from None
    if raw is None:
        return (), contract or 0
    if not isinstance(raw, dict) or not raw:
        raise ValidationFailed("contract_file_bad_budget_lines",
                               {"budget_lines": ["budget_lines_mapping"]}, path=str(path))
    lines = []
    for code, spec in raw.items():
        key = f"budget_lines.{code}"
        if not isinstance(spec, dict) or "amount" not in spec:
            raise ValidationFailed("budget_line_no_amount",
                                   {key: ["budget_line_needs_label_and_amount"]}, code=code,
                                   path=str(path))
        try:
            fen = to_fen(spec["amount"])
        except ValueError as exc:
            raise ValidationFailed("budget_line_bad_amount", {key: [reason(exc)]}, code=code,
                                   amount=str(spec["amount"]), reason=reason(exc),
                                   path=str(path)) from None
        if fen <= 0:
            raise ValidationFailed("budget_line_amount_not_positive",
                                   {key: ["must_be_positive"]}, code=code, path=str(path))
        if not spec.get("label"):
            raise ValidationFailed("budget_line_no_label", {key: ["budget_line_needs_label"]},
                                   code=code, path=str(path))
        lines.append(BudgetLine(str(code), str(spec["label"]), fen))
    total = sum(line.amount_fen for line in lines)
    if contract is not None and contract != total:
        raise ValidationFailed(
            "budget_lines_do_not_add_up",
            {"budget_lines": [msg("budget_lines_sum_differs", total=yuan(total),
                                  budget=yuan(contract))]},
            total=yuan(total), budget=yuan(contract), path=str(path))
    return tuple(lines), total


def project_year(data, path):
    """One year's file → ProjectYear (its span from the contract's start date)."""
    number = int(data.get("project_year", 1))
    if data.get("year_start") is not None:
        start = _date(data["year_start"], path, "year_start")
    elif data.get("contract_start") is not None:
        start = _add_years(_date(data["contract_start"], path, "contract_start"), number - 1)
    else:
        raise ValidationFailed("contract_file_no_start", {"year_start": ["required"]},
                               path=str(path))
    if data.get("year_end") is not None:
        end = _date(data["year_end"], path, "year_end")
    else:
        end = _add_years(start, 1) - timedelta(days=1)
    if end < start:
        raise ValidationFailed("contract_file_ends_before_start", {"year_end": [msg(
            "year_ends_before_start", end=end.isoformat(), start=start.isoformat())]},
            path=str(path))
    lines, total = budget_lines(data, path)
    data = dict(data, project_year=number, year_start=start, year_end=end)
    return ProjectYear(number, start, end, data, lines, total,
                       int(data.get("budget_warning_percent", DEFAULT_WARNING_PERCENT)),
                       str(path))


_CACHE = {}


def _resolve(path):
    path = Path(path)
    return path if path.is_absolute() else ROOT / path


def read_file(path):
    """A YAML file, parsed once per version of it."""
    path = _resolve(path)
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        # The deployment's mistake, not the request's: 503 naming the file and the keys.
        raise ServiceUnavailable("contract_file_not_found", {"file": str(path)},
                                 path=str(path)) from None
    cached = _CACHE.get(path)
    if cached is None or cached[0] != stamp:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        cached = _CACHE[path] = (stamp, data, project_year(data, path))
    return cached[1], cached[2]


def year_files(targets_file, pattern=None):
    """The contract's files: those ``pattern`` names (a directory: its *.yaml; else a
    glob pattern, relative to the project's root), or ``targets_file`` and its siblings
    ``<community>-year<N>.yaml``."""
    if pattern:
        where = _resolve(pattern)
        if where.is_dir():
            return sorted(where.glob("*.yaml"))
        return sorted(Path(p) for p in glob.glob(str(where)))
    main = _resolve(targets_file)
    data, _year = read_file(main)
    community = data.get("community_id")
    siblings = sorted(main.parent.glob(f"{community}-year*.yaml")) if community else []
    return sorted(set([main] + siblings))


def load_contract(targets_file, pattern=None):
    """The Contract of the configured files; its default year is KPI_TARGETS_FILE's."""
    default = read_file(targets_file)[1].number
    years = {}
    community = None
    for path in year_files(targets_file, pattern):
        data, year = read_file(path)
        if community is None:
            community = data.get("community_id")
        elif data.get("community_id") != community:
            raise ValidationFailed("contract_file_other_community", {"community_id": [msg(
                "community_differs", community_id=str(data.get("community_id")),
                expected=str(community))]}, path=str(path))
        if year.number in years and years[year.number].path != year.path:
            raise ValidationFailed("project_year_two_files", {"project_year": [msg(
                "project_year_given_twice", year=year.number)]}, year=year.number,
                first=str(years[year.number].path), second=str(path))
        years[year.number] = year
    if default not in years:  # KPI_TARGETS_FILE outside CONTRACT_YEARS
        years[default] = read_file(targets_file)[1]
    ordered = tuple(years[n] for n in sorted(years))
    for before, after in zip(ordered, ordered[1:]):
        if after.start <= before.end:
            raise ValidationFailed("project_years_overlap", {"year_start": [msg(
                "year_starts_before_previous_ends", start=after.start.isoformat(),
                end=before.end.isoformat())]}, before=before.number, after=after.number)
    return Contract(ordered, default)


def from_config(config):
    """The Contract of a service's configuration (KPI_TARGETS_FILE, CONTRACT_YEARS)."""
    return load_contract(config.get("KPI_TARGETS_FILE") or "config/targets/hetong-year1.yaml",
                         config.get("CONTRACT_YEARS") or None)
