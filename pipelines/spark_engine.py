"""The Spark engine: the same dbt project built by Apache Spark instead of DuckDB (`serafin run --engine spark`).

Ingestion is the same on both engines (Python and DuckDB write the raw rows as Parquet). For Spark:
1. `export_raw` writes each raw source (`raw.activity`, ..., the ingestion's bookkeeping) as one Parquet folder
   under `<spark dir>/raw/<source>/`; dbt's on-run-start hook registers them as Spark tables
   (dbt_project/macros/engines.sql);
2. dbt builds every model with the profile's `spark` output (dbt-spark, session method: a local Spark inside
   dbt's process); Spark writes each table as a Parquet folder under `<spark dir>/tables/<schema>.db/<name>/`;
3. `import_tables` copies those tables into the DuckDB warehouse file, schema by schema, so the data-quality
   suite, the reports and every reader of the warehouse work unchanged whichever engine built it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

SPARK_DIR_ENV = "SERAFIN_SPARK_DIR"
# the schemas dbt writes (dbt_project.yml): what is copied back into the DuckDB warehouse after a Spark build
BUILT_SCHEMAS = ("ref", "staging", "validation", "intermediate", "core", "marts", "indicators", "audit")


def spark_dir(warehouse: Path) -> Path:
    """Spark's working folder of a warehouse: `<warehouse>.spark/` beside it."""
    return warehouse.with_name(warehouse.name + ".spark")


def available() -> str | None:
    """None when the Spark engine can run here, else what is missing, as one sentence."""
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError:
        return "the Spark engine is not installed: pip install 'serafin-pipeline[spark]' (dbt-spark and pyspark)"
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and Path(java_home, "bin", "java").exists()):
        return "Spark needs Java 17: install Debian's openjdk-17-jre-headless (or set JAVA_HOME)"
    return None


def export_raw(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """Each table and view of the warehouse's `raw` schema as `<folder>/raw/<name>/rows.parquet`; returns rows
    per source. The folder is emptied first: a Spark build always starts from this run's raw rows."""
    raw = folder / "raw"
    shutil.rmtree(raw, ignore_errors=True)
    counts: dict[str, int] = {}
    names = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw' order by 1").fetchall()]
    for name in names:
        (raw / name).mkdir(parents=True)
        target = str(raw / name / "rows.parquet").replace("'", "''")
        # COPY answers with the number of rows it wrote
        counts[name] = con.execute(f"copy (select * from raw.{name}) to '{target}' (format parquet)").fetchone()[0]
    return counts


def prepare(folder: Path) -> None:
    """A clean Spark folder for a full build: no table, no metastore (Spark refuses to create a table over a
    folder that exists)."""
    for name in ("tables", "metastore_db", "raw"):
        shutil.rmtree(folder / name, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def built_tables(folder: Path) -> dict[tuple[str, str], Path]:
    """(schema, table) → Parquet folder of each table Spark wrote under `<folder>/tables`."""
    found: dict[tuple[str, str], Path] = {}
    tables = folder / "tables"
    for database in sorted(tables.glob("*.db")):
        for table in sorted(p for p in database.iterdir() if p.is_dir()):
            found[(database.name[:-3], table.name)] = table
    return found


def import_tables(con: duckdb.DuckDBPyConnection, folder: Path) -> int:
    """Copy every table Spark built into the DuckDB warehouse (same schema and name); returns how many."""
    n = 0
    for (schema, table), path in built_tables(folder).items():
        con.execute(f"create schema if not exists {schema}")
        files = str(path / "*.parquet").replace("'", "''")
        con.execute(f"create or replace table {schema}.{table} as select * from read_parquet('{files}')")
        n += 1
    return n


# --- parity: the same landing folder built by both engines gives the same tables ---------------------------------

PARITY_SCHEMAS = ("core", "marts", "indicators")


def _normalise(value):
    """A value as both engines must agree on it: amounts to the cent (compared with a half-cent tolerance),
    times as naive UTC."""
    import datetime as dt
    import decimal

    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | decimal.Decimal):
        return round(float(value), 2)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _sort_key(row):
    return tuple((v is None, type(v).__name__, v if v is not None else 0) for v in row)


def compare_warehouses(left: Path, right: Path, schemas=PARITY_SCHEMAS, ignore=("_batch",)) -> tuple[int, list[str]]:
    """Compare every table and view of `schemas` in two warehouse files, row by row after sorting, numbers to the
    cent, leaving out the `ignore` columns (`_batch` names the run that wrote a row): (tables compared,
    differences as sentences; none when both agree)."""
    problems: list[str] = []
    listing = ("select table_schema, table_name from information_schema.tables where table_schema in ({}) "
               "order by 1, 2").format(", ".join(f"'{s}'" for s in schemas))
    with duckdb.connect(str(left), read_only=True) as a, duckdb.connect(str(right), read_only=True) as b:
        tables_a = {tuple(r) for r in a.execute(listing).fetchall()}
        tables_b = {tuple(r) for r in b.execute(listing).fetchall()}
        for missing in sorted(tables_a - tables_b):
            problems.append(f"{'.'.join(missing)}: only in {left}")
        for missing in sorted(tables_b - tables_a):
            problems.append(f"{'.'.join(missing)}: only in {right}")
        common = sorted(tables_a & tables_b)
        for schema, table in common:
            name = f"{schema}.{table}"
            cols_a = [r[0] for r in a.execute(f"select * from {name} limit 0").description if r[0] not in ignore]
            cols_b = [r[0] for r in b.execute(f"select * from {name} limit 0").description if r[0] not in ignore]
            if sorted(cols_a) != sorted(cols_b):
                problems.append(f"{name}: columns differ ({sorted(set(cols_a) ^ set(cols_b))})")
                continue
            select = f"select {', '.join(cols_a)} from {name}"
            # sorted on the values rounded to the cent; numbers compared unrounded, to half a cent (a sum that is
            # x.xx5 give or take 1e-12 rounds either way: a summation order, not a difference)
            rows_a = sorted(((tuple(_normalise(v) for v in r), r) for r in a.execute(select).fetchall()),
                            key=lambda pair: _sort_key(pair[0]))
            rows_b = sorted(((tuple(_normalise(v) for v in r), r) for r in b.execute(select).fetchall()),
                            key=lambda pair: _sort_key(pair[0]))
            if len(rows_a) != len(rows_b):
                problems.append(f"{name}: {len(rows_a)} rows against {len(rows_b)}")
                continue
            for (ra, raw_a), (rb, raw_b) in zip(rows_a, rows_b, strict=True):
                diff = [c for c, x, y, rx, ry in zip(cols_a, ra, rb, raw_a, raw_b, strict=True) if not _same(x, y, rx, ry)]
                if diff:
                    problems.append(f"{name}: first differing row, columns {diff}: {ra} against {rb}")
                    break
    return len(common), problems


def _same(x, y, raw_x, raw_y) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        return abs(float(raw_x) - float(raw_y)) <= 0.0051
    return x == y
