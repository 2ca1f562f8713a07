"""The coverage download as an Excel workbook (openpyxl): the region × direction table of the CSV on one
sheet, the weekly series behind the dashboard's line on another. Figures are numbers (Excel sums and
charts them), dates are dates, an empty figure is an empty cell."""
import datetime as dt
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from services.coverage import rules

NUMBER_FORMATS = {rules.HOURS_DONE: "0.00", rules.PAID_KZT: "#,##0", "target_percent_to_date": "0.00",
                  "week_start": "yyyy-mm-dd"}
MAX_WIDTH = 40


def workbook_bytes(document, weekly):
    """`document` (rules.coverage) and `weekly` (rules.weekly) as the bytes of an .xlsx file."""
    workbook = Workbook()
    write_sheet(workbook.active, "Coverage", rules.TABLE_COLUMNS, rules.table_rows(document))
    write_sheet(workbook.create_sheet(), "Weekly", rules.WEEKLY_COLUMNS, weekly["items"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write_sheet(sheet, title, columns, rows):
    sheet.title = title
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    widths = [len(column) for column in columns]
    for row in rows:
        values = [row[column] if row[column] != "" else None for column in columns]
        sheet.append(values)
        for index, (column, cell) in enumerate(zip(columns, sheet[sheet.max_row])):
            cell.number_format = NUMBER_FORMATS.get(column, cell.number_format)
            widths[index] = max(widths[index], shown_width(cell.value))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, width + 2)


def shown_width(value):
    """About how many characters a value takes on screen (digit groups add their separators)."""
    if value is None:
        return 0
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, (int, float, Decimal)):
        return len(f"{value:,}")
    return len(str(value))
