"""Facts published by the reports service."""
from marshmallow import Schema, fields, validate  # noqa: F401

from common.contracts import event_type  # noqa: F401
