"""Recalculating a workbook from its formulas alone, as a spreadsheet would: LibreOffice headless (Debian's
`libreoffice-calc-nogui`; `.ci/run` installs it) converts each file to .xlsx with "recalculate on load: always" in
a profile of its own, and openpyxl reads the values it computed. The copies given to it are saved by openpyxl
first, which keeps the formulas, the styles and the defined names but no computed value: what LibreOffice writes
back is its own calculation. Without LibreOffice the tests that need it are skipped, unless
SERAFIN_REQUIRE_LIBREOFFICE=1 (CI sets it)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

# LibreOffice's setting "Recalculation on file load" for Excel 2007 and later files: 0 = always
PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        missing = "LibreOffice is not installed (apt-get install libreoffice-calc-nogui)"
        if os.environ.get("SERAFIN_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail(f"SERAFIN_REQUIRE_LIBREOFFICE=1 but {missing}")
        pytest.skip(missing)
    return found


def without_values(source: Path, target: Path, change=None) -> Path:
    """A copy of a workbook with its formulas and no computed value; `change(workbook)` edits it first."""
    import openpyxl

    workbook = openpyxl.load_workbook(source)
    if change is not None:
        change(workbook)
    workbook.save(target)
    return target


def recalculate(files: list[Path], work: Path) -> dict[Path, Path]:
    """Each file recalculated by LibreOffice (one process for all): the recalculated copy of each."""
    binary = soffice()
    profile = work / "libreoffice-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(PROFILE, encoding="utf-8")
    out = work / "recalculated"
    out.mkdir(exist_ok=True)
    subprocess.run([binary, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                    "--convert-to", "xlsx", "--outdir", str(out), *map(str, files)],
                   check=True, capture_output=True, timeout=600)
    done = {f: out / f.name for f in files}
    missing = [str(f) for f, copy in done.items() if not copy.exists()]
    assert not missing, f"LibreOffice did not write {missing}"
    return done


def values(path: Path, sheet: str) -> list[tuple]:
    """The computed values of a sheet, row by row."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, data_only=True, read_only=True)
    try:
        return [tuple(row) for row in workbook[sheet].iter_rows(values_only=True)]
    finally:
        workbook.close()


def named_cells(workbook, prefix: str) -> list:
    """The cells of the defined names that start with `prefix` (an openpyxl workbook)."""
    cells = []
    for name, definition in workbook.defined_names.items():
        if name.startswith(prefix):
            for sheet, ref in definition.destinations:
                cells.append(workbook[sheet][ref.replace("$", "")])
    return cells
