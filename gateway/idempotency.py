"""The gateway's part of idempotent writes (the services' part, and why the key must reach
the service that writes, is in common/idempotency.py).

A write (POST, PUT, PATCH, DELETE) may carry ``Idempotency-Key``: 1 to 255 printable
ASCII characters the client chose, one per submission, sent again unchanged when it
retries that submission. The gateway checks it (422 naming the header), scopes it to the
user (or, on a public route without a token, to the client's address) so two users'
keys never meet, fingerprints the request (method, path, query and canonical body) and
sends both, hashed, with every service call this request makes. The writing service
answers a repeat with the first answer, which the route returns as it did the first time;
a key used for another request, or one whose first request is still running, is 409.
"""
import hashlib
import json
import re

from common.errors import ValidationFailed
from common.idempotency import FINGERPRINT_CONTEXT, KEY_CONTEXT
from common.messages import msg

HEADER = "Idempotency-Key"
MAX_LENGTH = 255
WRITE_METHODS = frozenset(("POST", "PUT", "PATCH", "DELETE"))
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]+")


def client_key(request):
    """The header's value, checked; None when the request has none."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    if not 1 <= len(raw) <= MAX_LENGTH or not _PRINTABLE_ASCII.fullmatch(raw) \
            or not raw.strip():
        raise ValidationFailed("invalid_header", {HEADER: [
            msg("header_value_format", max_length=MAX_LENGTH)]}, header=HEADER)
    return raw


def scoped_key(ctx, key, client):
    scope = f"user:{ctx.user['sub']}" if ctx.user else f"client:{client}"
    return _sha256(f"{ctx.community_id}\n{scope}\n{key}")


def fingerprint(ctx):
    request = ctx.request
    query = sorted(request.args.items(multi=True))
    body = json.dumps(ctx.body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _sha256(f"{request.method} {request.path}\n{json.dumps(query)}\n{body}")


def forward(ctx, client):
    """Send the request's scoped key and fingerprint with every service call it makes
    (nameko's context data); nothing when the request is not a keyed write."""
    if ctx.route.method not in WRITE_METHODS:
        return
    key = client_key(ctx.request)
    if key is None:
        return
    context = ctx.service.request_state.context_data
    context[KEY_CONTEXT] = scoped_key(ctx, key, client)
    context[FINGERPRINT_CONTEXT] = fingerprint(ctx)


def _sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
