"""The certificate as a volunteer hands it over: a PDF whose CJK font is embedded, with the
issuer's seal and a QR code to the public verify page, and that page through the gateway
(valid, superseded after a correction and its reissue, unknown). Nothing on the paper
names an API path."""
import io
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image
from pypdf import PdfReader

from common import vocab
from common.errors import ServiceUnavailable
from services.volunteers import certificate_pdf
from tests.fixtures import ApiClient

SEAL = vocab.load_community("hetong").seal_file
PUBLIC_BASE = "https://ronghe.example.cn/"
DOC = {"number": "ZYFW-HETONG-2026-000007", "name": "林晓燕", "volunteer_number": "V000003",
       "id_number_masked": "3502**********123X", "period_from": "2026-11-01",
       "period_to": "2026-11-30", "approved_minutes": 150, "services": [
           {"date": "2026-11-28", "description": "敬老院探访", "minutes": 150,
            "recorded_by": "sw1", "decided_by": "sw2"}],
       "issuer": "和通社区", "issued_on": "2026-12-01", "verification_code": "K7QW2XPM",
       "status": "valid"}


def _pdf(doc=DOC, **kwargs):
    url = certificate_pdf.verify_url(PUBLIC_BASE, doc["number"], doc["verification_code"])
    return url, certificate_pdf.render(doc, url, **({"seal_file": SEAL} | kwargs))


def pdf_fonts(pdf_bytes, tmp_path):
    """``pdffonts``' table: (name, embedded) of every font the PDF uses."""
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts is missing: install the Debian package poppler-utils")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf_bytes)
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    # name type encoding emb sub uni object ID: the name has no spaces, the type may.
    return [(line.split()[0], line.split()[-5]) for line in lines]


def qr_codes(pdf_bytes, tmp_path):
    """What every QR code among the PDF's images says (zbarimg, Debian zbar-tools)."""
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg is missing: install the Debian package zbar-tools")
    found = []
    for n, image in enumerate(PdfReader(io.BytesIO(pdf_bytes)).pages[0].images):
        path = tmp_path / f"image-{n}.png"
        image.image.convert("RGB").save(path)
        run = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)],
                             capture_output=True, text=True)
        found += [line for line in run.stdout.splitlines() if line]
    return found


def test_the_pdf_embeds_its_font_and_prints_no_api_path(tmp_path):
    url, pdf = _pdf()
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for expected in ("志愿服务证明", "林晓燕", "2.5 小时", "2026-11-01 至 2026-11-30",
                     "出具单位：和通社区", DOC["number"], "K7QW2XPM", "扫码查验"):
        assert expected in text, expected
    assert "/api/" not in text and "GET " not in text
    fonts = pdf_fonts(pdf, tmp_path)
    assert fonts and all(embedded == "yes" for _, embedded in fonts), fonts
    assert any("WenQuanYi" in name for name, _ in fonts), fonts


def test_the_qr_code_leads_to_the_public_verify_page(tmp_path):
    url, pdf = _pdf()
    assert qr_codes(pdf, tmp_path) == [
        "https://ronghe.example.cn/verify/ZYFW-HETONG-2026-000007?code=K7QW2XPM"]
    assert url == qr_codes(pdf, tmp_path)[0]


def test_the_seal_of_the_communitys_configuration_is_drawn():
    assert SEAL is not None and SEAL.name == "hetong-seal-sample.png" and SEAL.is_file()
    with_seal = PdfReader(io.BytesIO(_pdf()[1])).pages[0].images
    without = PdfReader(io.BytesIO(_pdf(seal_file=None)[1])).pages[0].images
    assert len(with_seal) == len(without) + 1  # the QR code and the seal
    seal_size = Image.open(SEAL).size
    assert seal_size in [image.image.size for image in with_seal]
    assert seal_size not in [image.image.size for image in without]


def test_without_the_font_or_the_seal_it_is_503_saying_what_to_install(tmp_path):
    with pytest.raises(ServiceUnavailable) as missing_font:
        _pdf(font_file=str(tmp_path / "no-such-font.ttc"))
    assert "fonts-wqy-microhei" in str(missing_font.value)
    with pytest.raises(ServiceUnavailable) as missing_seal:
        _pdf(seal_file=tmp_path / "seal.png")
    assert "seal" in str(missing_seal.value) and "seal.png" in str(missing_seal.value)


def test_superseded_certificate_says_so_on_the_paper():
    doc = DOC | {"status": "superseded", "superseded_at": "2026-12-02T02:00:00Z",
                 "current_minutes": 120, "replaced_by": "ZYFW-HETONG-2026-000008"}
    text = PdfReader(io.BytesIO(_pdf(doc)[1])).pages[0].extract_text()
    assert "已作废" in text and "2.0 小时" in text and "ZYFW-HETONG-2026-000008" in text


# -- through the gateway ---------------------------------------------------------------

def _certificate(stack):
    """A volunteer with 4 approved hours in November 2026 and their certificate."""
    admin = stack.client()
    r = admin.post("/users", json={"username": "sw_review", "password": "password-123",
                                   "role": "social_worker"})
    assert r.status_code == 201, r.text
    reviewer = ApiClient(stack.url("gateway")).login("sw_review", "password-123")
    vid = admin.post("/volunteers", json={"name": "林晓燕", "phone": "13812345678"}).json()["id"]
    entry = admin.post("/hours", json={"volunteer_id": vid, "minutes": 240,
                                       "service_date": "2026-11-20",
                                       "reason": "纸质签到表补录"}).json()
    assert reviewer.post(f"/hours/{entry['id']}/approve", json={}).status_code == 200
    cert = admin.post(f"/volunteers/{vid}/certificates",
                      json={"period_from": "2026-11-01", "period_to": "2026-11-30"}).json()
    return admin, reviewer, vid, entry, cert


def test_without_the_font_the_pdf_is_503_naming_the_package(stack, tmp_path):
    stack.start("volunteers", REPORT_FONT_FILE=str(tmp_path / "no-such-font.ttc"))
    stack.start("gateway")
    admin, _, _, _, cert = _certificate(stack)
    pdf = admin.get(f"/certificates/{cert['number']}/pdf")
    assert pdf.status_code == 503 and "fonts-wqy-microhei" in pdf.json()["message"]


def _verify_page(stack, url):
    """The page the QR code leads to, on the test's gateway, and what its script asks."""
    parts = urlsplit(url)
    number = parts.path.rsplit("/", 1)[1]
    page = requests.get(f"{stack.url('gateway')}{parts.path}?{parts.query}", timeout=10)
    answer = requests.get(f"{stack.url('gateway')}/api/v1/certificates/{number}/verify?"
                          f"{parts.query}", timeout=10)
    return page, answer


def test_the_qr_code_of_the_issued_pdf_leads_to_a_page_showing_valid_then_superseded(
        stack, tmp_path):
    stack.config_for("gateway")
    stack.start("volunteers", PUBLIC_BASE_URL=stack.url("gateway"))
    stack.start("gateway")
    admin, reviewer, vid, entry, cert = _certificate(stack)

    pdf = admin.get(f"/certificates/{cert['number']}/pdf")
    assert pdf.status_code == 200, pdf.text
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "4.0 小时" in text and "2026-11-01 至 2026-11-30" in text and "和通社区" in text
    assert "/api/" not in text
    [url] = qr_codes(pdf.content, tmp_path)
    assert len(PdfReader(io.BytesIO(pdf.content)).pages[0].images) == 2  # and the seal
    assert url == (f"{stack.url('gateway')}/verify/{cert['number']}"
                   f"?code={cert['verification_code']}")

    page, answer = _verify_page(stack, url)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert 'lang="zh-CN"' in page.text and 'src="/verify/assets/verify.js"' in page.text
    assert "<style" not in page.text and "<script>" not in page.text  # the CSP allows none
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    for asset in ("verify.js", "verify.css"):
        assert requests.get(f"{stack.url('gateway')}/verify/assets/{asset}",
                            timeout=10).status_code == 200
    assert answer.status_code == 200
    assert {k: answer.json()[k] for k in ("valid", "status", "name_masked", "approved_hours",
                                          "period_from", "period_to", "issuer")} == {
        "valid": True, "status": "valid", "name_masked": "林**", "approved_hours": 4.0,
        "period_from": "2026-11-01", "period_to": "2026-11-30", "issuer": "和通社区"}
    assert "林晓燕" not in answer.text and "13812345678" not in answer.text

    # A correction approved: the same QR code now says superseded, with the figure now;
    # after the reissue, the replacement's number.
    fix = admin.post("/hours", json={"volunteer_id": vid, "minutes": 210,
                                     "service_date": "2026-11-20", "reason": "签退时间录错",
                                     "corrects_entry_id": entry["id"]}).json()
    assert reviewer.post(f"/hours/{fix['id']}/approve", json={}).status_code == 200
    _, answer = _verify_page(stack, url)
    assert {k: answer.json()[k] for k in ("valid", "status", "current_hours",
                                          "replaced_by")} == {
        "valid": False, "status": "superseded", "current_hours": 3.5, "replaced_by": None}
    new = admin.post(f"/certificates/{cert['number']}/reissue", json={}).json()
    _, answer = _verify_page(stack, url)
    assert (answer.json()["status"], answer.json()["replaced_by"]) == ("superseded",
                                                                       new["number"])
    [new_url] = qr_codes(admin.get(f"/certificates/{new['number']}/pdf").content, tmp_path)
    _, fresh = _verify_page(stack, new_url)
    assert (fresh.json()["status"], fresh.json()["approved_hours"],
            fresh.json()["replaces"]) == ("valid", 3.5, cert["number"])

    # Unknown: a number that does not exist, or an existing one with a wrong code, is the
    # same 404 (numbers are sequential: the code is what makes a certificate findable).
    for number, code in (("ZYFW-HETONG-2026-999999", cert["verification_code"]),
                         (cert["number"], "WRONG234")):
        page, answer = _verify_page(stack, f"{stack.url('gateway')}/verify/{number}"
                                           f"?code={code}")
        assert page.status_code == 200  # the page, which says what the API's 404 means
        assert answer.status_code == 404 and answer.json()["error"] == "NOT_FOUND"
        assert "林" not in answer.text
