"""Printable PDF documents with an embedded Chinese font.

The font comes from the operating system's packages (set-up installs
WenQuanYi Micro Hei when no CJK font is present); PDF_FONT_PATH overrides it.
Without a CJK font, Chinese would print as empty boxes, so building a document
then fails loudly instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

KNOWN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


class FontMissing(RuntimeError):
    """No font that can show Chinese is installed."""


@lru_cache(maxsize=1)
def cjk_font_path() -> str:
    """The file of a font that covers Chinese."""
    configured = os.environ.get("PDF_FONT_PATH")
    if configured and os.path.exists(configured):
        return configured
    for path in KNOWN_FONTS:
        if os.path.exists(path):
            return path
    if shutil.which("fc-match"):
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", ":lang=zh-cn"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        if found and os.path.exists(found) and found.endswith((".ttf", ".ttc", ".otf")):
            return found
    raise FontMissing(
        "no CJK font is installed; run `make setup` (it installs "
        "fonts-wqy-microhei) or set PDF_FONT_PATH"
    )


def chinese_date(day: date) -> str:
    """A date written the Chinese way: 2026年3月31日."""
    return f"{day.year}年{day.month}月{day.day}日"


def yuan(amount) -> str:
    """An amount in yuan with thousands separators and two decimals."""
    return f"{amount:,.2f}"


@dataclass
class Document:
    """A document of blocks: headings, paragraphs, tables and a signature."""

    title: str
    blocks: list = field(default_factory=list)

    def heading(self, text: str) -> Document:
        """Add a section heading."""
        self.blocks.append(("heading", text))
        return self

    def paragraph(self, text: str) -> Document:
        """Add a paragraph."""
        self.blocks.append(("paragraph", text))
        return self

    def table(self, headers: list[str], rows: list[list]) -> Document:
        """Add a table."""
        self.blocks.append(("table", (headers, rows)))
        return self

    def signature(self, issuer: str, day: date) -> Document:
        """Add the issuing body and date, right-aligned as on a stamped document."""
        self.blocks.append(("signature", (issuer, day)))
        return self

    def render(self) -> bytes:
        """The document as PDF bytes with the Chinese font embedded."""
        # Imported here: fpdf costs a quarter second of every worker's start-up
        # and only document downloads need it.
        from fpdf import FPDF

        pdf = FPDF(format="A4")
        pdf.set_auto_page_break(auto=True, margin=18)
        # One face serves regular and bold: CJK fonts rarely ship a bold file.
        pdf.add_font("cjk", "", cjk_font_path())
        pdf.add_font("cjk", "B", cjk_font_path())
        pdf.set_title(self.title)
        pdf.add_page()
        pdf.set_font("cjk", size=20)
        pdf.multi_cell(0, 14, self.title, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        for kind, content in self.blocks:
            getattr(self, f"_render_{kind}")(pdf, content)
        return bytes(pdf.output())

    @staticmethod
    def _render_heading(pdf: FPDF, text: str) -> None:
        pdf.set_font("cjk", size=14)
        pdf.multi_cell(0, 10, text, new_x="LMARGIN", new_y="NEXT")

    @staticmethod
    def _render_paragraph(pdf: FPDF, text: str) -> None:
        pdf.set_font("cjk", size=12)
        pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    @staticmethod
    def _render_table(pdf: FPDF, content) -> None:
        headers, rows = content
        pdf.set_font("cjk", size=10)
        with pdf.table(first_row_as_headings=True) as table:
            row = table.row()
            for header in headers:
                row.cell(str(header))
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell("" if value is None else str(value))
        pdf.ln(4)

    @staticmethod
    def _render_signature(pdf: FPDF, content) -> None:
        issuer, day = content
        pdf.ln(10)
        pdf.set_font("cjk", size=12)
        pdf.cell(0, 8, issuer, align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 8, chinese_date(day), align="R", new_x="LMARGIN", new_y="NEXT")


def pdf_response(document: Document, filename: str):
    """A Flask response that downloads the document."""
    from urllib.parse import quote

    from flask import Response

    return Response(
        document.render(),
        mimetype="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(filename)}"},
    )
