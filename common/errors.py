"""Domain errors shared by the services and the gateway.

Each is registered with nameko's ``deserialize_to_instance`` so that an error raised in a
service arrives at the gateway as the same class with its details, and the gateway maps it
to an HTTP status in one place.

An error names a message of the catalogue (``common/messages.yaml``) by its key, with
the message's parameters as keyword arguments; reasons in ``details`` are keys too (or
``msg(key, **params)``)::

    raise NotFound("event_not_found", {"event_id": event_id}, event_id=event_id)

The key and parameters travel over RPC unchanged; the gateway renders them in the
request's language (``to_dict(lang)``).
"""
import json

from nameko.exceptions import deserialize_to_instance

from common import messages
from common.messages import msg  # noqa: F401 - raise sites import it from here too


def _from_wire(value, default):
    # Arrived over RPC: nameko turns every non-string value in exception args into a
    # string (1 → "1", None → "None"), so details and parameters travel as JSON text.
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return {"detail": value}
    return value if value is not None else default


class RongheError(Exception):
    code = "ERROR"
    status = 500

    def __init__(self, key="", details=None, params=None, **kwparams):
        if isinstance(key, messages.Msg):  # msg(key, **params) given whole
            key, kwparams = str(key), dict(key.params, **kwparams)
        details = messages.to_wire(_from_wire(details, {}) or {})
        params = messages.to_wire(dict(_from_wire(params, {}) or {}, **kwparams))
        super().__init__(key, json.dumps(details, ensure_ascii=False, default=str),
                         json.dumps(params, ensure_ascii=False, default=str))
        self.key = key
        self.params = params
        self.details = details

    @property
    def message(self):
        """The message in English (logs, an operator's view)."""
        return messages.render(self.key, self.params, "en")

    def __str__(self):
        return self.message

    def to_dict(self, lang=messages.DEFAULT_LANGUAGE):
        return {"error": self.code, "message": messages.render(self.key, self.params, lang),
                "details": messages.render_details(self.details, lang)}


@deserialize_to_instance
class BadRequest(RongheError):
    code, status = "BAD_REQUEST", 400


@deserialize_to_instance
class ValidationFailed(RongheError):
    """details: {field: [reasons]}"""
    code, status = "VALIDATION_FAILED", 422


@deserialize_to_instance
class Unauthorized(RongheError):
    code, status = "UNAUTHORIZED", 401


@deserialize_to_instance
class Forbidden(RongheError):
    code, status = "FORBIDDEN", 403


@deserialize_to_instance
class NotFound(RongheError):
    code, status = "NOT_FOUND", 404


@deserialize_to_instance
class Conflict(RongheError):
    code, status = "CONFLICT", 409


@deserialize_to_instance
class PayloadTooLarge(RongheError):
    code, status = "PAYLOAD_TOO_LARGE", 413


@deserialize_to_instance
class UnsupportedMediaType(RongheError):
    code, status = "UNSUPPORTED_MEDIA_TYPE", 415


@deserialize_to_instance
class RateLimited(RongheError):
    code, status = "RATE_LIMITED", 429


@deserialize_to_instance
class ServiceUnavailable(RongheError):
    code, status = "SERVICE_UNAVAILABLE", 503


def size_text(limit):
    """A size in bytes as people read it: "20 MB", "512 KB"."""
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if limit >= size:
            return f"{round(limit / size, 1):g} {unit}"
    return f"{limit} B"


def file_too_large(limit):
    """413 for an uploaded file past ``limit`` bytes, naming ``file``."""
    return PayloadTooLarge("file_too_large", {"file": [msg("at_most_bytes", limit=limit)]},
                           size=size_text(limit), limit=limit)


def validation_error(marshmallow_error):
    """marshmallow ValidationError → ValidationFailed naming each field."""
    reasons = marshmallow_error.messages
    if not isinstance(reasons, dict):
        reasons = {"_schema": reasons}
    fields = ", ".join(sorted(str(k) for k in reasons))
    return ValidationFailed("invalid_fields", messages.from_schema_messages(reasons),
                            fields=fields)


def load_input(schema_cls, data, partial=None):
    """Validate a request's data with a marshmallow schema of the service (unknown fields
    raise); ValidationFailed names each field that is wrong. ``schema_cls`` is a class
    (its one shared instance is used, ``common.schemas.instance``) or an instance."""
    from marshmallow import ValidationError

    from common.schemas import instance

    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationFailed("expected_object", {"_schema": ["expected_object"]})
    try:
        # partial=None keeps a schema's own default (PATCH schemas are partial).
        return instance(schema_cls).load(data, partial=partial or None)
    except ValidationError as exc:
        raise validation_error(exc) from None
