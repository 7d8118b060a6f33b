"""What an attachment's bytes are, decided by the bytes alone, and what is kept of a photo;
the records and their facts on the real database (no broker)."""
import base64
import io
import zipfile

import pytest
from PIL import Image, PngImagePlugin

from common.errors import NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from services.events import attachments, domain
from services.events.attachments import FileStore, clean, display_name, inspect, sniff


def image_bytes(fmt, size=(50, 30), mode="RGB", **save):
    out = io.BytesIO()
    Image.new(mode, size, "red" if mode == "RGB" else None).save(out, fmt, **save)
    return out.getvalue()


def zipped(parts):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize("name", ["a/b.jpg", "..\\b.jpg", "/etc/passwd", "..", ".",
                                  "a\x00.jpg", "a\nb.jpg", "", "   ", "x" * 201])
def test_a_name_that_is_not_a_plain_name_is_refused(name):
    with pytest.raises(ValidationFailed) as refused:
        display_name(name)
    said = refused.value.to_dict("zh")
    assert said["message"] == "文件无效：" + said["details"]["file"][0]
    assert said["details"]["file"][0].startswith(("文件名", "文件没有名称"))


def test_a_plain_name_is_kept_as_shown():
    assert display_name(" 活动照片 (1).JPG ") == "活动照片 (1).JPG"


@pytest.mark.parametrize("content, expected", [
    (image_bytes("JPEG"), "image/jpeg"),
    (image_bytes("PNG"), "image/png"),
    (image_bytes("WEBP"), "image/webp"),
    (b"%PDF-1.7\n...\n%%EOF\n", attachments.PDF),
    (zipped({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<w/>"}), attachments.XLSX),
    (zipped({"[Content_Types].xml": "<Types/>", "word/document.xml": "<d/>"}), attachments.DOCX),
])
def test_accepted_types_are_known_by_their_bytes(content, expected):
    assert sniff(content).content_type == expected


ONLY = "仅限 JPG、PNG、WebP 照片，PDF，Excel（xlsx）或 Word（docx）文件"


@pytest.mark.parametrize("content, reason", [
    (b"MZ" + b"\x00" * 100, "这是一个程序（Windows 可执行文件）"),
    (b"\x7fELF" + b"\x00" * 100, "这是一个程序（ELF 可执行文件）"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "无法读取 HEIC/HEIF 格式的照片"),
    (b"GIF89a" + b"\x00" * 20, "文件内容不属于以下任何一种"),
    (b"<html><script>alert(1)</script>", "文件内容不属于以下任何一种"),
    (zipped({"a.txt": "x"}), "这是 zip 压缩包，不是 Office 文档"),
    (zipped({"[Content_Types].xml": "<Types/>", "ppt/presentation.xml": "<p/>"}),
     "这是 Excel（xlsx）、Word（docx）以外的 Office 文档"),
    (zipped({"[Content_Types].xml": "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
             "xl/workbook.xml": "<w/>"}), "不接受含宏的 Office 文档"),
    (zipped({"[Content_Types].xml": "<Types/>", "word/document.xml": "<d/>",
             "word/vbaProject.bin": "x"}), "不接受含宏的 Office 文档"),
])
def test_other_bytes_are_415_whatever_their_name(content, reason):
    with pytest.raises(UnsupportedMediaType) as refused:
        inspect(content, "photo.jpg")
    said = refused.value.to_dict("zh")
    assert said["message"].startswith(f"文件类型不支持：{reason}") and ONLY in said["message"]
    assert said["details"]["file"][0].startswith(reason)


def test_a_refused_type_in_english():
    with pytest.raises(UnsupportedMediaType) as refused:
        inspect(b"MZ" + b"\x00" * 100, "photo.jpg")
    assert refused.value.to_dict("en")["message"] == (
        "file type not accepted: a program (Windows executable); accepted: JPEG, PNG or WebP "
        "photos, PDF, XLSX or DOCX")


def test_empty_cut_and_oversized_files_are_refused():
    def refusal(content, name, **kwargs):
        with pytest.raises((ValidationFailed, PayloadTooLarge)) as refused:
            inspect(content, name, **kwargs)
        return refused.value.to_dict("zh")

    assert refusal(b"", "a.pdf")["details"] == {"file": ["文件是空的（0 字节）"]}
    assert refusal(b"%PDF-1.4\n1 0 obj", "a.pdf")["message"] == \
        "文件无效：PDF 文件不完整（结尾缺少 %%EOF），请重新导出后上传"
    assert refusal(b"PK\x03\x04" + b"\x00" * 50, "a.xlsx")["details"] == {
        "file": ["文档已损坏（zip 结构有误），请重新导出后上传"]}
    too_big = refusal(b"%PDF-" + b"\x00" * 100, "a.pdf", max_bytes=50)
    assert too_big == {"error": "PAYLOAD_TOO_LARGE", "message": "文件太大：不能超过 50 B（50 字节）",
                       "details": {"file": ["最多 50 字节"]}}
    assert attachments.too_large(20 * 1024 * 1024).to_dict("zh")["message"] == \
        "文件太大：不能超过 20 MB（20971520 字节）"
    assert attachments.too_large(1536).to_dict("en")["message"] == \
        "file larger than 1.5 KB (1536 bytes)"


def test_a_photo_that_unpacks_to_too_many_pixels_is_refused(monkeypatch):
    monkeypatch.setattr(attachments, "MAX_PIXELS", 1000)
    content = image_bytes("PNG", size=(100, 100))
    with pytest.raises(ValidationFailed) as refused:
        clean(content, sniff(content))
    assert refused.value.to_dict("zh")["details"] == {"file": ["照片像素过多（超过 1000 像素）"]}


def test_a_png_loses_its_text_and_exif_chunks():
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "24.47N 118.08E")
    exif = Image.Exif()
    exif[0x0110] = "PhoneCam"
    content = image_bytes("PNG", pnginfo=info, exif=exif)
    assert b"Location" in content
    kept = clean(content, sniff(content))
    assert b"Location" not in kept["content"] and b"eXIf" not in kept["content"]
    assert Image.open(io.BytesIO(kept["thumbnail"])).format == "JPEG"


def test_cleaning_the_same_photo_twice_gives_the_same_bytes():
    content = image_bytes("JPEG", size=(640, 480))
    first, second = (clean(content, sniff(content)) for _ in range(2))
    assert first["content"] == second["content"] and first["thumbnail"] == second["thumbnail"]
    assert max(Image.open(io.BytesIO(first["thumbnail"])).size) == 320


def test_the_store_names_files_by_hash_only(tmp_path):
    files = FileStore(tmp_path)
    with pytest.raises(NotFound):
        files.path("../../etc/passwd")
    files.put("ab" * 32, b"x", b"t")
    assert (tmp_path / "ab" / ("ab" * 32)).read_bytes() == b"x"
    assert files.read("ab" * 32, thumbnail=True) == b"t"
    files.delete("ab" * 32)
    with pytest.raises(NotFound):
        files.read("ab" * 32)


def _event(store):
    with store.unit_of_work() as uow:
        return domain.create_event(uow, domain.validate_new_event({
            "title": "绘本共读", "plan": "service", "kind": "group",
            "target_groups": ["children"], "start": "2026-12-12T09:00",
            "end": "2026-12-12T11:00"}), "sw1")["id"]


def test_a_row_that_fails_leaves_no_bytes_behind(store, tmp_path, monkeypatch):
    files = FileStore(tmp_path / "attachments")
    eid = _event(store)
    content = base64.b64encode(image_bytes("JPEG")).decode()

    def broken(uow, data, kept, created_by):
        raise RuntimeError("database went away")

    monkeypatch.setattr(attachments, "record", broken)
    with pytest.raises(RuntimeError):
        attachments.add_attachment(store, files, {"owner_kind": "event", "owner_id": eid,
                                                  "filename": "a.jpg"}, content, 10**6, "sw1")
    assert [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()] == []


def test_added_and_removed_facts_carry_the_event_and_its_month(store, tmp_path):
    files = FileStore(tmp_path / "attachments")
    eid = _event(store)
    content = base64.b64encode(image_bytes("JPEG")).decode()
    added = attachments.add_attachment(store, files, {"owner_kind": "event", "owner_id": eid,
                                                      "filename": "合影.jpg"},
                                       content, 10**6, "sw1")
    with store.unit_of_work() as uow:
        attachments.remove_attachment(uow, added["id"], "sw2")
    facts = [e for e in store.events() if e["event_type"].startswith("attachment_")]
    assert [f["event_type"] for f in facts] == ["attachment_added", "attachment_removed"]
    assert facts[0]["payload"]["event_id"] == eid
    assert facts[0]["payload"]["owner_time"] == "2026-12-12T01:00:00Z"
    assert "合影" not in store.raw_outbox()


XMP_WITH_LOCATION = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="24,28.2N" '
    'exif:GPSLongitude="118,5.5E"/></rdf:RDF></x:xmpmeta>')


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_location_in_xmp_goes_too_and_the_colour_profile_stays(fmt):
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    extra = {"xmp": XMP_WITH_LOCATION.encode()}
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", XMP_WITH_LOCATION)
        extra = {"pnginfo": info}
    content = image_bytes(fmt, icc_profile=icc, **extra)
    assert b"GPSLatitude" in content
    kept = clean(content, sniff(content))["content"]
    assert b"GPSLatitude" not in kept
    assert Image.open(io.BytesIO(kept)).info.get("icc_profile") == icc
