"""Projections: every event type the registry routes to reports, applied to one
generation of the read model.

``apply_event(session, generation, envelope)`` is the only entry: it records the event in
``applied_events`` of that generation (a second application is skipped) and then adds the
event's increments. Increments are gathered in a ``Changes`` and written with one atomic
upsert per counter (``INSERT ... ON CONFLICT DO UPDATE SET value = value + excluded.value``)
so concurrent workers on PostgreSQL never lose an update, including when the row is new.

Periods are months (YYYY-MM) of the fact's own time (an event's start, an entry's
service date...) in the community's zone (``common.times``: config
TIMEZONE); values are exact (counts, minutes, seconds, fen) so that any order of
application gives the same figures. What happens at an event (registrations,
attendance, feedback) counts in the event's month, whenever it was typed in: see
``event_month``.
"""
from collections import defaultdict
from datetime import date, timezone

from sqlalchemy import and_, case, or_, select, text, update

from common import times, vocab
from common.times import month
from services.reports.models import (action_items, applied_events, first_seen, partners,
                                     period_closes, person_visits, volunteer_service)

NONE = "-"  # key for a missing compound (NULL would defeat the unique keys)
# Dimension of late entries (补录): a fact entered after its month was marked reported adds
# to (name, LATE, its month, the month whose report shows it) besides its usual counters.
LATE = "late"
STATUS_RANK = {"open": 0, "in_progress": 1, "done": 2, "cancelled": 3}
FIGURE_KEY = ("generation", "name", "dimension", "period", "key")


def dialect_insert(session, table):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


_STATEMENTS = {}


def statement(session, name):
    """Prepared-once SQL (the same ON CONFLICT syntax on SQLite and PostgreSQL): the
    dialects' insert constructs are not cached by SQLAlchemy, text() is, and this is the
    hot path of every event."""
    stmt = _STATEMENTS.get(name)
    if stmt is None:
        if name == "bump":
            cols = list(FIGURE_KEY) + ["value"]
            sql = (f'INSERT INTO figures ({", ".join(_q(c) for c in cols)}) '
                   f'VALUES ({", ".join(":" + c for c in cols)}) '
                   f'ON CONFLICT ({", ".join(_q(c) for c in FIGURE_KEY)}) '
                   'DO UPDATE SET value = figures.value + excluded.value')
        else:
            table = TABLES[name]
            cols = [c.name for c in table.columns]
            sql = (f'INSERT INTO {table.name} ({", ".join(_q(c) for c in cols)}) '
                   f'VALUES ({", ".join(":" + c for c in cols)}) ON CONFLICT DO NOTHING')
        stmt = _STATEMENTS[name] = text(sql)
    return stmt


def _q(column):
    return f'"{column}"'


def instant(value):
    """The fixed-width UTC text that ``as_of`` columns keep: it compares correctly as a
    string, which ``times.iso`` (microseconds only when present) would not."""
    return times.parse(value).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Changes:
    """Increments of one application, written by ``flush``."""

    def __init__(self, session, generation, closes=None):
        self.session = session
        self.conn = session.connection()  # Core execution: no ORM overhead per statement
        self.generation = generation
        self.counts = defaultdict(float)
        self.closes = closes or {}  # month marked reported → its closed_at (instant text)
        self.entered = None  # when the fact being applied was entered (if months closed)

    def add(self, name, period, amount=1, **dimensions):
        """Add ``amount`` to the total of ``name`` in ``period`` and to each key of each
        dimension given (a value or a list of values; None is skipped)."""
        if not amount:
            return
        self.counts[(name, "all", period, "all")] += amount
        if period in self.closes:
            shown_in = late_shown_in(period, self.entered, self.closes)
            if shown_in:
                self.counts[(name, LATE, period, shown_in)] += amount
        for dimension, keys in dimensions.items():
            if keys is None:
                continue
            for key in (keys if isinstance(keys, (list, tuple, set)) else [keys]):
                if key is None or key == "":
                    continue
                if dimension == "compound":
                    key = vocab.code_of("compounds", key)
                self.counts[(name, dimension, period, str(key))] += amount

    def add_only(self, name, period, amount, dimension, key):
        self.counts[(name, dimension, period, str(key))] += amount

    def count_distinct(self, name, scope, subject_id, period):
        """Count ``subject_id`` once in ``scope`` under figure ``name``, in the earliest
        month it is seen in: an earlier sighting that arrives later moves the count."""
        params = {"generation": self.generation, "scope": scope,
                  "subject_id": int(subject_id), "period": period}
        if self.conn.execute(statement(self.session, "first_seen"), params).rowcount == 1:
            self.add(name, period)
            return
        key = (first_seen.c.generation == self.generation, first_seen.c.scope == scope,
               first_seen.c.subject_id == int(subject_id))
        seen = self.session.execute(select(first_seen.c.period).where(*key)
                                    .with_for_update()).scalar_one()
        if period < seen:
            self.session.execute(update(first_seen).where(*key).values(period=period))
            self.add(name, seen, -1)
            self.add(name, period)

    def record_once(self, table, **values):
        self.conn.execute(statement(self.session, table.name),
                          dict(values, generation=self.generation))

    def flush(self):
        if not self.counts:
            return
        rows = [{"generation": self.generation, "name": name, "dimension": dim,
                 "period": period, "key": key, "value": amount}
                for (name, dim, period, key), amount in sorted(self.counts.items())]
        bump_figures(self.session, rows)
        self.counts.clear()


def bump_figures(session, rows):
    """Atomic add of each row's value to its counter, creating it if missing (rows sorted
    by key so that concurrent transactions lock in the same order)."""
    session.connection().execute(statement(session, "bump"), rows)


_CLOSES = select(period_closes.c.period, period_closes.c.closed_at)


def closed_months(session):
    """{month marked reported: its closed_at}: a handful of rows, read once per batch."""
    return dict(session.connection().execute(_CLOSES).all())


def late_shown_in(period, entered, closes):
    """The month whose report shows a fact for ``period`` entered at ``entered``
    (instant text): None if ``period`` was not yet reported then; else the month of
    entry, or the first month after it whose report had not been sent by then. Decided
    by the fact's own entry time, so a replay lands on the same late entries."""
    closed_at = closes.get(period)
    if closed_at is None or entered is None or entered <= closed_at:
        return None
    shown = month(entered)
    while shown in closes and closes[shown] < entered:
        shown = next_month(shown)
    return shown


def next_month(period):
    year, mon = int(period[:4]), int(period[5:7])
    return f"{year + mon // 12}-{mon % 12 + 1:02d}"


def mark_applied(session, generation, event_id):
    """The per-generation inbox: False if this generation already has the event."""
    return session.connection().execute(statement(session, "applied_events"),
                           {"generation": generation, "event_id": event_id}).rowcount == 1


def apply_event(session, generation, envelope):
    """Apply one envelope to ``generation``; False if it was already applied there or is
    not a type reports projects."""
    return apply_events(session, generation, [envelope])[0]


def apply_events(session, generation, envelopes, closes=None):
    """Apply envelopes to ``generation`` with their counter increments summed and
    written once (a batch of 200 facts touches a few dozen counters, not 200 × many)."""
    changes = Changes(session, generation,
                      closed_months(session) if closes is None else closes)
    applied = []
    for envelope in envelopes:
        applier = APPLIERS.get(envelope["event_type"])
        # Sample (demonstration) records count in no figure: their facts are skipped.
        if applier is None or envelope["payload"].get("sample") \
                or not mark_applied(session, generation, envelope["event_id"]):
            applied.append(False)
            continue
        if changes.closes:
            changes.entered = instant(envelope["occurred_at"])
        # Sample records (the demonstration data of a first start) count in no figure,
        # KPI, report or summary: the funder signs these.
        if not envelope["payload"].get("sample"):
            applier(changes, envelope["payload"], envelope)
        applied.append(True)
    changes.flush()
    return applied


# -- resources -------------------------------------------------------------------------

def partner_registered(c, p, env):
    c.add("partners_registered", month(p["registered_at"]), five_society=p["five_society"],
          compound=p["compounds"])
    keep_partner(c, p["partner_id"], p["five_society"], p.get("status", "active"),
                 p["registered_at"])


def partner_updated(c, p, env):
    keep_partner(c, p["partner_id"], p["five_society"], p["status"], env["occurred_at"])


def keep_partner(c, partner_id, five_society, status, when):
    """The partner's latest category and status (五社 coverage counts the active ones):
    a later fact wins whatever the order of delivery; a deletion is final."""
    session, t = c.session, partners
    as_of = instant(when)
    row = {"generation": c.generation, "partner_id": partner_id,
           "five_society": five_society, "status": status, "as_of": as_of}
    if session.execute(statement(session, "partners"), row).rowcount:
        return
    newer = [] if status == "deleted" else [t.c.as_of < as_of]
    session.execute(update(t).where(
        t.c.generation == c.generation, t.c.partner_id == partner_id,
        t.c.status != "deleted", *newer
    ).values(five_society=five_society, status=status, as_of=as_of))


def resource_registered(c, p, env):
    period = month(env["occurred_at"])
    c.add("resources_registered", period, resource_type=p["type"], target_group=p["target_groups"])
    c.add("resource_value_registered_fen", period, fen(p["value_yuan"]), resource_type=p["type"])


def resource_updated(c, p, env):
    c.add("resource_updates", month(env["occurred_at"]), status=p["status"])


class Retraction:
    """Stands in for ``Changes`` so that an applier takes back what it added."""

    def __init__(self, changes):
        self.changes = changes

    def add(self, name, period, amount=1, **dimensions):
        self.changes.add(name, period, -amount, **dimensions)


def partner_deleted(c, p, env):
    # The payload repeats the registration's: take back what partner_registered added.
    c.add("partners_registered", month(p["registered_at"]), -1,
          five_society=p["five_society"], compound=p["compounds"])
    keep_partner(c, p["partner_id"], p["five_society"], "deleted", env["occurred_at"])


def resource_deleted(c, p, env):
    # The payload repeats the registration's, with the time it occurred.
    resource_registered(Retraction(c), p, dict(env, occurred_at=p["registered_at"]))


def venue_booked(c, p, env):
    period = month(p["start"])
    c.add("bookings_made", period, venue=p["venue_id"])
    c.add("venue_bookings", period, venue=p["venue_id"])
    c.add("venue_minutes", period, p["minutes"], venue=p["venue_id"])


def venue_booking_cancelled(c, p, env):
    period = month(p["start"])
    c.add("bookings_cancelled", period, venue=p["venue_id"])
    c.add("venue_bookings", period, -1, venue=p["venue_id"])
    c.add("venue_minutes", period, -p["minutes"], venue=p["venue_id"])


def need_registered(c, p, env):
    c.add("needs_registered", month(p["registered_at"]), category=p["category"],
          target_group=p["target_group"], compound=p["compound"] or NONE,
          urgency=p["urgency"])


def need_matched(c, p, env):
    period = month(p["matched_at"])
    dims = {"category": p["category"], "target_group": p["target_group"]}
    c.add("matches_made", period, **dims)
    c.add("resource_value_fen", period, fen(p["value_yuan"]), **dims)
    if p["first_match"]:
        c.add("needs_matched", period, **dims)
        c.add("match_wait_seconds", period, round(p["hours_to_match"] * 3600), **dims)


def need_closed(c, p, env):
    period = month(p["closed_at"])
    dims = {"category": p["category"], "target_group": p["target_group"]}
    c.add("needs_closed", period, outcome=p["outcome"], **dims)
    if p.get("satisfaction") is not None:
        c.add("need_satisfaction_sum", period, p["satisfaction"], **dims)
        c.add("need_satisfaction_count", period, **dims)


# -- volunteers ------------------------------------------------------------------------

def volunteer_registered(c, p, env):
    period = month(p["registered_at"])
    c.add("volunteers_registered", period, compound=p["compound"] or NONE)
    if p["talent"]:
        c.add("talents_registered", period, compound=p["compound"] or NONE)


def volunteer_updated(c, p, env):
    period = month(env["occurred_at"])
    c.add("volunteer_updates", period)
    if "talent" in p["changed_fields"]:
        # Recognised as a skilled resident (能人骨干) now, or no longer.
        c.add("talents_registered", period, 1 if p["talent"] else -1,
              compound=p["compound"] or NONE)
    if "status" in p["changed_fields"]:
        c.add("volunteer_status_changes", period, status=p["status"])


def shift_opened(c, p, env):
    period = month(p["start"])
    c.add("shifts_opened", period)
    c.add("shift_places", period, p["places"])


def shift_month(p, env):
    """A sign-up counts in its shift's month (sign-ups typed in after the shift count
    with it); facts recorded before they carried ``shift_start`` keep their own month."""
    return month(p.get("shift_start") or env["occurred_at"])


def shift_signed_up(c, p, env):
    c.add("shift_signups", shift_month(p, env), status=p["status"])


def shift_signup_cancelled(c, p, env):
    c.add("shift_signups_cancelled", shift_month(p, env), status=p["was_status"])


def waitlist_promoted(c, p, env):
    c.add("waitlist_promotions", shift_month(p, env))


def hours_recorded(c, p, env):
    period = month(p["service_date"])
    c.add("hours_entries_recorded", period, source=p["source"])
    c.add("minutes_recorded", period, p["minutes"])
    if p["flagged"]:
        c.add("hours_entries_flagged", period)


def hours_approved(c, p, env):
    period = month(p["service_date"])
    c.add("hours_entries_approved", period)
    c.add("volunteer_minutes_approved", period, p["counted_minutes"])
    if p["counted_minutes"] > 0:
        c.record_once(volunteer_service, volunteer_id=p["volunteer_id"], period=period)
        c.count_distinct("volunteers_active", f"volunteers:{period[:4]}", p["volunteer_id"],
                         period)


def hours_rejected(c, p, env):
    # In the month of the service the entry claimed, like an approval.
    c.add("hours_entries_rejected", month(p.get("service_date") or env["occurred_at"]))


def certificate_issued(c, p, env):
    # A reissue replaces a superseded certificate already counted: not one more.
    if not p.get("replaces"):
        c.add("certificates_issued", month(p["issued_at"]))


# -- events ----------------------------------------------------------------------------

def event_month(p, own_time):
    """The month of the event a registration, attendance or feedback belongs to (a paper
    sign-in sheet typed in on 3 December counts in November with its activity). Facts
    recorded before they carried ``event_start`` keep the month of ``own_time``."""
    return month(p.get("event_start") or own_time)


def event_scheduled(c, p, env):
    c.add("events_scheduled", month(p["start"]), plan=p["plan"], kind=p["kind"])


def event_published(c, p, env):
    c.add("events_published", month(p["start"]), plan=p["plan"], kind=p["kind"])


def event_cancelled(c, p, env):
    c.add("events_cancelled", month(p["start"]), plan=p["plan"], kind=p["kind"])


def event_completed(c, p, env):
    period = month(p["start"])
    c.add("activities_held", period, plan=p["plan"], kind=p["kind"],
          target_group=sorted(set(p["target_groups"])), compound=sorted(set(p["compounds"])),
          series=p.get("series"))
    if p["kind"] == "joint_meeting":
        c.add("joint_meetings_held", period, plan=p["plan"])
        for category, count in sorted(p.get("five_society", {}).items()):
            c.add("joint_meeting_attendees", period, count, five_society=category)


def volunteer_role_added(c, p, env):
    period = month(p["start"])
    c.add("volunteer_roles_added", period)
    c.add("volunteer_places_requested", period, p["places"])


def participant_registered(c, p, env):
    c.add("registrations", event_month(p, env["occurred_at"]), plan=p["plan"],
          target_group=p["target_group"], compound=p["compound"] or NONE, status=p["status"])


def participant_cancelled(c, p, env):
    c.add("registrations_cancelled", event_month(p, env["occurred_at"]), status=p["was_status"])


def attendance_recorded(c, p, env):
    period = event_month(p, p["attended_at"])
    compound = vocab.code_of("compounds", p["compound"]) or NONE
    dims = {"plan": p["plan"], "kind": p["kind"], "target_group": p["target_group"],
            "compound": compound}
    c.add("people_served", period, **dims)
    if p["walk_in"]:
        c.add("walk_ins", period, **dims)
    c.record_once(person_visits, resident_id=p["resident_id"], period=period, **dims)
    c.count_distinct("distinct_people", f"people:{period[:4]}", p["resident_id"], period)


def feedback_submitted(c, p, env):
    period = event_month(p, env["occurred_at"])
    c.add("satisfaction_sum", period, p["score"], plan=p["plan"], kind=p["kind"])
    c.add("feedback_count", period, plan=p["plan"], kind=p["kind"])


def idea_submitted(c, p, env):
    c.add("ideas_collected", month(p["submitted_at"]), category=p["category"],
          compound=p["compound"] or NONE)


def idea_voted(c, p, env):
    # A resident votes online, when the vote happens (nobody enters votes afterwards):
    # the fact's own time is the vote's.
    c.add("idea_votes", month(env["occurred_at"]))


def idea_adopted(c, p, env):
    c.add("ideas_adopted", month(p["adopted_at"]))


def consultation_created(c, p, env):
    c.add("consultations_opened", month(p["opens_on"]))


def consultation_answered(c, p, env):
    # Residents answer online, as it happens: the answer's own time is its month.
    c.add("residents_consulted", month(p["answered_at"]))


def decision_recorded(c, p, env):
    period = month(env["occurred_at"])
    c.add("decisions_recorded", period)
    c.add("action_items_assigned", period, len(p["action_item_ids"]))


def action_item_updated(c, p, env):
    period = month(env["occurred_at"])
    if p.get("previous_status") is None:
        c.add("action_items_created", period)
    if p["status"] == "done":
        c.add("action_items_done", period)
    as_of = instant(env["occurred_at"])
    row = {"action_item_id": p["action_item_id"], "decision_id": p["decision_id"],
           "status": p["status"], "due_date": date.fromisoformat(p["due_date"]), "as_of": as_of}
    session, t = c.session, action_items
    inserted = session.execute(statement(session, "action_items"),
                               dict(row, generation=c.generation)).rowcount
    if inserted:
        return
    # Keep the latest state whatever the order of delivery: a later fact wins; at the
    # same instant the further status wins (deterministic for replay).
    rank = STATUS_RANK[p["status"]]
    current_rank = case(*[(t.c.status == s, r) for s, r in STATUS_RANK.items()], else_=-1)
    session.execute(update(t).where(
        t.c.generation == c.generation, t.c.action_item_id == p["action_item_id"],
        or_(t.c.as_of < as_of, and_(t.c.as_of == as_of, current_rank < rank))
    ).values(status=p["status"], due_date=row["due_date"], as_of=as_of,
             decision_id=p["decision_id"]))


def _attachment(c, p, amount):
    # Evidence counts in the month its owner's service happened (an event's start).
    period = month(p["owner_time"])
    c.add("attachments", period, amount, owner_kind=p["owner_kind"], kind=p["kind"])
    if p.get("event_id"):
        c.add_only("attachments", period, amount, "event", p["event_id"])


def attachment_added(c, p, env):
    _attachment(c, p, 1)


def attachment_removed(c, p, env):
    _attachment(c, p, -1)


def expenditure_recorded(c, p, env, sign=1):
    # Money counts in the month of the day it was spent, in exact fen; the project year
    # comes with the fact (the events service read it from the contract), so that a year
    # that does not start on the 1st of a month still adds up (services/reports/budget.py).
    year = p["project_year"]
    amount = sign * p["amount_fen"]
    c.add("spent_fen", month(p["spent_on"]), amount, plan=p["plan"],
          project_year=str(year), budget_line=f"{year}:{p['budget_line']}",
          year_plan=f"{year}:{p['plan']}")
    if p.get("event_id"):
        c.add_only("spent_fen", month(p["spent_on"]), amount, "event", p["event_id"])
    if p.get("over_budget"):
        c.add_only("expenditures_over_budget", month(p["spent_on"]), sign, "project_year",
                   str(year))


def expenditure_voided(c, p, env):
    # The same figures as recorded, taken back: in the month it was spent.
    expenditure_recorded(c, p, env, sign=-1)


def case_opened(c, p, env):
    c.add("cases_opened", month(p["opened_at"]), category=p["category"],
          target_group=p["target_group"], risk=p["risk"])


def case_contact_recorded(c, p, env):
    period = month(p["occurred_at"])
    c.add("case_contacts", period, kind=p["kind"])
    if p["kind"] == "home_visit":
        c.add("case_home_visits", period)


def case_referred(c, p, env):
    c.add("case_referrals", month(p["referred_at"]))


def case_referral_answered(c, p, env):
    # A partner that accepts counts once; its later "completed" is not a second acceptance.
    if p["status"] == "accepted":
        c.add("case_referrals_accepted", month(p["answered_at"]))


def case_closed(c, p, env):
    c.add("cases_closed", month(p["closed_at"]), category=p["category"],
          outcome=p["outcome"])


def fen(yuan):
    return int(round(float(yuan) * 100))


TABLES = {t.name: t for t in (applied_events, first_seen, person_visits, volunteer_service,
                              action_items, partners)}

APPLIERS = {f.__name__: f for f in (
    partner_registered, partner_updated, resource_registered, resource_updated,
    partner_deleted,
    resource_deleted, venue_booked,
    venue_booking_cancelled, need_registered, need_matched, need_closed,
    volunteer_registered, volunteer_updated, shift_opened, shift_signed_up,
    shift_signup_cancelled, waitlist_promoted, hours_recorded, hours_approved,
    hours_rejected, certificate_issued,
    event_scheduled, event_published, event_cancelled, event_completed,
    volunteer_role_added, participant_registered, participant_cancelled,
    attendance_recorded, feedback_submitted, idea_submitted, idea_voted, idea_adopted,
    consultation_created, consultation_answered, decision_recorded, action_item_updated,
    attachment_added, attachment_removed,
    expenditure_recorded, expenditure_voided,
    case_opened, case_contact_recorded, case_referred, case_referral_answered, case_closed,
)}
