"""Evidence attachments (佐证材料): photos and files of events and joint meetings (and
expenditures once they are an owner kind), for staff only.

The upload is ``multipart/form-data`` (a phone's camera or a file picker): the form's
``file``, ``owner_kind`` and ``owner_id``. The gateway checks the name, the size and the
bytes' type first (``services.events.attachments.inspect``): a refused file never crosses
the bus. The bytes then travel to the events service over RPC as base64, bounded by
``ATTACHMENT_MAX_BYTES``, with a deadline of their own (``ATTACHMENT_RPC_TIMEOUT_SECONDS``):
the events service owns the store (services/events/README.md says why).
"""
import base64

import eventlet

from common import downloads
from common.schemas import wire
from gateway import uploads
from gateway.routing import STAFF, route
from services.events import attachments

FILE_TYPES = ("image/jpeg", "image/png", "image/webp", attachments.PDF, attachments.XLSX,
              attachments.DOCX)


# Uploads held in the gateway's memory at once (the file, its base64, the RPC message:
# ~4 × the file); the next ones wait their turn.
UPLOAD_SLOTS = eventlet.semaphore.Semaphore(2)


def _rpc(ctx, method, *args, **kwargs):
    """The events service's attachment calls, with their own (longer) deadline."""
    return ctx.rpc("attachments", method, *args, **kwargs)


@route("POST", "/attachments", STAFF, upload=attachments.AttachmentUpload,
       response=attachments.Attachment, status=201, tag="attachments",
       answers={413: "The file is larger than ATTACHMENT_MAX_BYTES (20 MiB): refused before "
                     "it is read",
                415: "Not multipart/form-data, or the file's bytes are not a JPEG, PNG or "
                     "WebP photo, a PDF, an XLSX or a DOCX (whatever its name says)",
                422: "No file, an empty file, a name with a folder in it (/ or \\), a photo "
                     "that cannot be read, or a bad owner_kind / owner_id"},
       summary="Attach a photo or file (multipart/form-data: file, owner_kind, owner_id) "
               "to an event or a joint meeting; a photo is kept upright without EXIF "
               "(no location) and gets a thumbnail; the same bytes are stored once")
def add_attachment(ctx):
    limit = uploads.file_limit(ctx.route, ctx.config)
    attachments.inspect(ctx.upload, ctx.body["filename"], limit)
    data = {key: ctx.body[key] for key in ("owner_kind", "owner_id", "filename")}
    with UPLOAD_SLOTS:
        return _rpc(ctx, "add_attachment", data,
                    base64.b64encode(ctx.upload).decode("ascii"), created_by=ctx.actor)


@route("GET", "/attachments", STAFF, query=attachments.AttachmentQuery,
       response=attachments.Attachment, many=True, tag="attachments",
       summary="The attachments of an event or a joint meeting (owner_kind, owner_id)")
def list_attachments(ctx):
    return ctx.rpc("events", "list_attachments", wire(ctx.query))


@route("GET", "/attachments/<int:attachment_id>", STAFF, response=attachments.Attachment,
       tag="attachments", summary="An attachment's record")
def get_attachment(ctx, attachment_id):
    return ctx.rpc("events", "get_attachment", attachment_id)


def _file(ctx, attachment_id, thumbnail):
    answer = _rpc(ctx, "read_attachment", attachment_id, thumbnail=thumbnail)
    inline = bool(answer.pop("inline", False))
    return downloads.response(answer, inline=inline,
                              headers={"Cache-Control": "private, no-cache"})


@route("GET", "/attachments/<int:attachment_id>/file", STAFF, produces=FILE_TYPES,
       tag="attachments",
       summary="The attachment's bytes, with the type its content is and its display name "
               "(Content-Disposition; photos inline, documents as a download)")
def read_attachment(ctx, attachment_id):
    return _file(ctx, attachment_id, thumbnail=False)


@route("GET", "/attachments/<int:attachment_id>/thumbnail", STAFF, produces=("image/jpeg",),
       tag="attachments", summary="A photo's thumbnail (JPEG, at most 320×320); 404 for "
                                  "documents")
def read_thumbnail(ctx, attachment_id):
    return _file(ctx, attachment_id, thumbnail=True)


@route("DELETE", "/attachments/<int:attachment_id>", STAFF, response=attachments.Attachment,
       tag="attachments",
       summary="Remove an attachment; its bytes stay while another attachment uses them")
def remove_attachment(ctx, attachment_id):
    return ctx.rpc("events", "remove_attachment", attachment_id, removed_by=ctx.actor)
