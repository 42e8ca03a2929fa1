"""The backlog file templates staff fill in (CSV and .xlsx), built from the column table.

The shipped copies live in ``config/templates/``; ``reservrobot backlog template FILE`` writes
a fresh one. Example rows are invented people with invented addresses.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from apps.backlog.columns import COLUMNS

EXAMPLE_ROWS: tuple[dict[str, str], ...] = (
    {
        "birth_date": "2019-04-12",
        "sex": "K",
        "family_name": "Exempelsson",
        "given_names": "Testa Maria",
        "group": "asylsokande",
        "street": "Testgatan 1",
        "postal_code": "803 20",
        "city": "Gävle",
        "country": "SE",
        "info": "",
        "protected": "nej",
        "external_ref": "MALL-0001",
    },
    {
        "birth_date": "1987-11-30",
        "sex": "M",
        "family_name": "Provmann",
        "given_names": "Erik Johann",
        "group": "ees_med_kort",
        "street": "Musterstraße 5",
        "postal_code": "80331",
        "city": "München",
        "country": "DE",
        "info": "",
        "protected": "nej",
        "external_ref": "MALL-0002",
    },
)


def template_csv() -> str:
    """The CSV template: Swedish headers, ``;`` as Excel on a Swedish Windows expects."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.sv for c in COLUMNS])
    for row in EXAMPLE_ROWS:
        writer.writerow([row.get(c.key, "") for c in COLUMNS])
    return out.getvalue()


def write_csv_template(path: Path) -> None:
    # UTF-8 with BOM: Excel then opens å, ä, ö correctly.
    path.write_text(template_csv(), encoding="utf-8-sig", newline="")


def write_xlsx_template(path: Path) -> None:
    """The Excel template: a sheet "Kö" with headers and examples, and a sheet "Kolumner"."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Kö"
    sheet.append([c.sv for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in EXAMPLE_ROWS:
        sheet.append([row.get(c.key, "") for c in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, len(column.sv) + 4)
        # Every cell is text, so Excel keeps leading zeros and does not reformat dates.
        for cell in sheet[letter]:
            cell.number_format = "@"
    sex_col = get_column_letter([c.key for c in COLUMNS].index("sex") + 1)
    check = DataValidation(type="list", formula1='"M,K"', allow_blank=True)
    check.add(f"{sex_col}2:{sex_col}1000")
    sheet.add_data_validation(check)
    sheet.freeze_panes = "A2"

    docs = book.create_sheet("Kolumner")
    docs.append(["Kolumn", "English", "Obligatorisk", "Beskrivning", "Exempel"])
    for cell in docs[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        docs.append(
            [
                column.sv,
                column.en,
                "ja" if column.required else "nej",
                column.description_sv,
                column.example,
            ]
        )
    docs.column_dimensions["D"].width = 90
    book.save(path)


def write_templates(folder: Path) -> list[Path]:
    """Write both templates into ``folder`` (the shipped copies are made this way)."""
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = folder / "backlog_mall.csv", folder / "backlog_mall.xlsx"
    write_csv_template(csv_path)
    write_xlsx_template(xlsx_path)
    return [csv_path, xlsx_path]
