"""Excel workbooks with Chinese headers, shared by list exports and reports."""

import decimal
import io
import math
import re
from datetime import date, datetime

import xlsxwriter

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Control characters that XML 1.0 cannot hold; a stray one is dropped rather
# than shown to staff as an escape like _x0007_.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


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
    # Imported on first use: openpyxl adds a tenth of a second to every
    # worker's start-up, and only exports need it.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

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


def table_workbook(
    sheet: str, title: str, headers: list[str], rows, widths: list[float]
) -> bytes:
    """A one-sheet XLSX of a title row, a header row and typed rows.

    The title is bold, the header bold on a shaded fill, both rows frozen, and
    the columns as wide as `widths`. Numbers and dates stay typed. Text is
    always written as text, so a cell starting with "=" is never a formula.
    XlsxWriter writes the rows as it gets them, without an object per cell,
    which is what a delivery of hundreds of report workbooks needs.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    worksheet = book.add_worksheet(sheet[:31])
    title_style = book.add_format({"bold": True, "font_size": 13})
    header_style = book.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "valign": "vcenter"}
    )
    date_style = book.add_format({"num_format": "yyyy-mm-dd"})
    datetime_style = book.add_format({"num_format": "yyyy-mm-dd h:mm:ss"})

    worksheet.write_string(0, 0, title, title_style)
    for column, header in enumerate(headers):
        worksheet.write_string(1, column, str(header), header_style)
    for column, width in enumerate(widths):
        worksheet.set_column(column, column, width)
    worksheet.freeze_panes(2, 0)

    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row[: len(headers)]):
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                worksheet.write_boolean(number, column, value)
            elif isinstance(value, int | float | decimal.Decimal) and math.isfinite(
                value
            ):
                worksheet.write_number(number, column, float(value))
            elif isinstance(value, datetime):
                worksheet.write_datetime(
                    number, column, value.replace(tzinfo=None), datetime_style
                )
            elif isinstance(value, date):
                worksheet.write_datetime(number, column, value, date_style)
            else:
                text = _CONTROL.sub("", str(value))
                worksheet.write_string(number, column, text)
    book.close()
    return buffer.getvalue()
