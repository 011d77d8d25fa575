"""benchmarks/run.py at a tiny size, so the benchmark's code path cannot rot (no timing is asserted)."""

import json
import subprocess
import sys

from tests.conftest import ROOT, own_environ


def test_benchmark_code_path(tmp_path):
    root = ROOT
    out = tmp_path / "bench.json"
    run = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "run.py"), "--activity-rows", "20000", "--esms", "2",
         "--persons", "150", "--years", "2025", "--workdir", str(tmp_path / "work"), "--json", str(out), "--no-rerun"],
        check=False, capture_output=True, text=True, cwd=root, timeout=600, env=own_environ())
    assert run.returncode == 0, run.stderr[-3000:]
    [result] = json.loads(out.read_text())
    # the generator lands close to the requested size, and both sides read the same activity rows
    assert abs(result["activity_rows"] - 20000) <= 1000
    assert result["bare"]["rows"] == result["activity_rows"]
    stages = result["run"]["stages"]
    for stage in ("start-up", "ingestion", "dbt start-up", "dbt models", "cost marts", "data quality", "reports"):
        assert stages[stage]["seconds"] > 0, stage
        assert stages[stage]["peak_rss_mb"] > 50, stage  # a Python process with DuckDB loaded
    assert result["ingestion_ratio"] > 0
    assert result["run"]["esms_years"] == result["run"]["esms_years_reconciled"] == 2
    # the printed table carries every stage and the figure to watch
    for label in ("ingestion", "cost marts", "data quality", "whole pipeline", "bare DuckDB read", "ingestion / bare read"):
        assert label in run.stdout, label
    assert "target ≤ 45.00" in run.stdout
    assert "whole pipeline / bare read" in run.stdout
    # where dbt's time goes: its own time per node, the models' and the tests', and the slowest by name
    nodes = result["run"]["dbt_nodes"]
    assert nodes["models_s"] > 0 and nodes["tests_s"] > 0 and nodes["tests"] > 100
    seconds = [s for _, _, s in nodes["slowest"]]  # every node, the slowest first
    assert seconds == sorted(seconds, reverse=True)
    assert {kind for _, kind, _ in nodes["slowest"]} == {"model", "test"}
    assert sum(kind == "test" for _, kind, _ in nodes["slowest"]) == nodes["tests"]
    assert abs(sum(s for _, kind, s in nodes["slowest"] if kind == "model") - nodes["models_s"]) < 1e-6
    assert "full build: dbt models" in run.stdout
    # CPU time: dbt and the other steps run in child processes, which the run waits for, so theirs is counted
    cpu = result["run"]["cpu_s"]
    assert cpu["children"] > nodes["models_s"] / 4 and cpu["self"] > 0
    assert abs(cpu["total"] - cpu["self"] - cpu["children"]) < 1e-6
    assert 0 < result["bare"]["cpu_s"]
    assert "CPU whole pipeline:" in run.stdout and "of wall time on" in run.stdout
