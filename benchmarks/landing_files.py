"""The benchmark's landing folder and its baseline (benchmarks/run.py): a gestionnaire's files written by `serafin
generate`, what DuckDB alone does with its activity files (the bare read the pipeline's ingestion is compared with), and
the last month's activity files held back for the monthly refresh."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from probes import cpu_seconds, cpu_used

ROOT = Path(__file__).resolve().parents[1]


def generate(landing: Path, rows: int, esms: int, persons: int, years: str, seed: int) -> float:
    """The landing folder for `rows` activity rows (`serafin generate`), kept when a previous benchmark wrote it
    whole in the same folder: the seconds it took (0 when kept)."""
    marker = landing.with_name(f"{landing.name}.complete")
    if marker.exists():  # a kept --workdir: the same files again
        return 0.0
    start = time.time()
    shutil.rmtree(landing, ignore_errors=True)
    gen = subprocess.run([sys.executable, "-m", "pipelines.cli", "generate", "--out", str(landing), "--esms",
                          str(esms), "--persons", str(persons), "--years", years, "--seed", str(seed),
                          "--activity-rows", str(rows)], check=False, capture_output=True, text=True, cwd=ROOT)
    if gen.returncode != 0:
        raise RuntimeError(gen.stderr[-3000:])
    marker.write_text("generated\n")
    return time.time() - start


# ---------------------------------------------------------------- the bare DuckDB baseline

def bare_read(activity: Path, workdir: Path) -> dict:
    """What DuckDB alone does with the same files: read_csv every activity file into a table of a DuckDB file
    (the cp1252 files as Latin-1 when the two read the same, else transcoded to UTF-8 first, as the pipeline
    does), one GROUP BY."""
    import duckdb

    sys.path.insert(0, str(ROOT))
    from pipelines.ingestion.encodings import detect_encoding, latin1_readable, transcode_to_utf8
    from pipelines.ingestion.readers import sniff_delimiter

    start, cpu = time.time(), cpu_seconds()
    sources: dict[tuple[str, str], list[str]] = {}
    for path in sorted(activity.glob("*.csv")):
        encoding = "utf-8"
        if detect_encoding(path) != "utf-8":
            if latin1_readable(path):
                encoding = "latin-1"
            else:
                target = workdir / (path.name + ".utf8")
                transcode_to_utf8(path, target)
                path = target
        sources.setdefault((sniff_delimiter(path), encoding), []).append(str(path))
    con = duckdb.connect(str(workdir / "bare.duckdb"))
    con.execute("set threads = 2; set enable_progress_bar = false")
    rows = 0
    for i, ((delimiter, encoding), files) in enumerate(sources.items()):
        con.execute(f"create table activity_{i} as select * from read_csv(?, delim = ?, encoding = ?, header = true, "
                     "union_by_name = true, all_varchar = true)", [files, delimiter, encoding])
        rows += con.execute(f"select count(*) from activity_{i}").fetchone()[0]
    groups = 0
    for i in range(len([f for f in sources.values() if f])):
        first = con.execute(f"select column_name from (describe activity_{i}) limit 1 offset 2").fetchone()[0]
        groups += len(con.execute(f'select "{first}", count(*) from activity_{i} group by 1').fetchall())
    con.close()
    return {"seconds": time.time() - start, "cpu_s": cpu_used(cpu)["total"], "rows": rows, "groups": groups}


def _month(path: Path) -> str | None:
    found = re.search(r"(\d{4})-(\d{2})", path.name)
    return f"{found.group(1)}-{found.group(2)}" if found else None


@contextmanager
def last_month_held_back(landing: Path, workdir: Path) -> Iterator[tuple[str, int]]:
    """The landing folder without its last month's activity files while inside (they are put back after):
    that month ("YYYY-MM") and how many files."""
    activity = landing / "activity"
    months = sorted({m for p in activity.iterdir() if (m := _month(p))})
    last = [p for p in activity.iterdir() if _month(p) == months[-1]]
    held = workdir / "held-back-month"
    shutil.rmtree(held, ignore_errors=True)
    held.mkdir()
    for path in last:
        path.rename(held / path.name)
    try:
        yield months[-1], len(last)
    finally:
        for path in last:
            (held / path.name).rename(path)
