"""``docs/asyncapi.yaml`` generated from the event registry (the single source); a test
fails when the checked-in document is stale: run ``python -m common.cli asyncapi``."""
import yaml
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from common import contracts
from common.config import ROOT

PATH = ROOT / "docs" / "asyncapi.yaml"


def _json_schema(schema_cls):
    plugin = MarshmallowPlugin()
    APISpec("x", "1", "3.0.3", plugins=[plugin])
    return plugin.converter.schema2jsonschema(schema_cls)


def document():
    registry = contracts.load_all()
    channels, messages = {}, {}
    for name in sorted(registry):
        et = registry[name]
        messages[name] = {
            "name": name,
            "summary": et.description,
            "contentType": "application/json",
            "x-consumers": list(et.consumers),
            "payload": {
                "type": "object",
                "required": ["event_id", "event_type", "source", "community_id",
                             "occurred_at", "version", "payload"],
                "properties": {
                    "event_id": {"type": "string", "format": "uuid"},
                    "event_type": {"type": "string", "const": name},
                    "source": {"type": "string", "const": et.source},
                    "community_id": {"type": "string"},
                    "occurred_at": {"type": "string", "format": "date-time"},
                    "version": {"type": "integer", "const": contracts.ENVELOPE_VERSION},
                    "payload": _json_schema(et.schema),
                },
            },
        }
        channels[name] = {
            "address": name,
            "description": f"exchange {contracts.exchange_name(et.source)} (topic), "
                           f"routing key {name}",
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Ronghe domain events", "version": "1.0.0",
                 "description": "Generated from common/contracts; do not edit by hand."},
        "defaultContentType": "application/json",
        "channels": channels,
        "components": {"messages": messages},
    }


def render():
    return yaml.safe_dump(document(), allow_unicode=True, sort_keys=True)


def write():
    PATH.write_text(render(), encoding="utf-8")
