"""Gateway read and write under 20 concurrent clients (wrk), with 10,000 events stored.

    python -m bench.gateway      # starts its own stack; prints JSON
Needs wrk (Debian package `wrk`).
"""
import json
import re
import tempfile
import time
from datetime import datetime, timedelta, timezone

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench import procs
from bench.harness import RssSampler, Stack, Vhost

WRITE_SCRIPT = r"""
local counter = 0
local id = 0
setup = function(thread)
  thread:set("tid", id)
  id = id + 1
end
request = function()
  counter = counter + 1
  local phone = string.format("139%02d%06d", tid, counter)
  local body = '{"name":"压测","phone":"' .. phone .. '","target_group":"elderly"}'
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end
"""


def seed_events(db_uri, total=10_000):
    """Scheduled and published through the events domain, as the service would."""
    from common.db import UnitOfWork, make_engine
    from services.events import domain
    from services.events.models import metadata

    engine = make_engine(db_uri)
    start = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
    info = {"outbox_table": metadata.tables["outbox"]}
    created = 0
    while created < total:
        with Session(engine, info=info) as session:
            uow = UnitOfWork(session, "events", "hetong")
            for i in range(min(500, total - created)):
                n = created + i
                data = domain.validate_new_event({
                    "title": f"长者健康讲座 {n}", "plan": "service", "kind": "lecture",
                    "target_groups": ["elderly"], "compounds": ["fulong_huayuan"],
                    "start": (start + timedelta(hours=n)).isoformat(),
                    "end": (start + timedelta(hours=n, minutes=90)).isoformat(),
                    "capacity": 100000 if n == 0 else 40})
                event = domain.create_event(uow, data, "bench")
                domain.publish_event(uow, event["id"])
            session.commit()
        created += min(500, total - created)
    engine.dispose()


def drained(stack):
    from common.db import make_engine
    from services.events.models import metadata

    engine = make_engine(stack.db_uri("events"))
    table = metadata.tables["outbox"]
    with engine.connect() as conn:
        pending = conn.execute(select(func.count()).select_from(table)
                               .where(table.c.sent_at.is_(None))).scalar_one()
    engine.dispose()
    return pending == 0


def wrk(url, token, seconds=15, script=None):
    cmd = ["wrk", "-t2", "-c20", f"-d{seconds}s", "--latency", "-H",
           f"Authorization: Bearer {token}"]
    if script:
        cmd += ["-s", script]
    out = procs.run(cmd + [url], timeout=seconds + 60, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1))
    p99 = _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99,
            "non_2xx": int(errors.group(1)) if errors else 0}


def _ms(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def main():
    with Vhost() as vhost, Stack(vhost.amqp_uri, {"PUBLIC_RATE_LIMIT_PER_MINUTE": "100000000",
                                                  "SAMPLE_DATA": "false"}) as stack:
        stack.migrate("events")
        seed_events(stack.db_uri("events"))
        stack.start("resources", "volunteers", "events", "reports", "gateway")
        deadline = time.monotonic() + 300
        while not drained(stack) and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(5)  # let reports finish projecting the seeded facts
        base = stack.url("gateway") + "/api/v1"
        token = requests.post(base + "/auth/login", json={
            "username": "admin", "password": "ronghe-admin"}, timeout=10).json()["access_token"]
        listing = requests.get(base + "/events?per_page=20&page=3",
                               headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        assert len(listing["items"]) == 20 and listing["total"] >= 10_000, listing
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRITE_SCRIPT)
        with RssSampler(stack) as rss:
            wrk(base + "/events?per_page=20&page=3", token, seconds=3)  # warm-up
            read = wrk(base + "/events?per_page=20&page=3", token)
            write = wrk(base + "/events/1/registrations", token, script=script.name)
        print(json.dumps({"read": read, "write": write, "rss_mb": rss.peak}))


if __name__ == "__main__":
    procs.install()
    try:
        main()
    finally:
        procs.stop_all()
