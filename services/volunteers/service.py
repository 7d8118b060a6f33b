"""Volunteers service: nameko entrypoints only; the logic is in domain.py."""
from nameko.dependency_providers import Config
from nameko.rpc import rpc

from common.db import Store
from common.metrics import Instrumentation
from common.ops import OperatorEndpoints
from common.outbox import OutboxRelay
from common.pii import PiiCrypto
from common.sample import SampleData
from services.volunteers import domain
from services.volunteers.models import metadata


class VolunteersService(OperatorEndpoints):
    name = "volunteers"

    config = Config()
    store = Store(metadata)
    relay = OutboxRelay()
    sample_data = SampleData()
    instrumentation = Instrumentation()
    crypto = PiiCrypto()

    @rpc
    def create_volunteer(self, data):
        with self.store.unit_of_work() as uow:
            return domain.register_volunteer(uow, self.crypto, data)

    @rpc
    def get_volunteer(self, volunteer_id, reveal=False):
        with self.store.session() as session:
            return domain.get_volunteer(session, self.crypto, volunteer_id, reveal)

    @rpc
    def list_volunteers(self, skill=None, compound=None, talent=None, page=1, per_page=20):
        with self.store.session() as session:
            return domain.list_volunteers(session, self.crypto, skill, compound, talent,
                                          page, per_page)
