"""Opens certificates' public verify pages in headless Chromium at phone width (375 px)
and checks what each says. Run by tests/browser/test_verify_page.py in a child process
(the reason is in tests/browser/test_console.py's docstring). By hand:

    .venv/bin/python tests/browser/drive_verify.py --base http://127.0.0.1:8000 \
        --out /tmp/x --case '{"name": "valid", "path": "/verify/<number>?code=<code>",
                              "status": "valid", "texts": ["有效证明"]}'

With --axe, each page is then opened again and scanned with axe-core (drive.axe_scan,
which keeps the page's CSP on): no "serious" or "critical" violation.

Prints "STEP <name> ok" per page (and "STEP axe-<name> ok") and exits non-zero on the
first failure (its screenshot in --out)."""
import argparse
import json
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from drive import ARGS, CHROMIUM, PHONE, TIMEOUT, axe_scan


def check(page, base, case, out, errors):
    page.goto(base.rstrip("/") + case["path"])
    verdict = page.locator("#verdict")
    expect(verdict).to_be_visible()
    expect(verdict).to_have_attribute("data-status", case["status"])
    body = page.locator("main")
    for text in case["texts"]:
        expect(body).to_contain_text(text)
    for text in case.get("absent", []):
        expect(body).not_to_contain_text(text)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        raise AssertionError(f"{case['name']}: {overflow} px wider than the phone")
    if errors:
        raise AssertionError(f"{case['name']}: {errors}")
    page.screenshot(path=str(Path(out) / f"verify-{case['name']}.png"), full_page=True)
    print(f"STEP {case['name']} ok", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--case", action="append", default=[], type=json.loads)
    parser.add_argument("--axe", action="store_true")
    args = parser.parse_args(argv)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=ARGS, headless=True)
        context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True,
                                      timezone_id="Asia/Shanghai")
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error"
                and "Content Security Policy" in msg.text else None)
        try:
            for case in args.case:
                check(page, args.base, case, args.out, errors)
            if args.axe:
                scanning = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True)
                scanning.set_default_timeout(TIMEOUT)
                page = scanning.new_page()
                for case in args.case:
                    check(page, args.base, case, args.out, [])
                    axe_scan(page, case["name"])
                    print(f"STEP axe-{case['name']} ok", flush=True)
        except Exception:
            page.screenshot(path=str(Path(args.out) / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()


if __name__ == "__main__":
    sys.exit(main())
