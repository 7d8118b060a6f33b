"""Read model of the reports service.

Every projection table carries a ``generation``: the figures being served are those of
the active generation (``projection_state``); a rebuild (delivery rule 5) fills a fresh
generation from the services' event logs and then swaps, so reads keep answering.
"""
from sqlalchemy import (BigInteger, Column, Date, DateTime, Float, Integer, PrimaryKeyConstraint,
                        String, Table, Text, UniqueConstraint, Index)

from common.db import make_metadata

metadata = make_metadata()

# A counter: ``name`` in ``period`` (YYYY-MM) for a ``dimension``/``key`` pair, e.g.
# (activities_held, 2026-11, plan, culture). Totals use dimension "all", key "all".
# Values are exact quantities (counts, minutes, fen): sums come out identical whatever
# the order of application.
figures = Table(
    "figures", metadata,
    Column("generation", Integer, nullable=False),
    Column("name", String(64), nullable=False),
    Column("period", String(7), nullable=False),
    Column("dimension", String(32), nullable=False),
    Column("key", String(64), nullable=False),
    Column("value", Float, nullable=False),
    PrimaryKeyConstraint("generation", "name", "dimension", "period", "key"),
)

# Events applied to a generation: the per-generation inbox that makes a replay and a
# live delivery of the same event count once.
applied_events = Table(
    "applied_events", metadata,
    Column("generation", Integer, nullable=False),
    Column("event_id", String(36), nullable=False),
    PrimaryKeyConstraint("generation", "event_id"),
)

# Distinct subjects per scope ("people" or "volunteers" in a calendar year) with the
# earliest month they were seen in: the distinct-count figure is counted in that month
# (moved if an earlier sighting arrives later), so any order gives the same figures.
first_seen = Table(
    "first_seen", metadata,
    Column("generation", Integer, nullable=False),
    Column("scope", String(32), nullable=False),
    Column("subject_id", BigInteger, nullable=False),
    Column("period", String(7), nullable=False),
    PrimaryKeyConstraint("generation", "scope", "subject_id"),
)

# Who attended in which month under which plan / kind / target group / compound:
# distinct people for arbitrary ranges and groupings of the summary.
person_visits = Table(
    "person_visits", metadata,
    Column("generation", Integer, nullable=False),
    Column("resident_id", BigInteger, nullable=False),
    Column("period", String(7), nullable=False),
    Column("plan", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("target_group", String(32), nullable=False),
    Column("compound", String(64), nullable=False),
    PrimaryKeyConstraint("generation", "resident_id", "period", "plan", "kind",
                         "target_group", "compound"),
)
Index("ix_person_visits_period", person_visits.c.generation, person_visits.c.period)

# Which volunteers served (approved hours) in which month: volunteers active in a range.
volunteer_service = Table(
    "volunteer_service", metadata,
    Column("generation", Integer, nullable=False),
    Column("volunteer_id", BigInteger, nullable=False),
    Column("period", String(7), nullable=False),
    PrimaryKeyConstraint("generation", "volunteer_id", "period"),
)

# Current state of each action item (open / overdue are as of today, not counters).
action_items = Table(
    "action_items", metadata,
    Column("generation", Integer, nullable=False),
    Column("action_item_id", BigInteger, nullable=False),
    Column("decision_id", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("as_of", String(40), nullable=False),
    PrimaryKeyConstraint("generation", "action_item_id"),
)

# The partners' current state (五社 coverage: active partners per five-society category):
# the latest fact wins, a deletion is final.
partners = Table(
    "partners", metadata,
    Column("generation", Integer, nullable=False),
    Column("partner_id", BigInteger, nullable=False),
    Column("five_society", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("as_of", String(40), nullable=False),
    PrimaryKeyConstraint("generation", "partner_id"),
)

# Not generational: which generation is served, which is being built, the rebuild's state.
projection_state = Table(
    "projection_state", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# The last status of each KPI per project year: kpi_at_risk is emitted once per turn.
kpi_state = Table(
    "kpi_state", metadata,
    Column("project_year", Integer, nullable=False),
    Column("kpi", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("project_year", "kpi"),
)

# Months marked reported (月报已报送): the periodic report as it was sent, kept unchanged.
# Not generational: a rebuild recomputes the figures, never what was sent. ``closed_at``
# is fixed-width UTC text (``projections.instant``): a fact entered after it for the
# month is a late entry (补录), shown in the next report.
period_closes = Table(
    "period_closes", metadata,
    Column("period", String(7), primary_key=True),
    Column("closed_at", String(40), nullable=False),
    Column("closed_by", String(64), nullable=False),
    Column("report", Text, nullable=False),
)

# Evaluation dossiers (评估台账): one row per requested build, its state and progress, so
# that a build interrupted by a restart is marked failed at start-up, never left building.
# Not generational: the files live under DOSSIER_DIR (``services/reports/dossier.py``).
dossiers = Table(
    "dossiers", metadata,
    Column("id", String(32), primary_key=True),
    Column("status", String(16), nullable=False),  # queued, building, ready, failed
    Column("params", Text, nullable=False),  # JSON: year, from, to, plan
    Column("requested_by", String(64), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("stage", String(64), nullable=False),
    Column("done", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("summary", Text),  # JSON: the counts the PDF prints
    Column("error", Text),
)

# District mode: the latest summary each community published (through the shovel).
community_summaries = Table(
    "community_summaries", metadata,
    Column("community_id", String(64), primary_key=True),
    Column("project_year", Integer, nullable=False),
    Column("as_of", String(40), nullable=False),
    Column("figures", Text, nullable=False),
    Column("targets", Text, nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("event_id"),
)
