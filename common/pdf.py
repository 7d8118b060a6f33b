"""Printable documents in Chinese: A4 pages whose CJK font is embedded (a subset of it),
so that the page prints the same on any reader or printer, at the district as at home.

reportlab embeds TrueType outlines only: the Noto CJK fonts (CFF outlines) cannot be
embedded by it, WenQuanYi Micro Hei (Debian package fonts-wqy-microhei) can. Its file is
``REPORT_FONT_FILE`` (the process's configuration, else the environment), by default
where Debian installs it. A missing or unreadable file is a 503 that says what to install
or set, never a PDF in a font the reader has to guess.

``Document`` is what a renderer uses: title, headings, paragraphs, tables, page breaks,
each page footed with its number; ``render()`` gives the bytes.
"""
import io
import os
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import (Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table,
                                TableStyle)

from common.errors import ServiceUnavailable

FONT_SETTING = "REPORT_FONT_FILE"
DEFAULT_FONT_FILE = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
CONTENT_TYPE = "application/pdf"
MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN  # the width a table may take
HEADER_FILL = colors.HexColor("#DDEBF7")

_fonts = {}  # font file → the name it is registered under (parsing the file takes ~0.5 s)


def font_file(configured=None):
    return configured or os.environ.get(FONT_SETTING) or DEFAULT_FONT_FILE


def cjk_font(configured=None):
    """The registered name of the CJK font of ``configured`` (a path, or None for the
    environment's or the default); ServiceUnavailable if the file cannot be used."""
    path = font_file(configured)
    name = _fonts.get(path)
    if name:
        return name
    hint = (f"install fonts-wqy-microhei or set {FONT_SETTING} to a TrueType CJK font "
            f"file (.ttf/.ttc)")
    if not Path(path).is_file():
        raise ServiceUnavailable("pdf_font_file_not_found",
                                 {FONT_SETTING: path}, path=path, hint=hint)
    name = f"CJK-{len(_fonts) + 1}"
    try:
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
    except (TTFError, OSError) as exc:
        raise ServiceUnavailable("pdf_font_file_not_embeddable",
                                 {FONT_SETTING: path}, path=path, exc=exc, hint=hint) from None
    _fonts[path] = name
    return name


def figure(value):
    """A figure as printed: exact, a whole number without ".0", nothing as —."""
    if value is None or value == "":
        return "—"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


class Document:
    """An A4 document in the CJK font, built in reading order."""

    def __init__(self, title, footer="", author="", font_file=None):
        self.font = cjk_font(font_file)
        self.title_text = title
        self.footer = footer
        self.author = author
        self.story = []
        base = dict(fontName=self.font, wordWrap="CJK")
        self.styles = {
            "cover": ParagraphStyle("cover", fontSize=26, leading=36, alignment=1, **base),
            "title": ParagraphStyle("title", fontSize=18, leading=26, alignment=1,
                                    spaceAfter=4 * mm, **base),
            "subtitle": ParagraphStyle("subtitle", fontSize=14, leading=22, alignment=1,
                                       **base),
            "heading": ParagraphStyle("heading", fontSize=13, leading=20, spaceBefore=5 * mm,
                                      spaceAfter=2 * mm, **base),
            "body": ParagraphStyle("body", fontSize=10.5, leading=16, **base),
            "note": ParagraphStyle("note", fontSize=8.5, leading=12, spaceBefore=1.5 * mm,
                                   textColor=colors.HexColor("#555555"), **base),
        }
        self._header_styles = {}

    # -- content ---------------------------------------------------------------------

    def text(self, text, style="body"):
        """A paragraph of plain text (escaped: a title typed by a user stays text)."""
        self.story.append(Paragraph(escape(str(text)), self.styles[style]))

    def space(self, height_mm):
        self.story.append(Spacer(1, height_mm * mm))

    def image(self, content, width_mm):
        """A square picture (a QR code's PNG), centred, ``width_mm`` wide."""
        picture = Image(io.BytesIO(content), width=width_mm * mm, height=width_mm * mm)
        picture.hAlign = "CENTER"
        self.story.append(picture)

    def page_break(self):
        self.story.append(PageBreak())

    def table(self, rows, widths=None, header_rows=1, numeric=(), font_size=9,
              row_height=None):
        """A grid table (``widths``: fractions of the page's width; ``row_height`` in mm
        for the body rows). The ``numeric`` columns are right-aligned figures; header
        cells wrap within their column and repeat on every page the table spans."""
        header = self._header_style(font_size)
        cells = [[Paragraph(escape(c), header) if i < header_rows and isinstance(c, str)
                  else figure(c) if not isinstance(c, str) else c for c in row]
                 for i, row in enumerate(rows)]
        style = [
            ("FONTNAME", (0, 0), (-1, -1), self.font),
            ("FONTSIZE", (0, 0), (-1, -1), font_size),
            ("LEADING", (0, 0), (-1, -1), font_size + 3),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#808080")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        if header_rows:
            style += [("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_FILL),
                      ("ALIGN", (0, 0), (-1, header_rows - 1), "CENTER")]
        for column in numeric:
            style.append(("ALIGN", (column, header_rows), (column, -1), "RIGHT"))
        heights = None
        if row_height:
            heights = [None] * header_rows + [row_height * mm] * (len(cells) - header_rows)
        table = Table(cells, colWidths=[w * WIDTH for w in widths] if widths else None,
                      rowHeights=heights, repeatRows=header_rows, hAlign="LEFT")
        table.setStyle(TableStyle(style))
        self.story.append(table)

    def _header_style(self, font_size):
        if font_size not in self._header_styles:
            self._header_styles[font_size] = ParagraphStyle(
                f"header-{font_size}", fontName=self.font, fontSize=font_size,
                leading=font_size + 3, alignment=1, wordWrap="CJK")
        return self._header_styles[font_size]

    # -- output ----------------------------------------------------------------------

    def _foot(self, canvas, doc):
        canvas.saveState()
        canvas.setFont(self.font, 8)
        canvas.setFillColor(colors.HexColor("#666666"))
        label = f"{self.footer}    第 {doc.page} 页" if self.footer else f"第 {doc.page} 页"
        canvas.drawCentredString(A4[0] / 2, 10 * mm, label)
        canvas.restoreState()

    def render(self):
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                                topMargin=MARGIN, bottomMargin=MARGIN + 4 * mm,
                                title=self.title_text, author=self.author, lang="zh-CN",
                                initialFontName=self.font)
        doc.build(list(self.story), onFirstPage=self._foot, onLaterPages=self._foot)
        return buffer.getvalue()
