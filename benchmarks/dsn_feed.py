"""The DSN input path (issue 37) against the CSV path: a year of monthly DSN for N employees (default 2,000: one
file per establishment and month, each employee with the blocks a real declaration carries: identity, contract,
payment, several remunerations, four contribution bases and about twenty individual contributions, ~170 lines a
month), landed by the real ingestion (`land_folder`: pipelines/ingestion/dsn.py reads each file line by line into
its Parquet row file), beside a CSV activity file of as many rows as the DSN has lines, landed the same way.
Prints lines per second of each path and peak memory; nothing here is a timed test.

    python benchmarks/dsn_feed.py --employees 2000
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KEY = b"benchmark-key-not-secret-32-bytes!"
ESTABLISHMENTS = 10
EXTRA_PAY = ["002", "003", "010", "017", "019", "025"]  # remuneration types besides the gross salary (001)
BASES = ["02", "03", "07", "31"]  # contribution bases (S21.G00.78.001)
CODES = [f"{c:03d}" for c in (1, 2, 3, 4, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 18, 21, 23, 40, 41, 45)]


def _write(work: Path, employees: int, months: int) -> tuple[Path, Path, int]:
    """landing-dsn/dsn/<NIC>/<YYYYMM>.dsn and landing-csv/activity.csv of as many rows; returns the DSN's lines."""
    import random

    from pipelines.demo.dsn import _employee, _header, _identity, siret

    rng = random.Random(1)
    dsn_landing, csv_landing = work / "landing-dsn", work / "landing-csv"
    identities = [_identity(rng, n) for n in range(employees)]
    lines = 0
    for establishment in range(ESTABLISHMENTS):
        folder = dsn_landing / "dsn" / siret(establishment)[9:]
        folder.mkdir(parents=True)
        staff = range(establishment, employees, ESTABLISHMENTS)
        for month in range(1, months + 1):
            out = _header(f"{month:02d}2025", siret(establishment))
            for n in staff:
                block = _employee(f"M{n:06d}", identities[n], ("EDUCATEUR SPECIALISE", "434d"), "35.00",
                                  siret(establishment), (month, 2025, 300_000 + n))
                cut = next(i for i, (k, _) in enumerate(block) if k == "S21.G00.78.001")
                extra = [(k, v) for t in EXTRA_PAY for k, v in (
                    ("S21.G00.51.001", f"01{month:02d}2025"), ("S21.G00.51.002", f"28{month:02d}2025"),
                    ("S21.G00.51.010", f"CM{n:06d}"), ("S21.G00.51.011", t), ("S21.G00.51.013", "123.45"))]
                for base in BASES:
                    extra += [("S21.G00.78.001", base), ("S21.G00.78.002", f"01{month:02d}2025"),
                              ("S21.G00.78.003", f"28{month:02d}2025"), ("S21.G00.78.004", "2500.00")]
                    extra += [(k, v) for code in CODES[:5] for k, v in (
                        ("S21.G00.81.001", code), ("S21.G00.81.002", "78861779300013"),
                        ("S21.G00.81.003", "2500.00"), ("S21.G00.81.004", "12.34"))]
                out += block[:cut] + extra + block[cut:]
            text = "".join(f"{k},'{v}'\n" for k, v in out)
            (folder / f"2025{month:02d}.dsn").write_text(text, encoding="latin-1")
            lines += len(out)
    csv_landing.mkdir()
    with (csv_landing / "activity.csv").open("w", encoding="utf-8") as handle:
        handle.write("event_id,person_id,finess_et,professional_id,prestation_code,started_at,duration_min\n")
        for e in range(lines):
            handle.write(f"EV{e},U{e % 5000:07d},690000013,PRO{e % 400:05d},2.2.1,2025-03-{1 + e % 28:02d}T09:00:00,45\n")
    return dsn_landing, csv_landing, lines


def _land(landing: Path, work: Path, name: str) -> tuple[float, int]:
    import duckdb

    from pipelines.ingestion.landing import land_folder

    con = duckdb.connect(str(work / f"{name}.duckdb"))
    started = time.perf_counter()
    land_folder(con, landing, KEY, work / f"{name}.raw")
    elapsed = time.perf_counter() - started
    table = "dsn_contracts" if name == "dsn" else "activity"
    rows = con.execute(f"select count(*) from raw.{table}").fetchone()[0]
    con.close()
    return elapsed, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=2000)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="serafin-dsn-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        dsn_landing, csv_landing, lines = _write(work, args.employees, args.months)
        size = sum(p.stat().st_size for p in (dsn_landing / "dsn").rglob("*.dsn"))
        print(f"written in {time.perf_counter() - started:.1f} s: {args.employees:,} employees × {args.months} months, "
              f"{ESTABLISHMENTS * args.months} DSN files, {lines:,} lines, {size / 1e6:,.0f} MB; "
              f"a CSV of {lines:,} activity rows")
        results = {}
        for name, landing in (("dsn", dsn_landing), ("csv", csv_landing)):
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            elapsed, rows = _land(landing, work, name)
            results[name] = elapsed
            what = f"{rows:,} contract rows" if name == "dsn" else f"{rows:,} rows"
            print(f"{name:>4}: {lines:,} lines in {elapsed:.1f} s = {lines / elapsed:,.0f} lines/s ({what}; "
                  f"peak RSS {max(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024):,.0f} MB)")
        print(f"DSN / CSV time for as many lines: {results['dsn'] / results['csv']:.1f} ×; "
              f"cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
