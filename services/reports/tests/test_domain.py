"""Unit tests of the projections, KPIs, summaries and periodic reports: a session, no
broker. The scenario's independent count is the oracle."""
import io
import shutil
import base64
from datetime import date, datetime, timezone

import eventlet
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common import contracts
from common.db import UnitOfWork, make_engine
from services.reports import catalogue, domain, periodic, projections
from services.reports.models import figures, metadata
from services.reports.tests.scenario import Scenario

TARGETS = "config/targets/hetong-year1.yaml"
TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def scenario():
    return Scenario()


@pytest.fixture(scope="module")
def applied_db(tmp_path_factory, scenario):
    """The scenario applied once; each test gets its own copy of the file."""
    path = tmp_path_factory.mktemp("reports") / "applied.db"
    engine = make_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    apply_all(sessionmaker(bind=engine), scenario.envelopes)
    engine.dispose()
    return path


def _factory(uri):
    engine = make_engine(uri)
    metadata.create_all(engine)
    return engine, sessionmaker(bind=engine, expire_on_commit=False,
                                info={"outbox_table": metadata.tables["outbox"]})


@pytest.fixture
def session_factory(tmp_path):
    """An empty read model."""
    engine, factory = _factory(f"sqlite:///{tmp_path}/reports.db")
    yield factory
    engine.dispose()


@pytest.fixture
def applied(tmp_path, applied_db):
    """The read model with the scenario applied."""
    shutil.copy(applied_db, tmp_path / "copy.db")
    engine, factory = _factory(f"sqlite:///{tmp_path}/copy.db")
    yield factory
    engine.dispose()


def apply_all(factory, envelopes, batch=200):
    for i in range(0, len(envelopes), batch):
        with factory() as session:
            domain.apply_live(session, envelopes[i:i + batch])
            session.commit()


def test_every_consumed_type_has_a_projection():
    """The batch entrypoint takes every type bound to reports' queue; each needs its
    applier, or its facts would be acknowledged without being counted."""
    for et in contracts.consumed_by("reports"):
        assert et.name in projections.APPLIERS, et.name


def test_scenario_figures_equal_the_independent_count(applied, scenario):
    with applied() as session:
        report = domain.summary(session, "2026-01", "2026-12", "month", TODAY)
        expected = scenario.expected()
        for name, value in expected.items():
            assert report["total"][name] == value, name
        # every metric of the catalogue is checked
        assert set(m.name for m in catalogue.METRICS) <= set(expected)
        for month in ("2026-09", "2026-10", "2026-11"):
            group = next(g for g in report["groups"] if g["key"] == month)["figures"]
            for name, value in scenario.expected(month=month).items():
                assert group[name] == value, (month, name)
        for dimension in ("plan", "target_group", "compound"):
            served, held = scenario.expected_by(dimension)
            by = domain.summary(session, "2026-09", "2026-11", dimension, TODAY)
            got = {g["key"]: g["figures"] for g in by["groups"]}
            assert {k: v["people_served"] for k, v in got.items() if v["people_served"]} == dict(served)
            assert {k: v["activities_held"] for k, v in got.items() if v["activities_held"]} == dict(held)
        plan_report = domain.summary(session, "2026-01", "2026-12", "plan", TODAY)
        for g in plan_report["groups"]:
            exp = scenario.expected(plan=g["key"])
            for name in ("activities_held", "people_served", "distinct_people",
                         "mean_satisfaction", "joint_meetings_held", "registrations"):
                assert g["figures"][name] == exp[name], (g["key"], name)
        kpis = {k["kpi"]: k for k in domain.kpis(session, domain.load_targets(TARGETS), TODAY)["kpis"]}
        expected_kpis = scenario.expected_kpis()
        for name in kpis:
            assert kpis[name]["actual"] == expected_kpis[name], name
        venues = domain.raw_sums(session, domain.active_generation(session), "2026-01",
                                 "2026-12", "venue", {"venue_minutes"})
        assert {k: round(v["venue_minutes"] / 60, 2) for k, v in venues.items()} == \
            scenario.expected_venues()


def test_applying_twice_changes_nothing_and_order_does_not_matter(applied, scenario):
    with applied() as session:
        first = domain.figure_dump(session)
    apply_all(applied, scenario.envelopes)
    with applied() as session:
        assert domain.figure_dump(session) == first
        # a fresh generation from the log in reverse order lands on the same figures
        generation = domain.begin_rebuild(session)
        domain.apply_page(session, generation, list(reversed(scenario.envelopes)))
        domain.finish_rebuild(session, generation)
        session.commit()
        assert domain.figure_dump(session) == first
        assert domain.action_item_counts(session, 2, TODAY) == \
            domain.action_item_counts(session, 2, TODAY)
        while domain.drop_generation_chunk(session, 1, chunk=100):
            pass
        session.commit()
        assert session.execute(select(figures).where(figures.c.generation == 1)).first() is None
        assert domain.summary(session, "2026-01", "2026-12", "month", TODAY)["total"][
            "action_items_open"] == scenario.expected()["action_items_open"]


def test_periodic_xlsx_and_csv_carry_the_json_numbers(applied, scenario):
    with applied() as session:
        report = periodic.document(session, "2026-11", "hetong", TODAY,
                                   domain.load_targets(TARGETS))
        quarter = domain.periodic(session, "2026-Q4", "hetong", TODAY)
        year = domain.periodic(session, "2026", "hetong", TODAY)
    assert (report["from"], report["to"]) == ("2026-11-01", "2026-11-30")
    assert (quarter["from"], year["to"]) == ("2026-10-01", "2026-12-31")
    expected = scenario.expected(month="2026-11")
    for name, value in expected.items():
        assert report["summary"][name] == value, name
    rendered = periodic.render(report, "xlsx")
    wb = load_workbook(io.BytesIO(base64.b64decode(rendered["content_base64"])))
    assert wb.sheetnames == ["指标", "汇总", "资源融和", "体系融和", "服务融和", "文化融和",
                             "逐月", "活动类型", "补录"]
    rows = list(wb["汇总"].iter_rows(min_row=3, values_only=True))
    assert {r[1]: r[2] for r in rows} == report["summary"]
    assert list(wb["汇总"].iter_rows(min_row=2, max_row=2, values_only=True))[0] == \
        ("指标", "代码", "数值", "单位")
    for plan, label in report["plan_labels"].items():
        sheet_rows = list(wb[label].iter_rows(min_row=3, values_only=True))
        assert {r[1]: r[2] for r in sheet_rows} == report["plans"][plan]
    (month,) = report["months"]
    assert month["month"] == "2026-11"
    assert {r[1]: r[3] for r in wb["逐月"].iter_rows(min_row=3, values_only=True)} == \
        month["figures"]
    assert [k["kpi"] for k in report["kpis"]["kpis"]] == \
        [r[1] for r in wb["指标"].iter_rows(min_row=4, values_only=True)]
    csv_text = base64.b64decode(periodic.render(report, "csv")["content_base64"]).decode("utf-8-sig")
    assert "服务人次" in csv_text and "汇总" in csv_text


def test_bad_periods_and_groupings_are_422(session_factory):
    from common.errors import ValidationFailed

    with session_factory() as session:
        for bad in ("2026-13", "2026-Q5", "26", "2026-11-01x", "0000", "0000-Q1", "9999-12"):
            with pytest.raises(ValidationFailed):
                domain.periodic(session, bad)
        with pytest.raises(ValidationFailed):
            domain.summary(session, "2026-01", "2026-02", "street")
        with pytest.raises(ValidationFailed):
            domain.summary(session, "2026-05", "2026-02", "month")


def test_kpi_at_risk_is_emitted_once_per_turn(applied, scenario):
    session_factory = applied
    targets = domain.load_targets(TARGETS)
    outbox = metadata.tables["outbox"]

    def check(today):
        with session_factory() as session:
            uow = UnitOfWork(session, "reports", "hetong")
            result = domain.check_kpis(uow, targets, today)
            session.commit()
            return result["turned_at_risk"]

    first = check(TODAY)
    assert first and "activities_held" in first
    assert check(TODAY) == []  # still at risk: nothing new
    # Early in the year nothing is at risk; later it turns again and is emitted again.
    assert check(date(2026, 1, 5)) == []
    again = check(TODAY)
    assert set(again) == set(first) - {k for k in first if k in domain.MEAN_KPIS}
    with session_factory() as session:
        rows = session.execute(select(outbox.c.event_type)).scalars().all()
    assert rows.count("kpi_at_risk") == len(first) + len(again)


def test_kpi_status_rules():
    assert domain.kpi_status("people_served", 50, 100, 0.5) == "on_track"
    assert domain.kpi_status("people_served", 39, 100, 0.5) == "at_risk"
    assert domain.kpi_status("people_served", 100, 100, 0.9) == "achieved"
    assert domain.kpi_status("mean_satisfaction", None, 4.5, 0.9) == "no_data"
    # Nothing counted yet: no_data while the calendar does not put the KPI behind.
    assert domain.kpi_status("people_served", 0, 100, 0.05, has_data=False) == "no_data"
    assert domain.kpi_status("people_served", 0, 100, 0.5, has_data=False) == "at_risk"
    assert domain.kpi_status("mean_satisfaction", 4.0, 4.5, 0.9) == "at_risk"
    assert domain.kpi_status("mean_satisfaction", 4.6, 4.5, 0.1) == "achieved"


@pytest.mark.postgres
def test_concurrent_increments_on_postgresql_lose_nothing(make_db_uri):
    """Twenty workers add to counters that do not exist yet, at once: the upsert makes
    row creation race-free."""
    engine = make_engine(make_db_uri("reports_race", "postgresql"))
    metadata.create_all(engine)
    factory = sessionmaker(bind=engine)
    start = eventlet.event.Event()

    def worker(n):
        start.wait()
        for i in range(10):
            with factory() as session:
                env = contracts.envelope("volunteer_registered", {
                    "volunteer_id": n * 100 + i + 1, "volunteer_number": "V1",
                    "compound": "fulong_huayuan", "skills": [], "talent": True,
                    "registered_at": datetime(2026, 11, 5, 3, tzinfo=timezone.utc)},
                    "volunteers", "hetong")
                domain.apply_live(session, [env])
                session.commit()

    pool = [eventlet.spawn(worker, n) for n in range(20)]
    start.send(True)
    for gt in pool:
        gt.wait()
    with factory() as session:
        total = domain.totals(session, 1, "2026-11", "2026-11")
    engine.dispose()
    assert total["volunteers_registered"] == 200
    assert total["talents_registered"] == 200


@pytest.mark.postgres
def test_the_read_model_on_postgresql_matches_the_count(make_db_uri):
    """The same SQL (upserts, distinct counts, FILTER, row-value deletes) on PostgreSQL."""
    scenario = Scenario(seed=3, scale=0.2)
    engine, factory = _factory(make_db_uri("reports_pg", "postgresql"))
    try:
        apply_all(factory, scenario.envelopes)
        apply_all(factory, scenario.envelopes[:50])  # redelivered: skipped
        with factory() as session:
            first = domain.figure_dump(session)
            report = domain.summary(session, "2026-01", "2026-12", "month", TODAY)
            for name, value in scenario.expected().items():
                assert report["total"][name] == value, name
            generation = domain.begin_rebuild(session)
            domain.apply_page(session, generation, list(reversed(scenario.envelopes)))
            old = domain.finish_rebuild(session, generation)
            session.commit()
            assert domain.figure_dump(session) == first
            while domain.drop_generation_chunk(session, old, chunk=100):
                session.commit()
            session.commit()
            assert domain.periodic(session, "2026-Q4", "hetong", TODAY)["summary"][
                "people_served"] == scenario.expected(month="2026-10")["people_served"] + \
                scenario.expected(month="2026-11")["people_served"]
            kpis = domain.kpis(session, domain.load_targets(TARGETS), TODAY)
            assert {k["kpi"]: k["actual"] for k in kpis["kpis"]}["people_served"] == \
                scenario.expected()["people_served"]
    finally:
        engine.dispose()


def test_room_use_per_venue_and_needs_per_category(applied, scenario):
    with applied() as session:
        venues = domain.summary(session, "2026-01", "2026-12", "venue", TODAY)
        needs = domain.summary(session, "2026-01", "2026-12", "category", TODAY)
    got = {g["key"]: g["figures"]["venue_hours_booked"] for g in venues["groups"]}
    assert got == scenario.expected_venues()
    assert "distinct_people" not in venues["groups"][0]["figures"]
    assert sum(g["figures"]["needs_registered"] for g in needs["groups"]) == \
        scenario.expected()["needs_registered"]


def test_a_batch_commits_once_with_its_inbox_rows_or_not_at_all(tmp_path, monkeypatch):
    """The pipeline's commit: one transaction per batch; a redelivery (earlier, or twice
    in the same batch) is skipped and counted as a duplicate; a batch with a failing event
    leaves nothing behind, so the bus can split it and retry the bad one alone."""
    from common import metrics
    from common.testing import LocalStore
    from services.reports import pipeline

    store = LocalStore(metadata, "reports", f"sqlite:///{tmp_path}/pipeline.db")
    original = projections.APPLIERS["idea_voted"]

    def poisoned(c, p, env):
        if p["idea_id"] == 3:
            raise RuntimeError("poison")
        original(c, p, env)

    monkeypatch.setitem(projections.APPLIERS, "idea_voted", poisoned)
    envs = [contracts.envelope("idea_voted", {"idea_id": i, "votes": 1}, "events", "hetong",
                               occurred_at=datetime(2026, 11, 3, tzinfo=timezone.utc))
            for i in range(1, 7)]
    consumed = metrics.EVENTS_CONSUMED.labels("reports", "idea_voted")
    duplicate = metrics.EVENTS_DUPLICATE.labels("reports", "idea_voted")
    consumed_before, duplicate_before = consumed._value.get(), duplicate._value.get()

    with pytest.raises(RuntimeError, match="poison"):
        pipeline.commit(store, envs, "reports")
    assert store.count(metadata.tables["inbox"]) == 0
    assert store.count(figures) == 0

    good = [env for env in envs if env["payload"]["idea_id"] != 3]
    assert pipeline.commit(store, good[:2] + [good[0]], "reports") == [True, True, False]
    assert pipeline.commit(store, good, "reports") == [False, False, True, True, True]
    with store.session() as session:
        assert domain.totals(session, 1, "2026-11", "2026-11")["idea_votes"] == 5
    assert store.count(metadata.tables["inbox"]) == 5
    assert consumed._value.get() - consumed_before == 5
    assert duplicate._value.get() - duplicate_before == 3
    store.dispose()


def _fact(event_type, payload, occurred_at):
    return contracts.envelope(event_type, payload, "events", "hetong",
                              occurred_at=datetime.fromisoformat(occurred_at))


def test_attendance_feedback_and_registrations_count_in_the_events_month(session_factory):
    """A sign-in sheet of an evening of 30 November (23:00 to 01:30 Beijing time) typed in
    on 3 December counts in November, as do the event's registrations and feedback; facts
    without the event's start (recorded before it was carried) keep the month of their
    own time."""
    nov_start, past_midnight = "2026-11-30T15:00:00+00:00", "2026-11-30T16:30:00+00:00"
    typed = "2026-12-03T02:00:00+00:00"
    common = {"event_id": 1, "plan": "service", "kind": "group"}
    facts = [
        _fact("participant_registered", dict(
            event_id=1, plan="service", registration_id=1, resident_id=1, status="confirmed",
            target_group="elderly", compound=None, event_start=nov_start),
            "2026-10-30T02:00:00+00:00"),
        _fact("participant_cancelled", {"registration_id": 1, "event_id": 1,
                                        "was_status": "confirmed",
                                        "event_start": nov_start}, "2026-10-31T02:00:00+00:00"),
        _fact("event_completed", dict(
            common, target_groups=["elderly"], compounds=[], start=nov_start,
            end="2026-11-30T17:30:00+00:00", registered=1, attended=0, walk_ins=0,
            people_served=0, volunteers=0, feedback_count=0), "2026-11-30T17:30:00+00:00")]
    for n in (1, 2, 3):
        facts.append(_fact("attendance_recorded", dict(
            common, attendance_id=n, resident_id=10 + n, walk_in=True,
            target_group="elderly", compound=None, attended_at=past_midnight,
            event_start=nov_start), typed))
    facts.append(_fact("feedback_submitted", dict(common, feedback_id=1, score=4,
                                                  event_start=nov_start), typed))
    # Recorded before the event's start was carried: the month of the fact's own time.
    facts.append(_fact("attendance_recorded", dict(
        common, attendance_id=9, resident_id=19, walk_in=False, target_group="elderly",
        compound=None, attended_at=typed), typed))
    facts.append(_fact("feedback_submitted", dict(common, feedback_id=2, score=2), typed))
    apply_all(session_factory, facts)
    with session_factory() as session:
        months = {g["key"]: g["figures"] for g in
                  domain.summary(session, "2026-10", "2026-12", "month", TODAY)["groups"]}
    november, december = months["2026-11"], months["2026-12"]
    assert (november["activities_held"], november["people_served"],
            november["distinct_people"], november["walk_ins"]) == (1, 3, 3, 3)
    assert (november["registrations"], november["registrations_cancelled"],
            november["feedback_count"], november["mean_satisfaction"]) == (1, 1, 1, 4.0)
    assert "2026-10" not in months
    assert (december["activities_held"], december["people_served"],
            december["feedback_count"]) == (0, 1, 1)


def test_a_compound_written_out_before_compounds_were_codes_counts_under_its_code(
        session_factory):
    """Facts recorded when the compound was free text (福隆花园) and facts carrying its code
    (fulong_huayuan) are one compound in the report, labelled in Chinese; a name the
    community does not list stays a row of its own."""
    start = "2026-11-07T01:00:00+00:00"
    facts = []
    for n, compound in enumerate(["福隆花园", "fulong_huayuan", " 福隆花园 ", "老街"], start=1):
        facts.append(_fact("attendance_recorded", dict(
            event_id=1, plan="service", kind="group", attendance_id=n, resident_id=n,
            walk_in=True, target_group="elderly", compound=compound, attended_at=start,
            event_start=start), start))
    apply_all(session_factory, facts)
    with session_factory() as session:
        groups = {g["key"]: g for g in
                  domain.summary(session, "2026-11", "2026-11", "compound", TODAY)["groups"]}
    assert groups["fulong_huayuan"]["figures"]["people_served"] == 3
    assert groups["老街"]["figures"]["people_served"] == 1
    assert "福隆花园" not in groups
