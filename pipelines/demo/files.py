"""Writing landing files as software exports them: CSV (French or not), Excel, French numbers."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path


def fr_decimal(value: float) -> str:
    return f"{value}".replace(".", ",")


def fr_amount(value: float) -> str:
    whole, _, cents = f"{value:.2f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return "\u00a0".join(groups) + "," + cents


def write_csv(path: Path, header: list[str], rows: list[list], delimiter: str = ",", encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="", errors="replace") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Balance")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)


def transcode(src: Path, dst: Path, encoding: str) -> None:
    with src.open("r", encoding="utf-8", newline="") as fin, dst.open("w", encoding=encoding, newline="",
                                                                        errors="replace") as fout:
        shutil.copyfileobj(fin, fout, 1 << 22)
