"""The house (issue 10): each rule in one place, layers in the order the data flows, every model and
column documented, contracts on the contract marts, and dbt's docs site built offline."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from pipelines import settings

MODELS = settings.DBT_PROJECT_DIR / "models"
LAYERS = ["staging", "validation", "core", "intermediate", "marts", "audit"]
CONTRACT_MARTS = {"cost_per_prestation", "person_cost", "cost_reconciliation", "unallocated_cost"}


def _yaml_models() -> dict[str, dict]:
    out = {}
    for path in MODELS.rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            out[model["name"]] = {**model, "_folder": path.parent}
    return out


def _sql_models() -> dict[str, Path]:
    return {p.stem: p for p in MODELS.rglob("*.sql")}


def test_landing_tables_are_one_list():
    from pipelines.ingestion.schema import TABLES

    project = yaml.safe_load((settings.DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["vars"]["landing_tables"] == list(TABLES)
    sources = yaml.safe_load((MODELS / "staging" / "landing" / "_landing__sources.yml").read_text(encoding="utf-8"))
    tables = [t["name"] for t in sources["sources"][0]["tables"]]
    assert tables[: len(TABLES)] == list(TABLES)


def test_enumerations_and_method_constants_live_in_one_place():
    """No model spells an enumeration's values, the night modalities, the default section or the charge class:
    they are seeds (nomenclatures/) and vars (dbt_project.yml)."""
    enumerations = (settings.NOMENCLATURES_DIR / "enumerations.csv").read_text(encoding="utf-8")
    assert "modality,internat,Internat,true" in enumerations and "modality,hebergement,Hébergement,true" in enumerations
    for path in [*MODELS.rglob("*.sql"), *(settings.DBT_PROJECT_DIR / "macros").glob("*.sql")]:
        text = path.read_text(encoding="utf-8")
        for literal in ("'internat'", "'hebergement'", "'semi_internat'", "'domicile'", "'annule'", "'medico_social'",
                        "'ARS_CD'", "'3.1'", "'3.2.1.1'", "'3.2.2'", "= '6'"):
            assert literal not in text, f"{path.relative_to(settings.ROOT)} spells {literal}"


def test_layers_read_only_earlier_layers():
    order = {layer: i for i, layer in enumerate(LAYERS)}
    layer_of = {name: path.relative_to(MODELS).parts[0] for name, path in _sql_models().items()}
    for name, path in _sql_models().items():
        for ref in re.findall(r"ref\('([a-z0-9_]+)'\)", path.read_text(encoding="utf-8")):
            if ref in layer_of:  # a model, not a seed
                assert order[layer_of[ref]] <= order[layer_of[name]], f"{name} ({layer_of[name]}) reads {ref}"
    assert (MODELS / "validation").is_dir() and not (MODELS / "intermediate" / "validation").exists()
    assert sorted(p.name for p in (MODELS / "marts").iterdir()) == ["cooperation", "costs", "funding", "parcours", "quality", "territory"]


def test_every_model_and_column_is_documented(worked_example):
    documented = _yaml_models()
    sql = _sql_models()
    assert set(sql) <= set(documented), f"models without YAML: {sorted(set(sql) - set(documented))}"
    built: dict[tuple[str, str], list[str]] = {}  # each relation's columns in the warehouse, in order
    for schema, table, column in worked_example.rows(
            "select table_schema, table_name, column_name from information_schema.columns "
            "order by table_schema, table_name, ordinal_position"):
        built.setdefault((schema, table), []).append(column)
    schema_of = {"staging": "staging", "validation": "validation", "core": "core", "intermediate": "intermediate",
                 "marts": "marts", "audit": "audit"}
    for name, path in sql.items():
        model = documented[name]
        assert model["_folder"] == path.parent, f"{name}: its YAML is not beside it"
        assert len(model.get("description", "")) > 30, f"{name} has no description"
        if path.relative_to(MODELS).parts[0] != "audit" or name == "ingestion_log":
            assert "Grain:" in model["description"], f"{name}: the description does not say its grain"
        schema = "indicators" if path.parent.name == "catalogue" else schema_of[path.relative_to(MODELS).parts[0]]
        columns = built.get((schema, name), [])
        described = {c["name"]: c.get("description", "") for c in model.get("columns", [])}
        assert columns, f"{schema}.{name} is not in the warehouse"
        for column in columns:
            assert described.get(column), f"{name}.{column} has no description"


def test_contract_marts_are_enforced_with_grain_tests():
    documented = _yaml_models()
    for name in CONTRACT_MARTS:
        model = documented[name]
        assert model["config"]["contract"]["enforced"] is True
        assert all(c.get("data_type") for c in model["columns"])
        grain = [t["serafin.grain"]["arguments"] for t in model.get("data_tests", []) if "serafin.grain" in t]
        assert grain, f"{name} has no grain test"
        assert grain[0]["columns"] and not grain[0].get("nullable"), f"{name}: a grain column may be NULL"


def test_unit_tests_cover_the_pure_rules():
    names = set()
    for path in MODELS.rglob("*.yml"):
        for test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests", []):
            names.add((test["model"], test["name"]))
    assert ("int_charges_classified", "longest_account_prefix_wins") in names
    assert ("stg_nomenclatures__sections", "logistics_basis_of_a_section") in names
    assert ("int_person_actions", "collective_event_hours_are_split_between_its_persons") in names


def test_docs_site_builds_offline(worked_example, tmp_path, capsys):
    from pipelines.cli import main

    assert main(["docs", "--out", str(tmp_path / "docs"), "--warehouse", str(worked_example.path)]) == 0
    page = tmp_path / "docs" / "static_index.html"
    assert str(page) in capsys.readouterr().out
    text = page.read_text(encoding="utf-8")
    assert "int_person_hours" in text and "Grain: finess_et, year, person_id" in text
    assert not re.search(r'<script[^>]+src="https?://', text)  # nothing fetched when opened
    assert not (settings.DBT_PROJECT_DIR / "target").exists() and not (settings.DBT_PROJECT_DIR / "logs").exists()
    # without a warehouse: the models and their docs compiled on a throw-away file, no catalog (the models that
    # count their input rows at compile time, macro year_passes, find nothing built: one pass)
    assert main(["docs", "--out", str(tmp_path / "bare")]) == 0
    assert "Grain: finess_et, year, person_id" in (tmp_path / "bare" / "static_index.html").read_text(encoding="utf-8")
    assert not (tmp_path / "bare" / "docs.duckdb").exists()


def test_the_indicator_catalogue_is_one_list():
    """The catalogue seed, the models named by indicator id and the union in marts.indicators agree."""
    import csv

    with (settings.NOMENCLATURES_DIR / "indicator_catalogue.csv").open(encoding="utf-8") as handle:
        seed = [row["indicator_id"] for row in csv.DictReader(handle)]
    models = sorted(p.stem for p in (MODELS / "marts" / "quality" / "catalogue").glob("*.sql"))
    union = re.search(r"set indicator_ids = \[(.*?)\]", (MODELS / "marts" / "quality" / "indicators.sql").read_text(
        encoding="utf-8"), re.S).group(1)
    assert sorted(seed) == models == sorted(re.findall(r"'([a-z_]+)'", union))
    assert len(seed) == 13


# ---------------------------------------------------------------- the Python layers, bottom to top (issue 34)

PYTHON_LAYERS = {
    # configuration models and pure helpers
    0: ["pipelines.settings", "pipelines.config_files", "pipelines.cooperation", "pipelines.cpom",
        "pipelines.scenarios", "pipelines.comptabilite", "pipelines.parameters", "pipelines.landing_config",
        "pipelines.children"],
    # ingestion and the warehouse primitives (paths, lock, build-and-swap, failure reasons, dbt's build, the data
    # quality suites, the processes a run starts ahead, the Dagster instance), and the report builders
    1: ["pipelines.ingestion", "pipelines.warehouse", "pipelines.failures", "pipelines.incremental",
        "pipelines.dbt_build", "pipelines.dbt_cli", "pipelines.dbt_child", "pipelines.data_quality",
        "pipelines.quality_worker", "pipelines.prewarm", "pipelines.spark_engine", "pipelines.instance",
        "pipelines.preflight", "pipelines.parsed_dbt", "pipelines.scenario_sql", "reports"],
    2: ["pipelines.defs", "pipelines.definitions"],  # the Dagster definitions
    3: ["pipelines.run", "pipelines.serve", "pipelines.scenario_rerun", "pipelines.demo"],  # the commands
    4: ["pipelines.cli"],
}
# a command that lives in a lower module: its imports are a command's (none today)
COMMAND_FUNCTIONS: dict[str, set[str]] = {}


def _layer(module: str) -> int:
    found = [(len(prefix), layer) for layer, prefixes in PYTHON_LAYERS.items() for prefix in prefixes
             if module == prefix or module.startswith(prefix + ".")]
    assert found, f"{module} is in no layer of PYTHON_LAYERS"
    return max(found)[1]


def _python_imports() -> dict[str, set[str]]:
    """Each module of pipelines/ and reports/ (a command function of COMMAND_FUNCTIONS as `module:function`) → the
    project modules it imports, at its top or inside a function."""
    import ast

    graph: dict[str, set[str]] = {}
    for path in sorted([*(settings.ROOT / "pipelines").rglob("*.py"), *(settings.ROOT / "reports").rglob("*.py")]):
        parts = path.relative_to(settings.ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        owners = {id(node): f"{module}:{fn.name}" for fn in tree.body if isinstance(fn, ast.FunctionDef)
                  and fn.name in COMMAND_FUNCTIONS.get(module, set()) for node in ast.walk(fn)}
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [f"{node.module}.{a.name}" if node.module in ("pipelines", "pipelines.ingestion",
                                                                      "pipelines.defs", "pipelines.demo") else
                         node.module for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            owner = owners.get(id(node), module)
            graph.setdefault(owner, set()).update(n for n in names if n.split(".")[0] in ("pipelines", "reports"))
    return graph


def test_python_modules_import_only_their_layer_or_below():
    graph = _python_imports()
    assert {"pipelines.run", "pipelines.warehouse", "pipelines.scenario_rerun", "pipelines.defs.dbt"} <= set(graph)
    upward = [f"{m} (layer {_layer(m)}) imports {d} (layer {_layer(d)})" for m, deps in graph.items() for d in deps
              if _layer(d) > _layer(m)]
    assert upward == []


def test_python_imports_have_no_cycle():
    import graphlib

    graph: dict[str, set[str]] = {}
    for owner, deps in _python_imports().items():  # a command function's imports are its module's
        module = owner.split(":")[0]
        graph.setdefault(module, set()).update(d for d in deps if d != module)
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle: {' → '.join(exc.args[1])}") from None


def test_the_benchmark_reads_timings_through_the_run_layer():
    text = (settings.ROOT / "benchmarks" / "run.py").read_text(encoding="utf-8")
    assert "from pipelines.run import asset_groups, execute, timings" in text
    assert "import dagster" not in text and "get_records_for_run" not in text
