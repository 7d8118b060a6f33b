"""Reports service: projections of domain events and the funder's KPIs."""
from nameko.dependency_providers import Config
from nameko.rpc import rpc

from common.bus import handle_event
from common.db import Store
from common.inbox import consume_once
from common.metrics import Instrumentation
from common.ops import OperatorEndpoints
from common.outbox import OutboxRelay
from services.reports import domain
from services.reports.models import metadata


class ReportsService(OperatorEndpoints):
    name = "reports"

    config = Config()
    store = Store(metadata)
    relay = OutboxRelay()
    instrumentation = Instrumentation()

    def _project(self, envelope, apply):
        return consume_once(self.store, envelope,
                            lambda uow, env: apply(uow.session, env), self.name)

    @handle_event("volunteer_registered")
    def handle_volunteer_registered(self, envelope):
        self._project(envelope, domain.apply_volunteer_registered)

    @rpc
    def get_kpis(self, year=None):
        targets = domain.load_targets(self.config["KPI_TARGETS_FILE"])
        with self.store.session() as session:
            return domain.kpis(session, targets, year)
