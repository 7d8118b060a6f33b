"""Sample data: a service that has some declares ``SampleData()`` and defines
``load_sample_data(uow, config)`` in its ``sample.py``; it runs once, on the first start,
unless SAMPLE_DATA is false. A marker in ``kernel_state`` makes it once-only (and
survives restarts, and the clearing of the sample data).

Every sample record carries ``sample: true`` (its row, its answers, its facts) and counts
in no figure, export or summary. Such a service also answers ``count_sample_data`` and
``clear_sample_data`` (RPC): the admin's one action (``POST /admin/sample-data/clear``)
clears the sample data of every service in ``SERVICES``."""
import importlib
import logging

from marshmallow import fields, validate
from nameko.extensions import DependencyProvider
from sqlalchemy import insert, select

from common.messages import msg
from common.schemas import Strict

log = logging.getLogger(__name__)
MARKER = "sample_data_loaded"
# The services that declare SampleData (a test keeps this list true).
SERVICES = ("resources",)
CONFIRMATION = "清除示例数据"


class ClearRequest(Strict):
    """The body of the clearing: the admin types the confirmation, so that a stray
    request cannot wipe the demonstration a community is being shown."""
    confirm = fields.String(required=True, validate=validate.Equal(
        CONFIRMATION, error=msg("type_to_confirm", confirmation=CONFIRMATION)),
        metadata={"description": f"exactly {CONFIRMATION}"})


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
