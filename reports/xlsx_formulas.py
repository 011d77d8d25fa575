"""What the live workbooks share (the scenario simulators, reports/simulator.py, and the CPOM annex,
reports/cpom_pack.py): cell references and defined names as Excel writes them, the input style, and formats.

A live workbook holds figures as values (what the data says), inputs a reader may change (one cell each, in
Excel's own "Entrée" colours, with a defined name) and formulas over them, each written with the value the marts
give it, so that a reader that does not recalculate on opening (LibreOffice's default for .xlsx) shows the right
figures at once, and recomputes them when an input changes."""

from __future__ import annotations

import re
import unicodedata

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

# Excel's own number codes (shown with the reader's French separators)
EURO = '#,##0 "€"'
EURO2 = '#,##0.00 "€"'
DEC2 = "#,##0.00"
INT = "#,##0"
SHARE = "0.00%"


def cell(row: int, col: int, absolute: bool = False) -> str:
    """A1 reference of a zero-based cell."""
    return xl_rowcol_to_cell(row, col, row_abs=absolute, col_abs=absolute)


def column(col: int) -> str:
    return xl_col_to_name(col)


def sheet_ref(sheet: str, row: int, col: int, absolute: bool = True) -> str:
    """A cell of another sheet, the sheet's name quoted as Excel needs it ('Paramètres'!$E$5)."""
    return "'" + sheet.replace("'", "''") + "'!" + cell(row, col, absolute)


def range_ref(sheet: str, first: tuple[int, int], last: tuple[int, int]) -> str:
    return "'" + sheet.replace("'", "''") + "'!" + cell(*first) + ":" + cell(*last)


def defined_name(*parts: object) -> str:
    """A defined name from its parts: ASCII letters, digits and underscores (`regle2_place_IME`); Excel refuses
    spaces, accents and names that read as a cell reference, which the leading word avoids."""
    text = "_".join(str(p) for p in parts if p not in (None, ""))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")
    if not text or not re.match(r"[A-Za-z_]", text):
        text = "n_" + text
    return text[:255]


def formats(workbook) -> dict:
    """The workbook's cell formats: header, input (Excel's "Entrée" style: orange fill, dark blue text, thin
    grey border) by number format, a title, notes."""
    made = {
        "header": workbook.add_format({"bold": True, "bg_color": "#EEF2F6", "border": 1, "text_wrap": True,
                                       "valign": "top"}),
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "bold": workbook.add_format({"bold": True}),
        "note": workbook.add_format({"italic": True, "font_color": "#555555", "text_wrap": True, "valign": "top"}),
        "text": workbook.add_format({"valign": "top"}),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
    }
    for key, code in (("euro", EURO), ("euro2", EURO2), ("dec2", DEC2), ("int", INT), ("share", SHARE)):
        made[key] = workbook.add_format({"num_format": code})
        made["total_" + key] = workbook.add_format({"num_format": code, "bold": True, "top": 1})
        made["input_" + key] = workbook.add_format({"num_format": code, "bg_color": "#FFCC99",
                                                    "font_color": "#3F3F76", "border": 1, "border_color": "#7F7F7F"})
    made["total_text"] = workbook.add_format({"bold": True, "top": 1})
    return made


INPUT_FILL = "FFCC99"  # the fill of an input cell, as a reader of the file sees it (tests)
