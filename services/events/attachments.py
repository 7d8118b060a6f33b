"""Evidence attachments (佐证材料): photos and files attached to a record of this service
(an event, a joint meeting; an expenditure once it lives here), for the year-end
evaluation's records.

- **What is taken** is decided by the bytes, never by the name or the declared type:
  JPEG, PNG and WebP photos that Pillow opens (HEIC is refused: Pillow here has no
  reader for it; a phone's browser sends its camera's photos as JPEG), PDF (``%PDF-``),
  and XLSX / DOCX (a zip holding the Office parts, no macros). Anything else is 415.
- **A photo is cleaned before it is kept**: turned upright by its EXIF orientation, then
  written again without any EXIF (GPS location, camera, times) or text chunks; a
  thumbnail (JPEG, at most THUMBNAIL_SIZE) is made beside it.
- **Stored by content**: the kept bytes are written once under their SHA-256 in the
  attachments volume (``ATTACHMENTS_DIR``): the same photo uploaded twice is one file
  and two rows. Bytes go when the last live row using them is removed.
- **The name is a display name**: a name with a folder in it (``/`` or ``\\``), control
  characters, or ``.``/``..`` is refused with 422 naming ``file``; it is never part of a
  path on disk.
- **Owners** are looked up in ``OWNERS``: ``owner_kind`` → a function answering the
  owner (its event id and time, for the facts) or raising NotFound. Adding a kind is one
  line there.
- **Facts**: ``attachment_added`` and ``attachment_removed`` (ids, kind, size, hash, the
  owner's time; never the file's name), so reports counts them and a rebuild keeps them.

The gateway calls ``inspect`` before it sends the bytes here (a bad file is refused
without crossing the bus), and the service calls it again.
"""
import base64
import binascii
import hashlib
import io
import os
import re
import tempfile
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import eventlet
from eventlet import tpool
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from common import times
from common.db import paginate
from common.errors import (NotFound, UnsupportedMediaType, ValidationFailed, file_too_large,
                           load_input, msg)
from common.schemas import Instant, PageQuery, QueryId, Strict

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_DIR = "var/attachments"
MAX_FILENAME = 200
THUMBNAIL_SIZE = (320, 320)
# A photo larger than this many pixels is refused (a decompression bomb is small on the
# wire and huge in memory); 60 Mpx is beyond any phone's camera.
MAX_PIXELS = 60_000_000
# An Office file is a zip: bound what it would unpack to and how many parts it has.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 5000
JPEG_QUALITY = 90
# One photo is decoded at a time per process: a 12 Mpx photo takes ~36 MB decoded, and a
# service runs in 256 MiB. The decoding runs in a native thread (Pillow releases the GIL),
# so the service keeps answering meanwhile.
_CLEANING = eventlet.semaphore.Semaphore(1)

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
               b"avif")


# -- what the bytes are ----------------------------------------------------------------

@dataclass
class Inspected:
    content_type: str
    kind: str  # image | document
    image_format: str | None = None  # Pillow's name, for images


# A refusal's reason is a message of the catalogue (common/messages.yaml): what the file
# is, in words the person who chose it understands; the accepted types are in the
# message itself.

def _refused(reason):
    return UnsupportedMediaType("file_type_not_accepted", {"file": [
        msg("file_type_refused", reason=reason)]}, reason=reason)


def _invalid(reason):
    return ValidationFailed("invalid_file", {"file": [reason]}, reason=reason)


def too_large(limit):
    return file_too_large(limit)


def display_name(filename):
    """The name people see, as given; 422 naming ``file`` when it is not a plain name."""
    name = unicodedata.normalize("NFC", filename or "").strip()
    if not name:
        raise _invalid(msg("file_has_no_name"))
    if "/" in name or "\\" in name:
        raise _invalid(msg("file_name_has_folders"))
    if name in (".", "..") or any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in name):
        raise _invalid(msg("file_name_not_a_name"))
    if len(name) > MAX_FILENAME:
        raise _invalid(msg("file_name_too_long", max=MAX_FILENAME))
    return name


def sniff(content):
    """The type the bytes are (magic numbers and structure), or 415."""
    head = content[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return Inspected("image/jpeg", "image", "JPEG")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Inspected("image/png", "image", "PNG")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Inspected("image/webp", "image", "WEBP")
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        raise _refused(msg("file_is_heic"))
    if head.startswith(b"%PDF-"):
        if b"%%EOF" not in content[-2048:]:
            raise _invalid(msg("pdf_cut_short"))
        return Inspected(PDF, "document")
    if head.startswith(b"PK\x03\x04"):
        return Inspected(_office_type(content), "document")
    if head.startswith(b"MZ"):
        raise _refused(msg("file_is_windows_program"))
    if head.startswith(b"\x7fELF"):
        raise _refused(msg("file_is_elf_program"))
    raise _refused(msg("file_type_unknown"))


def _office_type(content):
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES or \
                    sum(e.file_size for e in entries) > MAX_UNZIPPED_BYTES:
                raise _refused(msg("archive_unpacks_too_large"))
            names = {e.filename for e in entries}
            if "[Content_Types].xml" not in names:
                raise _refused(msg("zip_not_office"))
            types = archive.read("[Content_Types].xml")
    except zipfile.BadZipFile:
        raise _invalid(msg("document_zip_damaged")) from None
    if b"macroEnabled" in types or any(n.lower().endswith("vbaproject.bin") for n in names):
        raise _refused(msg("office_with_macros"))
    if "xl/workbook.xml" in names:
        return XLSX
    if "word/document.xml" in names:
        return DOCX
    raise _refused(msg("office_other_kind"))


def inspect(content, filename, max_bytes=DEFAULT_MAX_BYTES):
    """Check an upload (the name, the size, the bytes); answer what it is or raise a 4xx
    naming ``file``. Cheap enough for the gateway; the service runs it again and then
    ``clean``, which opens photos fully."""
    name = display_name(filename)
    if not content:
        raise _invalid(msg("file_empty"))
    if len(content) > max_bytes:
        raise too_large(max_bytes)
    return name, sniff(content)


# -- photos: upright, without EXIF, and a thumbnail --------------------------------------

def _open_image(content, expected_format):
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content), formats=[expected_format])
            if image.width * image.height > MAX_PIXELS:
                raise _invalid(msg("photo_too_many_pixels", max=MAX_PIXELS))
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _invalid(msg("photo_unreadable", error=type(exc).__name__)) from None
    return image


def clean(content, inspected):
    """What is kept: a photo upright and written again without its metadata (and its
    thumbnail, JPEG bytes), or a document's bytes as they came."""
    if inspected.kind != "image":
        return {"content": content, "thumbnail": None, "width": None, "height": None}
    from PIL import ImageOps

    original = _open_image(content, inspected.image_format)
    # The colour profile is kept (a phone's wide-gamut photo keeps its colours); nothing
    # else of the original's metadata (EXIF, XMP, text chunks) is written again.
    icc = original.info.get("icc_profile")
    image = original
    ImageOps.exif_transpose(image, in_place=True)  # upright, without a second copy
    image.info = {}
    out = io.BytesIO()
    fmt = inspected.image_format
    keep = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, **keep)
    elif fmt == "PNG":
        image.save(out, "PNG", optimize=False, **keep)
    else:
        image.save(out, "WEBP", quality=JPEG_QUALITY, **keep)
    return {"content": out.getvalue(), "thumbnail": thumbnail(image),
            "width": image.width, "height": image.height}


def thumbnail(image):
    from PIL import Image, ImageOps

    small = ImageOps.contain(image, THUMBNAIL_SIZE) \
        if image.width > THUMBNAIL_SIZE[0] or image.height > THUMBNAIL_SIZE[1] else image
    if small.mode in ("RGBA", "LA", "P"):
        small = small.convert("RGBA")
        flat = Image.new("RGB", small.size, (255, 255, 255))
        flat.paste(small, mask=small.getchannel("A"))
        small = flat
    elif small.mode != "RGB":
        small = small.convert("RGB")
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getvalue()


# -- the store: files by content hash ----------------------------------------------------

_HEX64 = re.compile(r"[0-9a-f]{64}")


class FileStore:
    """``<root>/<aa>/<sha256>`` and ``<root>/thumbnails/<aa>/<sha256>.jpg``; written
    through a temporary file and renamed, so a reader never sees half a file."""

    def __init__(self, root):
        self.root = Path(root)

    def path(self, sha256, thumbnail=False):
        if not _HEX64.fullmatch(sha256 or ""):
            raise NotFound("stored_file_not_found", {"sha256": sha256})
        if thumbnail:
            return self.root / "thumbnails" / sha256[:2] / f"{sha256}.jpg"
        return self.root / sha256[:2] / sha256

    def _write(self, target, content):
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() and target.stat().st_size == len(content):
            return
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put(self, sha256, content, thumbnail=None):
        self._write(self.path(sha256), content)
        if thumbnail is not None:
            self._write(self.path(sha256, thumbnail=True), thumbnail)

    def read(self, sha256, thumbnail=False):
        try:
            return self.path(sha256, thumbnail).read_bytes()
        except FileNotFoundError:
            raise NotFound("stored_file_missing", {"sha256": sha256}) from None

    def exists(self, sha256):
        return self.path(sha256).is_file()

    def delete(self, sha256):
        for path in (self.path(sha256), self.path(sha256, thumbnail=True)):
            path.unlink(missing_ok=True)


def file_store(config):
    return FileStore(config.get("ATTACHMENTS_DIR") or DEFAULT_DIR)


def max_bytes(config):
    return int(config.get("ATTACHMENT_MAX_BYTES") or DEFAULT_MAX_BYTES)


# -- owners: what an attachment may belong to --------------------------------------------

@dataclass
class Owner:
    kind: str
    id: int
    event_id: int | None  # the event (or meeting) it belongs to, for per-event counts
    at: datetime  # when the owner's service happened: the month reports counts it in


def _event_owner(kind, meeting):
    def look_up(session, owner_id):
        from services.events.models import Event

        event = session.get(Event, owner_id)
        if event is None or (event.kind == "joint_meeting") != meeting:
            raise NotFound("row_not_found", {"owner_id": owner_id}, what=kind, value=owner_id)
        return Owner(kind, event.id, event.id, times.from_storage(event.start))
    return look_up


def _expenditure_owner(session, owner_id):
    """A receipt or invoice of an expenditure: counted in the month it was spent, and
    under the activity it paid for when it names one."""
    from services.events.models import Expenditure

    row = session.get(Expenditure, owner_id)
    if row is None:
        raise NotFound("row_not_found", {"owner_id": owner_id}, what="expenditure",
                       value=owner_id)
    return Owner("expenditure", row.id, row.event_id, times.day_start(row.spent_on))


# owner_kind → look_up(session, owner_id) -> Owner, or NotFound. A joint meeting is an
# event of kind joint_meeting; "event" is every other kind.
OWNERS = {
    "event": _event_owner("event", meeting=False),
    "meeting": _event_owner("meeting", meeting=True),
    "expenditure": _expenditure_owner,
}


def _owner_kinds():
    """The reason for a kind that is not one: the kinds with their labels (活动, 联席会, 支出)."""
    return msg("must_be_one_of_codes",
               codes=[msg("code_with_label", code=code) for code in sorted(OWNERS)])


def owner_of(session, kind, owner_id):
    look_up = OWNERS.get(kind)
    if look_up is None:
        raise ValidationFailed("invalid_fields", {"owner_kind": [_owner_kinds()]},
                               fields="owner_kind")
    return look_up(session, owner_id)


# -- schemas -----------------------------------------------------------------------------

def _owner_kind(**kw):
    return fields.String(
        validate=validate.OneOf(sorted(OWNERS), error=_owner_kinds()),
        metadata={"description": "what the attachment belongs to: "
                                 + ", ".join(sorted(OWNERS))}, **kw)


class AttachmentUpload(Strict):
    """The form of ``POST /attachments`` (multipart/form-data) besides ``file``."""
    owner_kind = _owner_kind(required=True)
    owner_id = QueryId(required=True)


class AttachmentAdd(AttachmentUpload):
    """What the gateway sends the service with the bytes: the form and the file's name."""
    filename = fields.String(required=True, validate=validate.Length(0, 1000))


class AttachmentQuery(PageQuery):
    owner_kind = _owner_kind(required=True)
    owner_id = QueryId(required=True)


class Attachment(Schema):
    id = fields.Integer()
    owner_kind = fields.String()
    owner_id = fields.Integer()
    filename = fields.String(metadata={"description": "display name, as uploaded"})
    content_type = fields.String(metadata={"description": "the type the bytes are"})
    kind = fields.String(metadata={"description": "image | document"})
    size = fields.Integer(metadata={"description": "bytes kept (a photo after cleaning)"})
    sha256 = fields.String()
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    has_thumbnail = fields.Boolean()
    created_by = fields.String()
    created_at = Instant()
    removed_at = Instant(allow_none=True)
    file_url = fields.Method("_file_url")
    thumbnail_url = fields.Method("_thumbnail_url", allow_none=True)

    def _file_url(self, row):
        return f"/api/v1/attachments/{row.id}/file"

    def _thumbnail_url(self, row):
        return f"/api/v1/attachments/{row.id}/thumbnail" if row.has_thumbnail else None


ANSWER = Attachment()
QUERY = AttachmentQuery()


# -- domain ------------------------------------------------------------------------------

def sha256_of(content):
    return hashlib.sha256(content).hexdigest()


def prepare(content, filename, limit):
    """Everything that can fail about the file, before anything is written: the checks,
    then the cleaning. Answers the display name, its type and what to keep."""
    name, inspected = inspect(content, filename, limit)
    if inspected.kind == "image":
        with _CLEANING:
            kept = tpool.execute(clean, content, inspected)
    else:
        kept = clean(content, inspected)
    kept.update(filename=name, inspected=inspected, sha256=sha256_of(kept["content"]))
    return kept


def _facts_payload(row, owner):
    return {"attachment_id": row.id, "owner_kind": row.owner_kind, "owner_id": row.owner_id,
            "event_id": owner.event_id, "kind": row.kind, "content_type": row.content_type,
            "size": row.size, "sha256": row.sha256, "owner_time": owner.at}


def decode(content_base64, limit):
    """The bytes sent over RPC (base64 in nameko's JSON), bounded before decoding."""
    if not isinstance(content_base64, str) or len(content_base64) > (limit + 2) // 3 * 4 + 4:
        raise too_large(limit)
    try:
        return base64.b64decode(content_base64, validate=True)
    except (ValueError, binascii.Error):
        raise _invalid(msg("file_not_base64")) from None


def add_attachment(store, files, data, content_base64, limit, created_by):
    """Check and clean the file, keep its bytes, then write the row and its fact in one
    unit of work. A refused file writes nothing; bytes written for a row that then
    failed are removed again unless a live row uses them."""
    data = load_input(AttachmentAdd, data)
    content = decode(content_base64, limit)
    with store.session() as session:  # an unknown owner is 404 before any work
        owner_of(session, data["owner_kind"], data["owner_id"])
    kept = prepare(content, data["filename"], limit)
    files.put(kept["sha256"], kept["content"], kept["thumbnail"])
    try:
        with store.unit_of_work() as uow:
            return record(uow, data, kept, created_by)
    except BaseException:
        release_bytes(store, files, kept["sha256"])
        raise


def release_bytes(store, files, sha256):
    """Remove the stored bytes (and thumbnail) of ``sha256`` if no live row uses them."""
    with store.session() as session:
        if live_uses(session, sha256):
            return False
    files.delete(sha256)
    return True


def record(uow, data, kept, created_by):
    owner = owner_of(uow.session, data["owner_kind"], data["owner_id"])
    from services.events.models import Attachment as Row

    row = Row(owner_kind=owner.kind, owner_id=owner.id, sha256=kept["sha256"],
              content_type=kept["inspected"].content_type, kind=kept["inspected"].kind,
              size=len(kept["content"]), filename=kept["filename"], width=kept["width"],
              height=kept["height"], has_thumbnail=kept["thumbnail"] is not None,
              created_by=created_by or "unknown", created_at=times.now())
    uow.session.add(row)
    uow.session.flush()
    uow.emit("attachment_added", _facts_payload(row, owner))
    return ANSWER.dump(row)


def live_uses(session, sha256):
    from services.events.models import Attachment as Row

    return session.execute(select(func.count()).select_from(Row).where(
        Row.sha256 == sha256, Row.removed_at.is_(None))).scalar_one()


def _row(session, attachment_id, lock=False):
    from services.events.models import Attachment as Row

    try:
        attachment_id = int(attachment_id)
    except (TypeError, ValueError):
        attachment_id = 0
    statement = select(Row).where(Row.id == attachment_id, Row.removed_at.is_(None))
    if lock:
        statement = statement.with_for_update()
    row = session.execute(statement).scalar_one_or_none()
    if row is None:
        raise NotFound("attachment_not_found", {"attachment_id": attachment_id},
                       attachment_id=attachment_id)
    return row


def get_attachment(session, attachment_id):
    return ANSWER.dump(_row(session, attachment_id))


def list_attachments(session, query=None):
    from services.events.models import Attachment as Row

    query = load_input(QUERY, query)
    owner_of(session, query["owner_kind"], query["owner_id"])
    statement = select(Row).where(Row.owner_kind == query["owner_kind"],
                                  Row.owner_id == query["owner_id"],
                                  Row.removed_at.is_(None)).order_by(Row.id)
    return paginate(session, statement, query["page"], query["per_page"], ANSWER.dump)


def remove_attachment(uow, attachment_id, removed_by):
    row = _row(uow.session, attachment_id, lock=True)
    owner = owner_of(uow.session, row.owner_kind, row.owner_id)
    row.removed_at = times.now()
    row.removed_by = removed_by or "unknown"
    uow.session.flush()
    payload = _facts_payload(row, owner)
    payload.pop("content_type"), payload.pop("size"), payload.pop("sha256")
    uow.emit("attachment_removed", payload)
    return ANSWER.dump(row)


def file_answer(session, files, attachment_id, thumbnail=False):
    """The bytes of an attachment (or its thumbnail) as ``common.downloads.answer``."""
    from common import downloads

    row = _row(session, attachment_id)
    if thumbnail and not row.has_thumbnail:
        raise NotFound("attachment_no_thumbnail", {"attachment_id": row.id},
                       attachment_id=row.id)
    content = files.read(row.sha256, thumbnail=thumbnail)
    ascii_name = _ascii_name(row, thumbnail)
    title = f"缩略图-{row.filename}" if thumbnail else row.filename
    return downloads.answer(content, ascii_name, "image/jpeg" if thumbnail else
                            row.content_type, title=title,
                            inline=row.kind == "image" or thumbnail)


_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", PDF: "pdf",
               XLSX: "xlsx", DOCX: "docx"}


def _ascii_name(row, thumbnail):
    """The file's ASCII name for old browsers: its id and the extension of its type."""
    if thumbnail:
        return f"attachment-{row.id}-thumbnail.jpg"
    return f"attachment-{row.id}.{_EXTENSIONS.get(row.content_type, 'bin')}"
