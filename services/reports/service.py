"""Reports service: nameko entrypoints only. Projections are in projections.py, the
commit of a delivered batch in pipeline.py, the rest of the logic in domain.py (plain
functions over a session), rendering in periodic.py.

Modes (config REPORTS_MODE): ``community`` (default) projects its community's events and
publishes its summary on a timer (SUMMARY_INTERVAL_SECONDS) and on demand; ``district``
also consumes the summaries the shovels bring from its communities' vhosts.
"""
from nameko.dependency_providers import Config

from common import contract, times
from common.bus import handle_event_batches
from common.db import Store
from common.errors import msg
from common.idempotency import idempotent
from common.metrics import Instrumentation
from common.ops import OperatorEndpoints
from common.outbox import OutboxRelay
from common.rpc import rpc
from services.reports import budget, domain, dossier, evidence, periodic, periods, pipeline
from services.reports import metrics as rmetrics
from services.reports.extensions import (ProjectionBacklog, Rebuilder, config_timer,
                                         handle_community_summary)
from services.reports.models import metadata


class ReportsService(OperatorEndpoints):
    name = "reports"

    config = Config()
    store = Store(metadata)
    relay = OutboxRelay()
    instrumentation = Instrumentation()
    rebuilder = Rebuilder()
    projection_backlog = ProjectionBacklog()
    dossiers = dossier.DossierBuilder()

    # -- helpers (not entrypoints) ----------------------------------------------------

    def _today(self):
        return domain.parse_today(self.config.get("REPORTS_TODAY")) or times.local_today()

    def _contract(self):
        return contract.from_config(self.config)

    def _targets(self, year=None, on=None):
        """The targets of project ``year``; without one, of the year holding ``on`` (a
        date; default today): year 2's targets apply from its first day."""
        years = self._contract()
        if year is not None:
            return years.year(year).targets
        return years.current(on or self._today()).targets

    def _year_of(self, period):
        """The project year a period's first day falls in (else the configured one)."""
        return self._contract().current(periodic.first_day(period) or self._today())

    def _community(self):
        return self.config.get("COMMUNITY_ID", "hetong")

    def _district_targets(self, year=None):
        """The district's own targets file (KPI_TARGETS_FILE naming this instance's
        COMMUNITY_ID), or None: the board then sums its communities' targets."""
        targets = domain.load_targets(self.config["KPI_TARGETS_FILE"])
        if targets.get("community_id") != self._community():
            return None
        return self._targets(year)

    # -- projections -----------------------------------------------------------------

    @handle_event_batches(max_batch=200, max_wait=0.02)
    def handle_domain_events(self, envelopes):
        """Every event type the registry routes to reports, many per transaction; the
        projection of each type is its applier in projections.APPLIERS. One worker per
        batch instead of one per message is what lets the pipeline run at twice the
        rate of plain nameko (docs/performance.md)."""
        pipeline.commit(self.store, envelopes, self.name)

    # -- district mode ---------------------------------------------------------------

    @handle_community_summary
    def handle_community_summary_published(self, envelope):
        with self.store.session() as session:
            changed = domain.receive_community_summary(session, envelope)
        rmetrics.SUMMARIES_RECEIVED.labels(self.name).inc()
        return changed

    @rpc
    def get_district_summary(self):
        with self.store.session() as session:
            return domain.district_summary(session)

    @rpc
    def get_district_communities(self, year=None):
        with self.store.session() as session:
            return domain.district_communities(session, self._district_targets(year), year,
                                               self._community(), self._today())

    @rpc
    def get_district_community(self, community_id):
        with self.store.session() as session:
            return domain.district_community(session, community_id, self._today())

    # -- timers ----------------------------------------------------------------------

    @config_timer("SUMMARY_INTERVAL_SECONDS", 3600, modes=("community",))
    def publish_summary_on_timer(self):
        self.publish_summary()

    @config_timer("KPI_CHECK_INTERVAL_SECONDS", 300, modes=("community",))
    def check_kpis_on_timer(self):
        self.check_kpis()

    # -- queries and commands --------------------------------------------------------

    def _district(self):
        return self.config.get("REPORTS_MODE", "community") == "district"

    @rpc
    def get_kpis(self, year=None):
        if self._district():
            with self.store.session() as session:
                report = domain.district_kpis(session, self._district_targets(year), year,
                                              self._community(), self._today())
            rmetrics.kpi_statuses(self.name, report["kpis"])
            return report
        targets = self._targets(year)
        with self.store.session() as session:
            report = domain.kpis(session, targets, self._today())
        rmetrics.kpi_statuses(self.name, report["kpis"])
        return report

    @rpc
    @idempotent
    def check_kpis(self):
        """Emit kpi_at_risk for each KPI that turned at_risk since the last check."""
        targets = self._targets()
        with self.store.unit_of_work() as uow:
            result = domain.check_kpis(uow, targets, self._today())
        rmetrics.kpi_statuses(self.name, [{"kpi": k, "status": s}
                                          for k, s in result["statuses"].items()])
        return result

    @rpc
    def get_attachment_counts(self, period):
        """Evidence photos and files of a period's events and meetings (evidence.py)."""
        with self.store.session() as session:
            return evidence.attachment_counts(session, period)

    @rpc
    def get_budget_statement(self, year=None):
        """The project year's budget statement (default: the year holding today)."""
        years, today = self._contract(), self._today()
        chosen = years.year(year) if year is not None else years.current(today)
        with self.store.session() as session:
            return budget.statement(session, chosen, today)

    @rpc
    def get_event_costs(self, date_from, date_to):
        """{event_id: yuan} spent on each activity in the months of [from, to] (dates or
        months)."""
        first, last = domain.to_month(date_from, "from"), domain.to_month(date_to, "to")
        with self.store.session() as session:
            return budget.event_costs(session, first, last)

    @rpc
    def get_year_comparison(self):
        """Every project year of the contract side by side (KPIs, budget, costs)."""
        with self.store.session() as session:
            return budget.comparison(session, self._contract(), self._today())

    @rpc
    def get_summary(self, date_from=None, date_to=None, group_by="month"):
        with self.store.session() as session:
            return domain.summary(session, date_from, date_to, group_by or "month",
                                  self._today())

    @rpc
    def get_periodic_report(self, period=None, format="json", year=None):
        """The report of a month, quarter or calendar year, or (``year``) of a whole
        project year of the contract."""
        periodic.check_format(format)
        if year is not None:
            chosen = self._contract().year(year)
            period = periodic.project_year_period(chosen)
        with self.store.session() as session:
            year = chosen if year is not None else self._year_of(period)
            report = periodic.document(session, period, self._community(), self._today(),
                                       year.targets, year)
        if format == "json":
            return report
        return periodic.render(report, format, self.config.get("REPORT_FONT_FILE"))

    @rpc
    @idempotent
    def close_period(self, period, closed_by=None):
        """Mark a month reported (月报已报送): its report is kept as sent; later entries
        for it are shown as late entries in the next report."""
        today = self._today()
        periods.check_closable(period, today)
        with self.store.session() as session:
            year = self._year_of(period)
            report = periodic.document(session, period, self._community(), today,
                                       year.targets, year)
            return periods.close(session, period, closed_by, report)

    @rpc
    @idempotent
    def publish_summary(self):
        targets = self._targets()
        with self.store.unit_of_work() as uow:
            return domain.publish_summary(uow, targets, self._community(), self._today())

    @rpc
    @idempotent
    def start_rebuild(self):
        generation = self.rebuilder.start_rebuild()
        with self.store.session() as session:
            return domain.rebuild_status(session) | {"generation": generation}

    @rpc
    def get_rebuild_status(self):
        with self.store.session() as session:
            return domain.rebuild_status(session)

    @rpc
    def dump_figures(self):
        """Every counter of the served generation (operators and tests compare them)."""
        with self.store.session() as session:
            return domain.figure_dump(session)

    # -- evaluation dossier (评估台账): built in the background, see dossier.py -----------

    @rpc
    @idempotent
    def request_dossier(self, data=None, requested_by=None):
        """Queue a dossier's build; its state answers at once (status ``queued``)."""
        return self.dossiers.request(data, requested_by)

    @rpc
    def get_dossier(self, dossier_id):
        with self.store.session() as session:
            return dossier.get(session, dossier_id)

    @rpc
    def get_dossier_file(self, dossier_id, kind="pdf", offset=0):
        """Part of the built PDF or ZIP from ``offset`` (``common.downloads.answer`` with
        the file's ``size``); 409 until it is ready."""
        if kind not in ("pdf", "zip"):
            raise dossier.ValidationFailed(
                "invalid_fields", {"kind": [msg("one_of_formats", formats="pdf, zip")]},
                fields="kind")
        with self.store.session() as session:
            return dossier.ready_file(session, dossier.directory_of(self.config), dossier_id,
                                      kind, offset)
