"""JSON logs, one object per line, carrying the request id of the worker that wrote
them. Messages pass through ``pii.redact`` so a careless log line cannot leak a phone
or ID number."""
import json
import logging
import sys
import threading
from datetime import datetime, timezone

from common import pii

# eventlet's monkey patch makes this greenlet-local.
_local = threading.local()


def set_request_id(request_id):
    _local.request_id = request_id


def get_request_id():
    return getattr(_local, "request_id", None)


class JsonFormatter(logging.Formatter):
    def __init__(self, process_name):
        super().__init__()
        self.process_name = process_name

    def format(self, record):
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname,
            "service": self.process_name,
            "logger": record.name,
            "message": pii.redact(record.getMessage()),
        }
        request_id = get_request_id()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = pii.redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(process_name, level="INFO", stream=None):
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(process_name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # nameko logs every unknown RPC reply correlation id at debug; kombu is chatty.
    logging.getLogger("kombu").setLevel(logging.WARNING)
    logging.getLogger("amqp").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
