"""When an event arrived is kept in UTC whatever the machine's time zone, so that the
inbox rows of services on machines set to 北京时间 and to UTC read alike."""
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from common import inbox
from common.tests.test_delivery import volunteer_registered
from common.tests.test_inbox import metadata, record, store  # noqa: F401


def test_the_arrival_time_is_utc_on_a_machine_set_to_beijing_time(store, monkeypatch):  # noqa: F811
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        before = datetime.now(timezone.utc)
        inbox.consume_once(store, volunteer_registered(1), record, "inbox-test")
        after = datetime.now(timezone.utc)
    finally:
        monkeypatch.undo()
        time.tzset()
    table = metadata.tables["inbox"]
    with store.session() as session:
        received = session.execute(select(table.c.received_at)).scalar_one()
    if received.tzinfo is None:
        received = received.replace(tzinfo=timezone.utc)
    assert before - timedelta(seconds=1) <= received <= after + timedelta(seconds=1)
