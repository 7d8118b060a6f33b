"""Each process starts with only the libraries it uses on every request: the renderers
(reportlab for PDF, openpyxl for XLSX, Pillow for images, segno for QR codes) are
imported by the code that renders, when it first does, so a process that never prints
does not carry them in memory. Each check runs in a fresh interpreter, as a process
starts (`python -m common.cli serve <process>` imports the module below)."""
import json
import subprocess
import sys

import pytest

from common.cli import SERVICE_CLASSES
from common.config import ROOT

RENDERERS = ("reportlab", "openpyxl", "PIL", "segno")


def imported_at_start(target):
    """The top-level packages among RENDERERS that importing ``target``'s module loads
    (and the serve command's own imports: eventlet patched first, then the service)."""
    module = target.split(":", 1)[0]
    script = (
        "import eventlet; eventlet.monkey_patch()\n"
        "import importlib, json, sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "import common.cli\n"
        f"importlib.import_module({module!r})\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}}"
        f" & set({list(RENDERERS)!r}))))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("process", sorted(SERVICE_CLASSES))
def test_a_process_starts_without_the_renderers(process):
    assert imported_at_start(SERVICE_CLASSES[process]) == []


def test_rendering_loads_the_renderer_it_needs():
    """The same imports done lazily still render: a QR code in the gateway's module."""
    script = ("import sys\n"
              "from gateway import qr\n"
              "assert 'segno' not in sys.modules\n"
              "png = qr.image('https://example.org/#/events/1')\n"
              "assert png.startswith(b'\\x89PNG') and 'segno' in sys.modules\n"
              "from common import spreadsheet\n"
              "assert 'openpyxl' not in sys.modules\n"
              "from openpyxl import Workbook\n"
              "wb = Workbook(); spreadsheet.header(wb.active, ['a']); spreadsheet.widths("
              "wb.active, [9])\n"
              "assert wb.active['A1'].font.bold and wb.active.column_dimensions['A'].width == 9\n"
              "print('ok')\n")
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", script], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr
