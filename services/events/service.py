"""Events service: nameko entrypoints only; the logic is in domain.py."""
from nameko.dependency_providers import Config

from common.db import Store
from common.metrics import Instrumentation
from common.ops import OperatorEndpoints
from common.outbox import OutboxRelay
from common.pii import PiiCrypto
from common.sample import SampleData
from services.events.models import metadata


class EventsService(OperatorEndpoints):
    name = "events"

    config = Config()
    store = Store(metadata)
    relay = OutboxRelay()
    sample_data = SampleData()
    instrumentation = Instrumentation()
    crypto = PiiCrypto()
