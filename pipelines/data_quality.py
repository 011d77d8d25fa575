"""Great Expectations suites on the warehouse, executed where the data lives: GX's SQL data source on the DuckDB
file through `duckdb-engine`, so each expectation is one SQL query, never a pandas copy of millions of rows.

Each check is an expectation on a core table (or on marts.cost_quality for the accounts): required columns not
null, codes in the official set, dates in range, durations in 0–1440 minutes, one prestation per (event,
professional), the personnel share of charges between 55 and 85 %, recorded hours consistent with paid FTE, the
activity volume of each ESMS and month not collapsing against the months before. Whether a failing check fails
the run (`error`) or only warns (`warn`) is a setting: nomenclatures/data_quality_checks.csv. Results go to
`audit.data_quality` (one row per check: its failing row count and a sample of failing rows, never a person id),
which the asset checks of pipelines/defs/quality.py report and reports/data_quality.py renders as donnees.html.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

SAMPLE = 10  # failing rows kept per check
PERSON_COLUMNS = {"person_id"}  # never in a sample


@dataclass(frozen=True)
class Check:
    check_id: str
    table: str          # schema.table the expectation runs on
    label: str          # French, as donnees.html shows it
    expectation: str    # GX expectation class
    kwargs: tuple       # its arguments, as (name, value) pairs


def _official_codes(prefixes: tuple[str, ...]) -> list[str]:
    from pipelines.settings import NOMENCLATURES_DIR

    with (NOMENCLATURES_DIR / "serafin_codes.csv").open(encoding="utf-8") as handle:
        return sorted(row["code"] for row in csv.DictReader(handle) if row["code"].startswith(prefixes))


def _values(texts: list[str]) -> str:
    """Texts as the rows of a SQL VALUES list: ('a'), ('b')."""
    return ", ".join("('" + t.replace("'", "''") + "')" for t in texts)


def checks(today: dt.date | None = None) -> list[Check]:
    today = today or dt.date.today()
    soon = today.replace(year=today.year + 2).isoformat()
    not_null = [Check(f"activity_{c}_present", "core.activity", f"Activité : {label} renseigné",
                      "ExpectColumnValuesToNotBeNull", (("column", c),))
                for c, label in (("event_id", "identifiant d'événement"), ("finess_et", "FINESS"),
                                 ("professional_id", "intervenant"), ("prestation_code", "code de prestation"),
                                 ("started_at", "début"))]
    return [
        *not_null,
        # the rows outside the official set by an anti-join on the codes: GX's ExpectColumnValuesToBeInSet writes
        # `NOT IN (72 texts)`, which DuckDB tests text by text (4.7 s per scan of 50 M rows, and GX scans twice)
        # where a join on the set takes 0.3 s
        Check("activity_code_official", "core.activity", "Activité : code de prestation SERAFIN-PH officiel (2.x, 3.x)",
              "UnexpectedRowsExpectation", (("unexpected_rows_query",
                  "select event_id, finess_et, professional_id, prestation_code from {batch} "
                  f"where prestation_code not in (select code from (values {_values(_official_codes(('2', '3')))}) "
                  "as official(code))"),)),
        Check("activity_duration_range", "core.activity", "Activité : durée entre 0 et 1 440 minutes",
              "UnexpectedRowsExpectation", (("unexpected_rows_query",
                  "select event_id, finess_et, professional_id, prestation_code, duration_min from {batch} "
                  "where duration_min <= 0 or duration_min > 1440"),)),
        Check("activity_dates_in_range", "core.activity", "Activité : date entre 2000 et deux ans après aujourd'hui",
              "UnexpectedRowsExpectation", (("unexpected_rows_query",
                  "select event_id, finess_et, cast(started_at as varchar) as started_at from {batch} "
                  f"where started_at < timestamp '2000-01-01' or started_at > timestamp '{soon}'"),)),
        Check("activity_one_prestation_per_action", "core.activity",
              "Activité : une seule prestation par action (événement, intervenant)",
              "UnexpectedRowsExpectation", (("unexpected_rows_query", ONE_PRESTATION),)),
        Check("activity_monthly_volume", "core.activity",
              "Activité : volume mensuel de chaque ESMS sans effondrement (au moins un cinquième de la moyenne des "
              "trois mois précédents et la moitié du même mois un an avant)",
              "UnexpectedRowsExpectation", (("unexpected_rows_query", MONTHLY_VOLUME),)),
        Check("stays_dates_ordered", "core.stays", "Séjours : date de sortie postérieure à l'entrée",
              "UnexpectedRowsExpectation", (("unexpected_rows_query",
                  "select stay_id, finess_et, cast(start_date as varchar) as start_date, "
                  "cast(end_date as varchar) as end_date from {batch} where end_date < start_date "
                  f"or start_date < date '1950-01-01' or start_date > date '{soon}'"),)),
        Check("persons_birth_year_range", "core.persons", "Personnes : année de naissance plausible",
              "ExpectColumnValuesToBeBetween", (("column", "birth_year"), ("min_value", 1900),
                                                ("max_value", today.year))),
        Check("needs_code_official", "core.needs", "Besoins : code de besoin SERAFIN-PH officiel (1.x)",
              "ExpectColumnValuesToBeInSet", (("column", "need_code"), ("value_set", _official_codes(("1",))))),
        Check("needs_level_range", "core.needs", "Besoins : niveau entre 0 et 3",
              "ExpectColumnValuesToBeBetween", (("column", "level"), ("min_value", 0), ("max_value", 3))),
        Check("staff_fte_range", "core.staff", "Personnel : ETP entre 0 et 1,5 par ligne",
              "ExpectColumnValuesToBeBetween", (("column", "fte"), ("min_value", 0), ("max_value", 1.5))),
        Check("ledger_personnel_share", "marts.cost_quality",
              "Comptes : charges de personnel entre 55 et 85 % des charges retenues",
              "UnexpectedRowsExpectation", (("unexpected_rows_query",
                  "select finess_et, year, round(personnel_share, 3) as personnel_share from {batch} "
                  "where personnel_share < 0.55 or personnel_share > 0.85"),)),
        Check("staff_hours_per_fte", "marts.cost_quality",
              "Personnel : heures enregistrées cohérentes avec les ETP payés (entre 50 et 1 607 h par ETP)",
              "UnexpectedRowsExpectation", (("unexpected_rows_query",
                  "select finess_et, year, round(hours_recorded_per_fte, 1) as hours_per_fte, fte_paid from {batch} "
                  "where fte_paid > 0 and (hours_recorded_per_fte < 50 or hours_recorded_per_fte > 1607)"),)),
    ]


# the actions (event, professional) with more than one prestation. Grouping every row by its two texts held tens of
# millions of groups (8 s at 50 M rows): a 64-bit hash of the pair finds the candidate actions first (rows that
# agree on the prestation have one hash of it), and the exact count runs on their rows only; a collision only adds
# a candidate, which the exact count clears
ONE_PRESTATION = """
with candidates as (
    select hash(event_id, professional_id) as action_key
    from {batch}
    group by hash(event_id, professional_id)
    having min(hash(prestation_code)) <> max(hash(prestation_code))
)
select event_id, professional_id, count(distinct prestation_code) as prestations
from {batch}
where hash(event_id, professional_id) in (select action_key from candidates)
group by event_id, professional_id
having count(distinct prestation_code) > 1
"""

# months of each ESMS between its first and last month of activity (a month with no row counts 0) whose realised
# rows collapse: under a fifth of the mean of the three months before (a month missing, an export cut short), or
# under half of the same month a year before (a half-exported month; a summer closure compares with last summer)
MONTHLY_VOLUME = """
with counts as (
    select finess_et, date_trunc('month', started_at) as month, count(*) as rows_
    from {batch} where status = 'realise' group by 1, 2
),
spans as (select finess_et, min(month) as first_month, max(month) as last_month from counts group by 1),
calendar as (
    select s.finess_et, cast(m.month as date) as month
    from spans as s,
         lateral (select unnest(generate_series(s.first_month, s.last_month, interval 1 month)) as month) as m
),
filled as (
    select c.finess_et, c.month, coalesce(n.rows_, 0) as rows_
    from calendar as c left join counts as n on n.finess_et = c.finess_et and n.month = c.month
),
compared as (
    select finess_et, month, rows_,
           avg(rows_) over (partition by finess_et order by month rows between 3 preceding and 1 preceding)
               as previous_mean,
           count(*) over (partition by finess_et order by month rows between 3 preceding and 1 preceding)
               as previous_months,
           lag(rows_, 12) over (partition by finess_et order by month) as year_before
    from filled
)
select finess_et, strftime(month, '%Y-%m') as month, rows_ as activity_rows, round(previous_mean, 1) as previous_mean,
       year_before
from compared
where previous_months = 3 and (rows_ < 0.2 * previous_mean or rows_ < 0.5 * year_before)
"""


def severities() -> dict[str, str]:
    from pipelines.settings import NOMENCLATURES_DIR

    with (NOMENCLATURES_DIR / "data_quality_checks.csv").open(encoding="utf-8") as handle:
        return {row["check_id"]: row["severity"] for row in csv.DictReader(handle)}


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
    """Every check on the warehouse file through GX's SQL data source (a file context under `work`), stored in
    audit.data_quality."""
    gx, gxe = import_gx()

    levels = severities()
    context = gx.get_context(mode="file", project_root_dir=str(work))
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    source = context.data_sources.add_or_update_sql(
        name="warehouse", connection_string=f"duckdb:///{Path(warehouse).resolve()}")
    # GX fetches a query's rows after giving its connection back to the pool; duckdb-engine's rows are gone by
    # then (GX keeps one connection open only for the dialects it knows need it: sqlite, mssql…). One connection
    # for the whole validation, as GX does for those.
    engine = source.get_execution_engine()
    connection = engine.engine.connect()
    import sqlalchemy as sa

    from pipelines import settings

    for key, value in settings.duckdb_config().items():  # the run's memory limit and threads, as dbt's
        connection.execute(sa.text(f"set {key} = '{value}'"))
    engine.get_connection = contextlib.contextmanager(lambda: (yield connection))
    outcomes = []
    by_table: dict[str, list[Check]] = {}
    for check in checks():
        by_table.setdefault(check.table, []).append(check)
    for table, table_checks in by_table.items():
        schema, name = table.split(".")
        asset = source.add_table_asset(name=table.replace(".", "_"), table_name=name, schema_name=schema)
        batch = asset.add_batch_definition_whole_table("whole").get_batch()
        for check in table_checks:
            expectation = getattr(gxe, check.expectation)(**dict(check.kwargs))
            result = batch.validate(expectation, result_format={"result_format": "COMPLETE",
                                                                 "partial_unexpected_count": SAMPLE})
            info = result.result or {}
            if check.expectation == "UnexpectedRowsExpectation":
                unexpected = int(info.get("observed_value") or 0)
                rows = (info.get("details") or {}).get("unexpected_rows") or []
                sample = [_safe(r) for r in rows[:SAMPLE]]
                elements = None
            else:
                unexpected = int(info.get("unexpected_count") or 0)
                sample = [{check.kwargs[0][1]: None if v is None else str(v)}
                          for v in (info.get("partial_unexpected_list") or [])[:SAMPLE]]
                elements = info.get("element_count")
            outcomes.append(Outcome(check, levels.get(check.check_id, "error"), bool(result.success),
                                    elements, unexpected, sample))
    _store(connection, outcomes)
    connection.close()
    engine.engine.dispose()
    source.get_engine().dispose()  # the data source's own engine (it tested the connection and read the tables)
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
