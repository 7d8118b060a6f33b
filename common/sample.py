"""Sample data: a service that has some declares ``SampleData()`` and defines
``load_sample_data(uow, config)`` in its ``sample.py``; it runs once, on the first start,
unless SAMPLE_DATA is false. A marker in ``kernel_state`` makes it once-only (and
survives restarts)."""
import importlib
import logging

from nameko.extensions import DependencyProvider
from sqlalchemy import insert, select

log = logging.getLogger(__name__)
MARKER = "sample_data_loaded"


def enabled(config):
    return str(config.get("SAMPLE_DATA", "true")).lower() in ("1", "true", "yes", "on")


def load_once(store_access, service_name, config):
    module = importlib.import_module(f"services.{service_name}.sample")
    table = store_access.metadata.tables["kernel_state"]
    with store_access.unit_of_work() as uow:
        done = uow.session.execute(select(table.c.value).where(table.c.key == MARKER)).first()
        if done:
            return False
        module.load_sample_data(uow, config)
        uow.session.execute(insert(table).values(key=MARKER, value="1"))
    log.info("loaded sample data for %s (switch off with SAMPLE_DATA=false)", service_name)
    return True


class SampleData(DependencyProvider):
    def __init__(self, store_attr="store"):
        self.store_attr = store_attr

    def start(self):
        if not enabled(self.container.config):
            return
        from common.db import StoreAccess, store_of

        store = store_of(self.container, self.store_attr)
        load_once(StoreAccess(store), self.container.service_name, self.container.config)

    def get_dependency(self, worker_ctx):
        return None
