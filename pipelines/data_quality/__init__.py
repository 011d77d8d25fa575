"""Data quality after the dbt build, in two kinds of check, each rule checked once:

- the row rules of the validation layer (dbt_project/models/validation/): each landing row is checked there and a
  failing row set aside with its file, line, column, value and reason; `rows.py` counts them per rule;
- the Great Expectations suites of `suites.py`: what no single row shows (volumes over time, distributions,
  coherence across tables), on the landing rows and the modelled tables, executed where the data lives (GX's SQL
  data source on the DuckDB file through `duckdb-engine`; each suite reads one small aggregate of its table).

Every check, its French label and its severity (`error` fails the run, `warn` only warns) is a line of
nomenclatures/data_quality_checks.csv. Results go to `audit.data_quality` (one row per check: the units checked,
the failing ones and a sample of them, never a person id), which the asset checks of pipelines/defs/quality.py
report and reports/data_quality.py renders as donnees.html.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.data_quality import rows as row_rules
from pipelines.data_quality.suites import SUITES

SAMPLE = 10  # failing units kept per check
PERSON_COLUMNS = {"person_id"}  # never in a sample
VALIDATION = "validation"  # the `expectation` of a row rule's result: validation's, not GX's


@dataclass(frozen=True)
class Check:
    check_id: str
    table: str          # schema.table whose rows it checks
    label: str          # French, as donnees.html shows it
    expectation: str    # GX expectation class, or "validation" for a row rule
    kwargs: tuple       # its arguments, as (name, value) pairs


def settings() -> list[dict]:
    """The lines of nomenclatures/data_quality_checks.csv (check_id, kind, table_name, column_name, severity,
    max_failing_share, label, note)."""
    from pipelines.settings import NOMENCLATURES_DIR

    with (NOMENCLATURES_DIR / "data_quality_checks.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def severities() -> dict[str, str]:
    return {row["check_id"]: row["severity"] for row in settings()}


def checks() -> list[Check]:
    """The Great Expectations checks, suite by suite, labelled from the setting file."""
    labels = {row["check_id"]: row["label"] for row in settings()}
    return [Check(check_id, suite.table, labels.get(check_id, check_id), "UnexpectedRowsExpectation",
                  (("unexpected_rows_query", query),))
            for suite in SUITES for check_id, query in suite.checks]


def row_checks() -> list[Check]:
    """The validation layer's row rules, one per landing table and column (rows set aside) and per table and column
    of audit.data_warnings (rows kept with a warning), as the setting file lists them."""
    return [Check(row["check_id"], f"raw.{row['table_name']}", row["label"], VALIDATION, ())
            for row in settings() if row["kind"] in row_rules.KINDS]


def catalogue() -> list[Check]:
    """Every check a run reports: the row rules, then the suites."""
    return row_checks() + checks()


@dataclass
class Outcome:
    check: Check
    severity: str
    success: bool
    element_count: int | None
    unexpected_count: int
    sample: list[dict]


def _safe(row: dict) -> dict:
    return {k: (None if v is None else str(v)) for k, v in row.items() if k not in PERSON_COLUMNS}


def _main_module_has_a_file() -> None:
    """GX imports pyspark when it is installed (the `spark` extra), and pyspark's Spark Connect module exits the
    process with status 0 when `__main__` has no file, taking a `python -c` program for its own doctests: such a
    program (`python -c "import pipelines.cli; ..."`) gets a file name before GX is imported."""
    import sys

    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None and not hasattr(main, "__file__"):
        main.__file__ = "<string>"


def import_gx():
    """great_expectations and its expectations, imported as this module needs them (about 3.5 s of CPU)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no usage events: the machines are offline
    _main_module_has_a_file()
    import warnings

    # GX imports pyspark when the spark extra is installed; its pandas-version warning says nothing about this run
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    import great_expectations as gx
    import great_expectations.expectations as gxe

    return gx, gxe


def run(warehouse: Path, work: Path) -> list[Outcome]:
    """The row rules' results and every suite on the warehouse file through GX's SQL data source (a file context
    under `work`), stored in audit.data_quality."""
    gx, gxe = import_gx()

    context = gx.get_context(mode="file", project_root_dir=str(work))
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    source = context.data_sources.add_or_update_sql(
        name="warehouse", connection_string=f"duckdb:///{Path(warehouse).resolve()}")
    # GX fetches a query's rows after giving its connection back to the pool; duckdb-engine's rows are gone by
    # then (GX keeps one connection open only for the dialects it knows need it: sqlite, mssql…). One connection
    # for the whole validation, as GX does for those; it also holds the suites' temporary aggregates.
    engine = source.get_execution_engine()
    connection = engine.engine.connect()
    import sqlalchemy as sa

    from pipelines import settings as run_settings

    for key, value in run_settings.duckdb_config().items():  # the run's memory limit and threads, as dbt's
        connection.execute(sa.text(f"set {key} = '{value}'"))
    engine.get_connection = contextlib.contextmanager(lambda: (yield connection))
    lines = {row["check_id"]: row for row in settings()}
    outcomes = _row_outcomes(connection, lines)
    for suite in SUITES:
        outcomes += _suite_outcomes(gx, gxe, source, connection, suite, lines)
    _store(connection, outcomes)
    connection.close()
    engine.engine.dispose()
    source.get_engine().dispose()  # the data source's own engine (it tested the connection and read the tables)
    return outcomes


def _row_outcomes(connection, lines: dict[str, dict]) -> list[Outcome]:
    import sqlalchemy as sa

    rules = [row for row in lines.values() if row["kind"] in row_rules.KINDS]
    found = {r[:3]: r[3:] for r in connection.execute(sa.text(row_rules.results_query(rules))).fetchall()}
    outcomes = []
    for check in row_checks():
        line = lines[check.check_id]
        validated, failing, sample = found[(line["kind"], line["table_name"], line["column_name"])]
        share = float(line["max_failing_share"] or 0)
        outcomes.append(Outcome(check, line["severity"], row_rules.passes(failing, validated, share), validated,
                                failing, [_safe(r) for r in (sample or [])]))
    return outcomes


def _suite_outcomes(gx, gxe, source, connection, suite, lines: dict[str, dict]) -> list[Outcome]:
    """A suite: its aggregate made once (a temporary table of the connection), then its expectations validated
    together on it; the aggregate's rows are the units checked."""
    import sqlalchemy as sa

    connection.execute(sa.text(f"create or replace temp table {suite.name} as {suite.aggregate}"))
    units = connection.execute(sa.text(f"select count(*) from {suite.name}")).scalar()
    asset = source.add_query_asset(name=suite.name, query=f"select * from {suite.name}")
    batch = asset.add_batch_definition_whole_table("whole").get_batch()
    expectations = gx.ExpectationSuite(name=suite.name)
    own = [c for c in checks() if c.check_id in dict(suite.checks)]
    for check in own:
        expectations.add_expectation(getattr(gxe, check.expectation)(**dict(check.kwargs)))
    result = batch.validate(expectations, result_format={"result_format": "COMPLETE",
                                                         "partial_unexpected_count": SAMPLE})
    outcomes = []
    for check, one in zip(own, result.results, strict=True):
        info = one.result or {}
        unexpected = int(info.get("observed_value") or 0)
        rows = (info.get("details") or {}).get("unexpected_rows") or []
        outcomes.append(Outcome(check, lines.get(check.check_id, {}).get("severity", "error"), bool(one.success),
                                units, unexpected, [_safe(r) for r in rows[:SAMPLE]]))
    return outcomes


def _store(connection, outcomes: list[Outcome]) -> None:
    """audit.data_quality: one row per check, written through GX's own connection (DuckDB refuses a second
    connection to the file with another configuration in the same process)."""
    import sqlalchemy as sa

    connection.execute(sa.text("create schema if not exists audit"))
    connection.execute(sa.text(
        "create or replace table audit.data_quality (check_id varchar, table_name varchar, label varchar, "
        "expectation varchar, severity varchar, success boolean, element_count bigint, unexpected_count bigint, "
        "sample varchar, checked_at timestamp)"))
    now = dt.datetime.now().replace(microsecond=0)
    connection.execute(sa.text(
        "insert into audit.data_quality values (:check_id, :table_name, :label, :expectation, :severity, :success, "
        ":element_count, :unexpected_count, :sample, :checked_at)"),
        [{"check_id": o.check.check_id, "table_name": o.check.table, "label": o.check.label,
          "expectation": o.check.expectation, "severity": o.severity, "success": o.success,
          "element_count": o.element_count, "unexpected_count": o.unexpected_count,
          "sample": json.dumps(o.sample, ensure_ascii=False), "checked_at": now} for o in outcomes])
    connection.commit()
