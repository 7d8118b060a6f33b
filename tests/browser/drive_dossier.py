"""Drives the evaluation dossier (评估台账) in headless Chromium: staff ask for it on the
reports page, its state shows there until it is ready, and its PDF and ZIP download.
Run by tests/browser/test_dossier_console.py in a child process (see drive.py for why);
by hand, against any running gateway:

    .venv/bin/python -m tests.browser.drive_dossier --base http://127.0.0.1:8000 \
        --password ronghe-admin --out /tmp/x --shots /tmp/x/shots

Prints "STEP <name> ok ..." per step and a final "RESULT {...}" line; exits non-zero on
the first failure (with the page's screenshot in --out).
"""
import json
import sys
import zipfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from tests.browser.drive import (ARGS, DESKTOP, TIMEOUT, Journey, axe_scan, driver_arguments,
                                 login, save_download)


def build_dossier(j):
    page = j.page
    j.goto("/reports")
    form = "#dossier-form"
    expect(page.locator(form)).to_be_visible(timeout=TIMEOUT)
    page.select_option(f'{form} [name="year"]', "1")
    page.click(f'{form} button[type="submit"]')
    state = page.locator("#dossier-state")
    expect(state).to_contain_text("已生成", timeout=60_000)
    j.shot("dossier-ready")
    j.step("dossier_built", text=state.inner_text())


def download_files(j):
    pdf = save_download(j, lambda: j.page.click("#dossier-pdf"))
    assert pdf.read_bytes()[:5] == b"%PDF-", "the dossier's PDF"
    archive = save_download(j, lambda: j.page.click("#dossier-zip"))
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
    assert "评估台账.pdf" in names and any(n.endswith(".xlsx") for n in names), names
    j.result.update(pdf=pdf.name, zip=archive.name, zip_files=names)
    j.step("dossier_downloaded", pdf=pdf.name, zip=archive.name)


def state_kept_on_return(j):
    """Leaving the page and coming back shows the last dossier's state again."""
    j.goto("/events")
    j.goto("/reports")
    expect(j.page.locator("#dossier-state")).to_contain_text("已生成", timeout=TIMEOUT)
    axe_scan(j.page, "reports with the dossier")
    j.step("dossier_state_on_return")


def main(argv=None):
    args = driver_arguments(argv)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=ARGS, headless=True)
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", accept_downloads=True)
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()
        j = Journey(page, args.base, args.out, args.shots)
        try:
            login(j, args.user, args.password)
            build_dossier(j)
            download_files(j)
            state_kept_on_return(j)
            assert not j.errors, f"JavaScript errors: {j.errors}"
        except Exception:
            j.page.screenshot(path=str(Path(args.out) / "failure.png"), full_page=True)
            print(f"FAILED at {j.page.url}; JS errors: {j.errors}", flush=True)
            raise
        finally:
            browser.close()
    print("RESULT " + json.dumps(j.result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
