"""The same dbt project on DuckDB and on Apache Spark gives the same tables (issue: the Spark engine).

One landing folder holds the cost edge cases, the indicators' folder and a slice of the demo (six ESMS, one year,
about 8,000 activity rows, its bad rows, scenarios, CPOM and cooperation files). It is built twice through `serafin run`: by DuckDB, and
by a local Spark (`--engine spark`: dbt-spark's session method; the Spark tables are copied into the warehouse
file). Every table of core, marts, indicators and the seeds is then compared row by row after sorting, amounts
to the cent (pipelines/spark_engine.compare_warehouses).

Spark needs the `spark` extra and Java 17; without them the module is skipped, unless SERAFIN_REQUIRE_SPARK=1
(set by .ci/run) turns the absence into a failure.
"""

from __future__ import annotations

import os
import shutil

import duckdb
import pytest

from tests.conftest import WORKED_EXAMPLE, Warehouse
from tests.e2e import test_cost_edge_cases, test_indicators

# an apostrophe ends a Spark literal written the DuckDB way, and a backslash is an escape there
COOPERATION_NAME = "Plateforme d'appui Rhône-Sud \\ essai"


# Spark tuned for this landing's few hundred rows per table (dbt_project/profiles.yml reads them; a real run keeps
# the profile's defaults): one partition per shuffle, no adaptive re-planning, expressions interpreted instead of
# compiled per query, and a JVM that spends no core on its optimising JIT or a parallel collector. The SQL Spark
# runs is the same; only how it executes changes.
TINY_DATA_SPARK = {
    "SERAFIN_SPARK_PARTITIONS": "1",
    "SERAFIN_SPARK_ADAPTIVE": "false",
    "SERAFIN_SPARK_CODEGEN": "false",
    "SERAFIN_SPARK_CODEGEN_MODE": "NO_CODEGEN",
    "SERAFIN_SPARK_JAVA_OPTIONS": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData",
}

def _spark_missing() -> str | None:
    from pipelines import spark_engine

    return spark_engine.available()


@pytest.fixture(scope="module")
def engines(tmp_path_factory) -> tuple[Warehouse, Warehouse]:
    missing = _spark_missing()
    if missing:
        if os.environ.get("SERAFIN_REQUIRE_SPARK") == "1":
            pytest.fail(f"SERAFIN_REQUIRE_SPARK=1 but {missing}")
        pytest.skip(missing)
    from pipelines.demo.generate import GeneratorConfig, generate

    work = tmp_path_factory.mktemp("parity")
    landing = work / "landing"
    # about 8,000 activity rows, not the 65,000 of the generator's own rhythm: the same SQL on both engines, an
    # eighth of the rows for Spark's interpreted execution (its parity run: 250 s to 175 s alone). The smaller
    # file active gives an occupancy ratio under 0.001, which Spark wrote 5.0E-4 (macro number_text)
    generate(landing, GeneratorConfig(persons=60, years=[2025], esms=6, activity_rows=8000))
    for origin, files in (("edge", test_cost_edge_cases.FILES), ("indicateurs", test_indicators.FILES)):
        for name, text in files.items():
            table, suffix = name.rsplit(".", 1)
            if suffix != "csv":
                continue  # the demo's cooperation.yaml is the folder's
            (landing / table).mkdir(exist_ok=True)
            (landing / table / f"{origin}.csv").write_text(text, encoding="utf-8")
    cooperation = landing / "cooperation.yaml"
    text = cooperation.read_text(encoding="utf-8").splitlines()
    assert text[0].startswith("name:")
    cooperation.write_text("\n".join([f'name: "{COOPERATION_NAME.replace(chr(92), chr(92) * 2)}"', *text[1:]]) + "\n",
                           encoding="utf-8")

    from pipelines.run import execute as run

    built = {}
    with pytest.MonkeyPatch.context() as env:
        for name, value in TINY_DATA_SPARK.items():
            env.setenv(name, value)
        for engine in ("duckdb", "spark"):
            warehouse = work / engine / "warehouse.duckdb"
            # dbt's data tests run on the DuckDB build; on Spark, models and seeds only (the tests cost as much as
            # the models there, and a full `serafin run --engine spark` was seen passing all 685 nodes). The DuckDB
            # side builds the warehouse only (`--warehouse-only`: the comparison reads its tables); the Spark side
            # runs the data-quality checks and writes the pages from the tables Spark built
            outcome = run(landing, warehouse, work / engine / "reports", engine=engine, data_tests=engine == "duckdb",
                          data_quality=engine == "spark")
            assert outcome.success, f"{engine}: {outcome.reason}"
            built[engine] = Warehouse(warehouse)
    return built["duckdb"], built["spark"]


def test_every_table_is_the_same_on_both_engines(engines):
    from pipelines.spark_engine import compare_warehouses

    duck, spark = engines
    compared, problems = compare_warehouses(duck.path, spark.path, schemas=("core", "marts", "indicators", "ref"))
    assert problems == []
    # every table and view dbt builds in those schemas, counted in the DuckDB warehouse
    expected = duck.scalar("select count(*) from information_schema.tables "
                           "where table_schema in ('core', 'marts', 'indicators', 'ref')")
    assert compared == expected
    assert compared > 80


def test_the_landing_folder_exercises_what_it_should(engines):
    duck, spark = engines
    for wh in (duck, spark):
        # the three sources of the folder: the edge cases' ESMS, the indicators' and the demo's
        assert wh.scalar("select count(distinct finess_et) from core.establishments") >= 6 + 3 + 2
        # the demo's bad rows are rejected, with the same reasons
        assert wh.scalar("select count(*) from audit.rejected_rows") > 0
        # costs reconcile, scenarios and the CPOM trajectory are built
        assert wh.scalar("select count(*) from marts.cost_reconciliation") > 0
        assert wh.scalar("select count(distinct scenario) from marts.funding_scenario") >= 2
        assert wh.scalar("select count(*) from marts.cpom_trajectory") > 0
    assert (duck.rows("select reason, count(*) from audit.rejected_rows group by 1 order by 1")
            == spark.rows("select reason, count(*) from audit.rejected_rows group by 1 order by 1"))


def test_seeds_keep_empty_cells_and_apostrophes_on_spark(engines):
    _, spark = engines
    # an empty cell is NULL, not the text 'None' (dbt-spark's own seed loader)
    assert spark.scalar("select parent_code from ref.serafin_codes where code = '1'") is None
    assert spark.scalar("select count(*) from ref.serafin_codes where parent_code = 'None'") == 0
    assert spark.scalar("select label from ref.professions where profession = 'moniteur_atelier'") == (
        "Moniteur d'atelier (ESAT)")


def test_text_from_configuration_files_is_kept_exactly(engines):
    duck, spark = engines
    for wh in (duck, spark):
        assert wh.scalar("select label from marts.cooperation_frame where item_kind = 'cooperation'") == COOPERATION_NAME
    assert "qu'elle" in spark.scalar("select detail from marts.cooperation_frame where item_kind = 'cooperation'")


def test_the_comparison_sees_a_cent_and_a_row(engines, tmp_path):
    """The comparison itself can fail: one cent added to one amount, one row deleted."""
    from pipelines.spark_engine import compare_warehouses

    duck, _ = engines
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(duck.path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("update marts.cost_reconciliation set charges_in_scope = charges_in_scope + 0.01 "
                    "where (finess_et, year) in (select finess_et, year from marts.cost_reconciliation "
                    "order by finess_et, year limit 1)")
        con.execute("delete from core.persons where person_id = (select min(person_id) from core.persons)")
    _, problems = compare_warehouses(duck.path, copy, schemas=("core", "marts"))
    assert [p.split(":")[0] for p in problems] == ["core.persons", "marts.cost_reconciliation"]


def test_spark_is_refused_with_a_sentence_when_missing(tmp_path, monkeypatch):
    from pipelines import spark_engine
    from pipelines.cli import execute

    monkeypatch.setattr(spark_engine, "available", lambda: "the Spark engine is not installed: pip install x")
    ok, reason = execute(WORKED_EXAMPLE,
                         tmp_path / "warehouse.duckdb", tmp_path / "reports", engine="spark")
    assert not ok
    assert reason == "the Spark engine is not installed: pip install x"
    assert not (tmp_path / "warehouse.duckdb").exists()
