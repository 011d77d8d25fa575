"""A handful of rows a real export would carry, each to be quarantined with its reason."""

from __future__ import annotations

import csv
from pathlib import Path


def add_bad_rows(out: Path, esms, staff_ids) -> None:
    """A handful of rows a real export would carry, each to be quarantined with its reason."""
    e = esms[0]
    pro = staff_ids[e["finess_et"]][0][0]
    first_file = sorted((out / "activity").glob("*.csv"))[1]
    with first_file.open("a", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle, lineterminator="\n")
        day = first_file.stem.split("_")[1] + "-15T10:00:00"
        w.writerow(["BAD1", "U000001", e["finess_et"], pro, "2.9.9", day, "", "30", "structure", "", "realise", "0"])
        w.writerow(["BAD2", "U000001", "690999999", pro, "2.2.1", day, "", "30", "structure", "", "realise", "0"])
        w.writerow(["BAD3", "U000001", e["finess_et"], pro, "2.2.1", day, "", "0", "structure", "", "realise", "0"])
        w.writerow(["BAD4", "U000001", e["finess_et"], pro, "2.2.1", "31/02/2024 10:00", "", "30", "structure", "",
                    "realise", "0"])
    with (out / "stays.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(["SBAD1", "U000002", e["finess_et"], "2024-05-01", "2024-01-01", "externat", ""])
    with (out / "plans.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(["PPBAD", "U000003", e["finess_et"], "3.1.1.1", "2", "2024-01-01", "", "", "non",
                                     "peut-être", "", ""])


