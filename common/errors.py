"""Domain errors shared by the services and the gateway.

Each is registered with nameko's ``deserialize_to_instance`` so that an error raised in a
service arrives at the gateway as the same class with its details, and the gateway maps it
to an HTTP status in one place.
"""
import json

from nameko.exceptions import deserialize_to_instance


class RongheError(Exception):
    code = "ERROR"
    status = 500

    def __init__(self, message="", details=None):
        if isinstance(details, str):
            # Arrived over RPC: nameko turns every non-string value in exception args
            # into a string (1 → "1", None → "None"), so details travel as JSON text.
            try:
                details = json.loads(details)
            except ValueError:
                details = {"detail": details}
        details = details or {}
        super().__init__(message, json.dumps(details, ensure_ascii=False, default=str))
        self.message = message
        self.details = details

    def __str__(self):
        return self.message

    def to_dict(self):
        return {"error": self.code, "message": self.message, "details": self.details}


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


def validation_error(marshmallow_error):
    """marshmallow ValidationError → ValidationFailed naming each field."""
    messages = marshmallow_error.messages
    if not isinstance(messages, dict):
        messages = {"_schema": messages}
    fields = ", ".join(sorted(str(k) for k in messages))
    return ValidationFailed(f"invalid fields: {fields}", messages)


def load_input(schema_cls, data, partial=None):
    """Validate a request's data with a marshmallow schema of the service (unknown fields
    raise); ValidationFailed names each field that is wrong. ``schema_cls`` may be an
    instance built once (the busiest listings do that)."""
    from marshmallow import ValidationError

    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationFailed("expected an object", {"_schema": ["expected an object"]})
    try:
        # partial=None keeps a schema's own default (PATCH schemas are partial).
        schema = schema_cls() if isinstance(schema_cls, type) else schema_cls
        return schema.load(data, partial=partial or None)
    except ValidationError as exc:
        raise validation_error(exc) from None
