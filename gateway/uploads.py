"""File uploads (``multipart/form-data``): the one kind of body besides JSON, taken only
by a route declared with ``upload=<schema of its other form fields>``.

Its limit is its own: the route's ``upload_limit`` config key (``ATTACHMENT_MAX_BYTES``)
for the file, plus FORM_OVERHEAD for the form around it. A body announced beyond that is
413 before a byte is read (as for JSON, ``MAX_BODY_BYTES``); a chunked one is read up to
it and no further. Anything but multipart/form-data is 415. The form must hold one file
in the field ``file`` and the declared fields, nothing else (422 naming the field).

What the handler gets: ``ctx.body`` = the form's fields, validated, with the file's
``filename`` (as sent: its checks are the route's), ``size`` and ``sha256`` (so that a
retry's Idempotency-Key fingerprint covers the bytes), and ``ctx.upload`` = the bytes.
"""
import hashlib
import io
import re

from marshmallow import ValidationError
from werkzeug.formparser import parse_form_data

from common.errors import (BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed,
                           file_too_large, msg, validation_error)

FORM_TYPE = "multipart/form-data"
FILE_FIELD = "file"
# Room for the multipart boundaries, part headers and the small fields beside the file.
FORM_OVERHEAD = 64 * 1024
DEFAULT_LIMIT = 20 * 1024 * 1024


def file_limit(route, config):
    return int(config.get(route.upload_limit) or DEFAULT_LIMIT)


def _in_memory(*args, **kwargs):
    """The file part in memory, not in a temporary file: the body is in memory already,
    and /tmp is a small emptyDir in Kubernetes (a few uploads at once would fill it)."""
    return io.BytesIO()


_RAW_FILENAME = re.compile(r'filename="([^"]*)"')


def _filename_as_sent(upload):
    """The part's file name. Header parsing reads a backslash as an escape and drops it,
    so ``C:\\Users\\a.jpg`` (a path, as old browsers send it) would pass as
    ``C:Usersa.jpg``; browsers percent-encode quotes in names, so a backslash in the raw
    header is a folder separator, and the name is given as sent for the route to refuse."""
    raw = _RAW_FILENAME.search(upload.headers.get("Content-Disposition", "") or "")
    if raw and "\\" in raw.group(1):
        return raw.group(1)
    return upload.filename or ""


def parse(request, route, config, read_body):
    """The form of an upload route: (fields with the file's name, size and hash; bytes).
    ``read_body(request, limit)`` is dispatch's bounded read."""
    limit = file_limit(route, config)
    body_limit = limit + FORM_OVERHEAD
    if (request.content_length or 0) > body_limit:
        raise file_too_large(limit)
    if request.mimetype != FORM_TYPE:
        raise UnsupportedMediaType(
            "body_wrong_type", {"content_type": [msg("must_be_type", json_type=FORM_TYPE)]},
            json_type=FORM_TYPE, sent=request.mimetype or "untyped")
    try:
        raw = read_body(request, body_limit)
    except PayloadTooLarge:
        raise file_too_large(limit) from None
    environ = {"wsgi.input": io.BytesIO(raw), "CONTENT_LENGTH": str(len(raw)),
               "CONTENT_TYPE": request.headers.get("Content-Type", ""),
               "REQUEST_METHOD": "POST"}
    try:
        _, form, files = parse_form_data(environ, silent=False, max_form_parts=20,
                                         max_form_memory_size=FORM_OVERHEAD,
                                         stream_factory=_in_memory)
    except ValueError as exc:
        raise BadRequest("multipart_malformed", {"body": ["malformed_form"]}, error=str(exc))
    except Exception as exc:  # werkzeug's RequestEntityTooLarge and other form errors
        raise BadRequest("multipart_malformed", {"body": ["malformed_form"]},
                         error=type(exc).__name__) from None
    uploaded = files.getlist(FILE_FIELD)
    others = sorted(set(files) - {FILE_FIELD})
    if others:
        raise ValidationFailed("invalid_fields", {name: ["unknown_file_field"]
                                                  for name in others},
                               fields=", ".join(others))
    if len(uploaded) != 1:
        raise ValidationFailed("invalid_fields", {FILE_FIELD: [
            msg("one_file_required") if not uploaded else msg("one_file_at_a_time")]},
            fields=FILE_FIELD)
    fields = {key: form.get(key) for key in form}
    try:
        route.upload().load(fields)
    except ValidationError as exc:
        raise validation_error(exc) from None
    upload = uploaded[0]
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise file_too_large(limit)
    return dict(fields, filename=_filename_as_sent(upload), size=len(content),
                sha256=hashlib.sha256(content).hexdigest()), content
