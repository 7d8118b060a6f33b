"""A certificate's public verify page in headless Chromium at 375 px, through the gateway:
valid, superseded (with the hours counted now and the replacement's number) and unknown."""
import json
from pathlib import Path

import pytest

from tests.browser.test_console import CHROMIUM, _missing, run_driver
from tests.browser.test_console_partners import AXE
from tests.fixtures import ApiClient

DRIVER = Path(__file__).with_name("drive_verify.py")

pytestmark = [pytest.mark.skipif(_missing() is not None, reason=str(_missing())),
              pytest.mark.slow]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("accessibility", [
    False, pytest.param(True, marks=pytest.mark.skipif(
        not AXE.exists(), reason=f"{AXE} is missing: npm install --prefix tests/browser"))])
def test_verify_page_at_phone_width(stack, tmp_path, accessibility):
    stack.start("volunteers", "gateway")
    admin = stack.client()
    admin.post("/users", json={"username": "sw_review", "password": "password-123",
                               "role": "social_worker"})
    reviewer = ApiClient(stack.url("gateway")).login("sw_review", "password-123")
    vid = admin.post("/volunteers", json={"name": "林晓燕", "phone": "13812345678"}).json()["id"]
    entry = admin.post("/hours", json={"volunteer_id": vid, "minutes": 240,
                                       "service_date": "2026-11-20",
                                       "reason": "纸质签到表补录"}).json()
    assert reviewer.post(f"/hours/{entry['id']}/approve", json={}).status_code == 200
    old = admin.post(f"/volunteers/{vid}/certificates",
                     json={"period_from": "2026-11-01", "period_to": "2026-11-30"}).json()
    fix = admin.post("/hours", json={"volunteer_id": vid, "minutes": 210,
                                     "service_date": "2026-11-20", "reason": "签退时间录错",
                                     "corrects_entry_id": entry["id"]}).json()
    assert reviewer.post(f"/hours/{fix['id']}/approve", json={}).status_code == 200
    new = admin.post(f"/certificates/{old['number']}/reissue", json={}).json()

    def page(cert, code=None):
        return f"/verify/{cert['number']}?code={code or cert['verification_code']}"

    cases = [
        {"name": "valid", "path": page(new), "status": "valid",
         "texts": ["有效证明", "林**", "3.5 小时", "2026-11-01 至 2026-11-30", "和通社区",
                   new["number"], f"替代已作废的证明 {old['number']}"],
         "absent": ["林晓燕"]},
        {"name": "superseded", "path": page(old), "status": "superseded",
         "texts": ["已作废（已更正）", "3.5 小时", new["number"], "4.0 小时", "林**"],
         "absent": ["林晓燕"]},
        {"name": "unknown", "path": page(old, "WRONG234"), "status": "unknown",
         "texts": ["未找到该证明"], "absent": ["林"]},
    ]
    args = ["--base", stack.url("gateway"), "--out", str(tmp_path), "--chromium", CHROMIUM]
    for case in cases:
        args += ["--case", json.dumps(case, ensure_ascii=False)]
    if accessibility:
        args.append("--axe")
    code, output = run_driver(args, tmp_path, timeout=240, driver=DRIVER)
    assert code == 0, f"verify pages failed (rc={code}); see {tmp_path}/failure.png\n{output}"
    steps = ["valid", "superseded", "unknown"]
    if accessibility:
        steps += [step for name in steps for step in (name, f"axe-{name}")]
    assert [line.split()[1] for line in output.splitlines() if line.startswith("STEP ")] == \
        steps, output
