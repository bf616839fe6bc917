"""Excel workbooks with Chinese headers, shared by list exports and reports."""

import io
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, bool | int | float | date):
        return value
    text = str(value)
    # A leading =, +, - or @ would make Excel evaluate the text as a formula.
    if text[:1] in ("=", "+", "-", "@"):
        return "'" + text
    return text


def _display_width(text: str) -> int:
    # CJK characters take two columns in Excel and WPS.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def workbook_bytes(
    title: str, headers: list[str], rows, sheet: str = "Sheet1"
) -> bytes:
    """An XLSX with a bold title row, a header row and the rows, columns fitted."""
    workbook = Workbook(write_only=False)
    worksheet = workbook.active
    worksheet.title = sheet[:31]
    worksheet.append([title])
    worksheet["A1"].font = Font(bold=True, size=14)
    worksheet.append([str(h) for h in headers])
    for cell in worksheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    widths = [_display_width(str(h)) for h in headers]
    for row in rows:
        values = [_cell(v) for v in row]
        worksheet.append(values)
        for i, value in enumerate(values[: len(widths)]):
            widths[i] = max(widths[i], _display_width(str(value)))
    for i, width in enumerate(widths, start=1):
        worksheet.column_dimensions[get_column_letter(i)].width = min(
            max(width + 2, 8), 60
        )
    worksheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
