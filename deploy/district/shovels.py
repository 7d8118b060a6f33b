"""Declare (or remove) the shovels that carry each community's
``community_summary_published`` into the district's vhost, through the RabbitMQ
management HTTP API (the ``rabbitmq_shovel`` and ``rabbitmq_shovel_management`` plugins).

    python deploy/district/shovels.py setup|status|teardown [--config communities.yaml]

Idempotent: running ``setup`` twice changes nothing. Per community it declares, in the
community's vhost, the exchange ``reports.events`` (topic, durable), a durable queue
``district.community-summaries`` bound to it with routing key
``community_summary_published`` (so summaries published while the district is down wait
there), and in the district's vhost a dynamic shovel ``summaries-from-<community>`` from that
queue to the district's ``reports.events`` with the same routing key, acknowledging only
once the district's broker has confirmed (``on-confirm``).
"""
import argparse
import json
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import requests
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
EXCHANGE = "reports.events"
ROUTING_KEY = "community_summary_published"
SOURCE_QUEUE = "district.community-summaries"


def load(path=HERE / "communities.yaml", environ=None):
    sys.path.insert(0, str(ROOT))
    from common.config import substitute_env

    return yaml.safe_load(substitute_env(Path(path).read_text(encoding="utf-8"), environ))


class Management:
    def __init__(self, url, timeout=10):
        parts = urlsplit(url)
        self.auth = (parts.username or "guest", parts.password or "guest")
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.base = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", "")) + "/api"
        self.http = requests.Session()
        self.timeout = timeout

    def call(self, method, path, body=None, ok=(200, 201, 204)):
        response = self.http.request(method, self.base + path, auth=self.auth,
                                     data=None if body is None else json.dumps(body),
                                     headers={"content-type": "application/json"},
                                     timeout=self.timeout)
        if response.status_code not in ok:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content and response.status_code == 200 else None


def vhost_uri(base, vhost):
    """amqp URI of ``vhost`` on the broker ``base`` ("amqp://" = the local node)."""
    vhost = quote(vhost, safe="")
    if base.endswith("://"):
        return f"{base}/{vhost}"  # amqp:///<vhost>: the local node
    return f"{base.rstrip('/')}/{vhost}"


def shovel_name(community_id):
    return f"summaries-from-{community_id}"


def setup(config, management=None):
    api = management or Management(config["management_api"])
    district = config["district"]
    dv = quote(district["vhost"], safe="")
    api.call("PUT", f"/exchanges/{dv}/{EXCHANGE}", {"type": "topic", "durable": True})
    declared = []
    for community in config["communities"]:
        cv = quote(community["vhost"], safe="")
        api.call("PUT", f"/exchanges/{cv}/{EXCHANGE}", {"type": "topic", "durable": True})
        api.call("PUT", f"/queues/{cv}/{SOURCE_QUEUE}", {"durable": True, "auto_delete": False})
        api.call("POST", f"/bindings/{cv}/e/{EXCHANGE}/q/{SOURCE_QUEUE}",
                 {"routing_key": ROUTING_KEY})
        api.call("PUT", f"/parameters/shovel/{dv}/{shovel_name(community['id'])}", {"value": {
            "src-protocol": "amqp091",
            "src-uri": vhost_uri(community.get("uri", "amqp://"), community["vhost"]),
            "src-queue": SOURCE_QUEUE,
            "dest-protocol": "amqp091",
            "dest-uri": vhost_uri(district.get("uri", "amqp://"), district["vhost"]),
            "dest-exchange": EXCHANGE,
            "dest-exchange-key": ROUTING_KEY,
            "ack-mode": "on-confirm",
            "src-delete-after": "never",
        }})
        declared.append(shovel_name(community["id"]))
    return declared


def status(config, management=None):
    api = management or Management(config["management_api"])
    dv = quote(config["district"]["vhost"], safe="")
    shovels = api.call("GET", f"/shovels/{dv}") or []
    return {s["name"]: s.get("state") for s in shovels}


def teardown(config, management=None):
    api = management or Management(config["management_api"])
    dv = quote(config["district"]["vhost"], safe="")
    for community in config["communities"]:
        api.call("DELETE", f"/parameters/shovel/{dv}/{shovel_name(community['id'])}",
                 ok=(200, 204, 404))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["setup", "status", "teardown"])
    parser.add_argument("--config", default=str(HERE / "communities.yaml"))
    args = parser.parse_args(argv)
    config = load(args.config)
    if args.command == "setup":
        for name in setup(config):
            print(f"shovel {name} declared in vhost {config['district']['vhost']}")
    elif args.command == "status":
        for name, state in status(config).items():
            print(f"{name}: {state}")
    else:
        teardown(config)
        print("shovels removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
