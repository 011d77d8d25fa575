"""The finance feeds against the CSV path (issue 37): a FEC of N lines (default 5 million: a large association's year)
landed by the real ingestion (`land_folder`: read, split by journal per comptabilite.yaml, class 6 and 7 summed per
ESMS and account, the audit lists), beside a ledger.csv of the same number of lines, in the same run. Prints the rows
per second of each and the peak memory; nothing here is a timed test.

    python benchmarks/finance_feed.py --lines 5e6

Each feed is one entry of FEEDS: a function writing its landing folder of N lines. The DSN (a year of monthly DSN for
2,000 employees, issue 37 point 3) takes its place there.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ESMS = {"IME1": "690000013", "SESS1": "690000021", "MAS1": "690000039", "FAM1": "690000047", "ESAT1": "690000054",
        "SAVS1": "690000062"}
SIREN = "775672272"
HEADER = ("JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|CompteLib|CompAuxNum|CompAuxLib|PieceRef|"
          "PieceDate|EcritureLib|Debit|Credit|EcritureLet|DateLet|ValidDate|Montantdevise|Idevise")
CHARGES = ["6411", "6451", "6021", "6061", "6132", "615", "6242", "6063", "6811", "731100"]


def _copy(con, query: str, path: Path, header: str, delimiter: str) -> None:
    """The rows of `query` as text lines under `header` (DuckDB writes them: no Python loop)."""
    con.execute(f"copy ({query}) to '{path}' (format csv, header false, delimiter '{delimiter}', quote '')")
    body = path.read_bytes() if path.stat().st_size < 1 << 20 else None
    if body is not None:
        path.write_bytes(header.encode() + b"\n" + body)
        return
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as out, path.open("rb") as src:
        out.write(header.encode() + b"\n")
        while chunk := src.read(1 << 24):
            out.write(chunk)
    tmp.replace(path)


def write_fec(landing: Path, lines: int) -> None:
    """comptabilite/<SIREN>FEC20251231.txt: entries of two lines (a charge or product and its counterpart), the
    journal of one of six ESMS, a decimal comma; and comptabilite.yaml."""
    import duckdb

    (landing / "comptabilite").mkdir(parents=True)
    codes = list(ESMS)
    accounts = "[" + ", ".join(f"'{a}'" for a in CHARGES) + "]"
    journals = "[" + ", ".join(f"'{c}'" for c in codes) + "]"
    query = f"""
        select {journals}[1 + (i // 2) % {len(codes)}] as j, 'Journal', (i // 2) as n,
               strftime(date '2025-01-01' + cast((i // 2) % 365 as integer), '%Y%m%d') as d,
               case when i % 2 = 0 then {accounts}[1 + (i // 2) % {len(CHARGES)}] else '401000' end as a,
               'Libellé', '', '', 'P' || (i // 2), strftime(date '2025-01-01' + cast((i // 2) % 365 as integer), '%Y%m%d'),
               'Écriture ' || (i // 2),
               case when i % 2 = 0 then replace(printf('%.2f', ((i // 2) % 9973) / 7.0), '.', ',') else '0,00' end,
               case when i % 2 = 1 then replace(printf('%.2f', ((i // 2) % 9973) / 7.0), '.', ',') else '0,00' end,
               '', '', strftime(date '2025-01-01' + cast((i // 2) % 365 as integer), '%Y%m%d'), '', ''
        from range({lines}) t(i)"""
    with duckdb.connect() as con:
        _copy(con, query, landing / "comptabilite" / f"{SIREN}FEC20251231.txt", HEADER, "|")
    (landing / "comptabilite.yaml").write_text(
        f'entities:\n  - siren: "{SIREN}"\n    split: journal\n    journals:\n'
        + "".join(f'      {c}: "{f}"\n' for c, f in ESMS.items()), encoding="utf-8")


def write_ledger_csv(landing: Path, lines: int) -> None:
    """ledger.csv of the same number of lines (FINESS, year, account, label, amount with a decimal comma)."""
    import duckdb

    finess = "[" + ", ".join(f"'{f}'" for f in ESMS.values()) + "]"
    accounts = "[" + ", ".join(f"'{a}'" for a in CHARGES) + "]"
    query = f"""
        select {finess}[1 + i % {len(ESMS)}], '2025', {accounts}[1 + i % {len(CHARGES)}], 'Libellé',
               replace(printf('%.2f', (i % 9973) / 7.0), '.', ',')
        from range({lines}) t(i)"""
    landing.mkdir(parents=True)
    with duckdb.connect() as con:
        _copy(con, query, landing / "ledger.csv", "finess_et;year;account;label;amount", ";")


# name -> the function writing its landing folder of N lines; each is landed and timed in turn, in this run
FEEDS: dict[str, Callable[[Path, int], None]] = {
    "csv": write_ledger_csv,
    "fec": write_fec,
    # DSN (issue 37 point 3): "dsn": a function writing dsn/ with a year of monthly DSN for 2,000 employees
}


def land(landing: Path, work: Path, name: str) -> float:
    """Seconds to land the folder (every file must load)."""
    import duckdb

    from pipelines.ingestion.landing import land_folder

    con = duckdb.connect(str(work / f"{name}.duckdb"))
    started = time.perf_counter()
    land_folder(con, landing, b"benchmark-key-not-secret-32-bytes!", work / f"{name}.raw")
    elapsed = time.perf_counter() - started
    status = con.execute("select string_agg(distinct status) from raw.ingested_files").fetchone()[0]
    if status != "loaded":
        raise SystemExit(f"{name}: the files were not loaded ({status})")
    con.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=float, default=5e6, help="lines of the FEC, and of ledger.csv")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    lines = int(args.lines)
    results = {}
    with tempfile.TemporaryDirectory(prefix="serafin-finance-") as tmp:
        work = Path(tmp)
        for name, write in FEEDS.items():
            started = time.perf_counter()
            write(work / f"landing-{name}", lines)
            written = time.perf_counter() - started
            size = sum(p.stat().st_size for p in (work / f"landing-{name}").rglob("*") if p.is_file())
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            elapsed = land(work / f"landing-{name}", work, name)
            peak = max(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            results[name] = {"lines": lines, "seconds": elapsed, "rows_per_s": lines / elapsed, "mb": size / 1e6,
                             "peak_rss_mb": peak, "written_s": written}
            print(f"{name:>4}: {lines:,} lines ({size / 1e6:,.0f} MB, written in {written:.1f} s) landed in "
                  f"{elapsed:.1f} s = {lines / elapsed:,.0f} rows/s (peak RSS {peak:,.0f} MB)")
    for name in results:
        if name != "csv":
            print(f"{name} / csv time: {results[name]['seconds'] / results['csv']['seconds']:.2f} ×")
    print(f"cpu count {os.cpu_count()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
