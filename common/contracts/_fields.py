"""Field helpers for payload schemas."""
from marshmallow import fields, validate

from common import vocab

TargetGroup = lambda **kw: fields.String(validate=validate.OneOf(list(vocab.TARGET_GROUPS)), **kw)  # noqa: E731
Plan = lambda **kw: fields.String(validate=validate.OneOf(list(vocab.PLANS)), **kw)  # noqa: E731
EventKind = lambda **kw: fields.String(validate=validate.OneOf(list(vocab.EVENT_KINDS)), **kw)  # noqa: E731
NeedCategory = lambda **kw: fields.String(validate=validate.OneOf(list(vocab.NEED_CATEGORIES)), **kw)  # noqa: E731
FiveSociety = lambda **kw: fields.String(validate=validate.OneOf(list(vocab.FIVE_SOCIETY)), **kw)  # noqa: E731
ResourceType = lambda **kw: fields.String(validate=validate.OneOf(list(vocab.RESOURCE_TYPES)), **kw)  # noqa: E731
Id = lambda **kw: fields.Integer(validate=validate.Range(min=1), **kw)  # noqa: E731
Count = lambda **kw: fields.Integer(validate=validate.Range(min=0), **kw)  # noqa: E731
