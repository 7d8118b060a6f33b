"""The bus contract: every domain event type, its payload schema and its consumers.

This registry is the single source for publishers (``envelope`` validates before a row
reaches the outbox), consumers (``common.bus`` declares one durable queue per consuming
service, bound to the event types it consumes) and ``docs/asyncapi.yaml``.

Event types live in one module per publishing service (``common/contracts/<source>.py``)
and register themselves with ``event_type``.
"""
import importlib
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime, timezone

from marshmallow import RAISE, Schema, ValidationError, fields

ENVELOPE_VERSION = 1
SOURCES = ("resources", "volunteers", "events", "reports")


class UnknownEventType(ValueError):
    pass


class InvalidPayload(ValueError):
    def __init__(self, event_type, messages):
        super().__init__(f"invalid payload for {event_type}: {messages}")
        self.messages = messages


@dataclass(frozen=True)
class EventType:
    name: str
    source: str
    schema: type
    description: str
    consumers: tuple = field(default=("reports",))

    @cached_property
    def validator(self):
        # One instance per type: building a marshmallow schema costs more than loading.
        return self.schema()


REGISTRY = {}


def event_type(name, source, description, consumers=("reports",)):
    """Class decorator registering a payload schema as the schema of ``name``."""
    if source not in SOURCES:
        raise ValueError(f"unknown source service {source}")

    def register(schema_cls):
        if name in REGISTRY:
            raise ValueError(f"event type {name} registered twice")
        REGISTRY[name] = EventType(name, source, schema_cls, description, tuple(consumers))
        return schema_cls

    return register


_loaded = []


def load_all():
    if not _loaded:
        for source in SOURCES:
            importlib.import_module(f"common.contracts.{source}")
        _loaded.append(True)
    return REGISTRY


def get(name):
    load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownEventType(f"unknown event type {name!r}") from None


def exchange_name(source):
    """Topic exchange a service publishes its facts to (nameko's naming)."""
    return f"{source}.events"


def consumed_by(service):
    """Event types a service consumes, in registry order."""
    load_all()
    return [et for et in REGISTRY.values() if service in et.consumers]


def validate_payload(name, payload):
    et = get(name)
    try:
        return et.validator.load(payload)
    except ValidationError as exc:
        raise InvalidPayload(name, exc.messages) from None


def envelope(name, payload, source, community_id, occurred_at=None, event_id=None):
    """Build a validated envelope; unknown types and invalid payloads raise at once.

    Datetimes and dates in the payload become ISO strings (UTC datetimes end in Z); the
    JSON form is what is validated and stored."""
    et = get(name)
    if et.source != source:
        raise UnknownEventType(f"{name} is published by {et.source}, not {source}")
    payload = jsonable(payload)
    try:
        et.validator.load(payload)
    except ValidationError as exc:
        raise InvalidPayload(name, exc.messages) from None
    occurred_at = occurred_at or datetime.now(timezone.utc)
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": name,
        "source": source,
        "community_id": community_id,
        "occurred_at": occurred_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
        "version": ENVELOPE_VERSION,
        "payload": payload,
    }


def jsonable(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


class EnvelopeSchema(Schema):
    class Meta:
        unknown = RAISE

    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    source = fields.String(required=True)
    community_id = fields.String(required=True)
    occurred_at = fields.DateTime(required=True)
    version = fields.Integer(required=True)
    payload = fields.Dict(required=True)


_ENVELOPE = EnvelopeSchema()


def parse_envelope(body, check_payload=False):
    """Check an incoming envelope; raises ValueError subclasses.

    The payload was validated against this same registry by the publisher's outbox
    before it was committed, so consumers check only the envelope's shape by default
    (validating every payload again cost more than applying it). A payload that does
    not fit makes its handler raise: retried, then dead-lettered, never lost."""
    if not isinstance(body, dict):
        raise InvalidPayload("envelope", {"_schema": ["not a JSON object"]})
    missing = [k for k in ENVELOPE_FIELDS if k not in body]
    unknown = [k for k in body if k not in ENVELOPE_FIELDS and k != "seq"]
    if missing or unknown:
        raise InvalidPayload("envelope", {**{k: ["missing"] for k in missing},
                                          **{k: ["unknown field"] for k in unknown}})
    et = get(body["event_type"])
    if body["source"] != et.source or not isinstance(body["payload"], dict) \
            or body["version"] != ENVELOPE_VERSION or not isinstance(body["event_id"], str):
        raise InvalidPayload("envelope", {"_schema": ["source, version, id or payload"]})
    if check_payload:
        _ENVELOPE.load({k: body[k] for k in ENVELOPE_FIELDS})
        validate_payload(body["event_type"], body["payload"])
    return body


ENVELOPE_FIELDS = ("event_id", "event_type", "source", "community_id", "occurred_at",
                   "version", "payload")


def parse_time(value):
    """ISO 8601 (with Z) → aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
