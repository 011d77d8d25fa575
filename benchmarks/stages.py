"""A pipeline run's stages, from its timings (benchmarks/run.py): when each stage started and ended, and dbt's own
time per node, from the steps' starts and ends and each dbt node's materialization and check result."""

from __future__ import annotations

STAGES = ["start-up", "ingestion", "dbt start-up", "dbt models", "cost marts", "indicators", "scenarios",
          "data quality", "reports", "swap"]
DBT_STAGES = ("dbt models", "cost marts", "indicators", "scenarios")
# Dagster asset groups → stage (the dbt groups follow the model folders, see pipelines/defs/dbt.py)
GROUP_STAGE = {"nomenclatures": "dbt models", "staging": "dbt models", "validation": "dbt models",
               "core": "dbt models", "audit": "dbt models", "costs": "cost marts", "marts": "cost marts",
               "indicators": "indicators", "quality": "indicators", "cooperation": "indicators",
               "parcours": "indicators", "funding": "scenarios", "territory": "indicators"}
# issue 17: 5 M rows under 45 s and within 3x the bare read, 3 GB, ingestion within 1.15x the bare read; a month added in
# under 12 s; 50 M rows (a region) under 8 minutes and 4 GB


def spans(run, groups: dict[str, str], t0: float, end: float) -> tuple[dict[str, tuple[float, float]], list]:
    """Each stage's (start, end) from a run's timings (pipelines/instance.py: Timings), and dbt's own time per node:
    (seconds, model or test, name)."""
    step_start = {key: start for key, (start, _) in run.steps.items()}
    step_end = {key: stop for key, (_, stop) in run.steps.items() if stop is not None}
    nodes = [(seconds, "test", name) for name, step, seconds in run.checks if step == "serafin_dbt" and seconds is not None]
    stage_end: dict[str, float] = {}
    for key, step, at, seconds, unchanged in run.materializations:
        if step != "serafin_dbt" or unchanged:  # left as the last build made it (pipelines/defs/dbt.py): not built now
            continue
        if seconds is not None:
            nodes.append((seconds, "model", key.replace("/", ".")))
        stage = GROUP_STAGE.get(groups.get(key, ""), "dbt models")
        stage_end[stage] = max(stage_end.get(stage, 0.0), at)
        stage_end["dbt first"] = min(stage_end.get("dbt first", at), at)
    spans: dict[str, tuple[float, float]] = {"start-up": (t0, min(step_start.values(), default=end))}
    if "landing_files" in step_start:
        spans["ingestion"] = (step_start["landing_files"], step_end.get("landing_files", end))
    if "serafin_dbt" in step_start:
        dbt_start, dbt_end = step_start["serafin_dbt"], step_end.get("serafin_dbt", end)
        previous = stage_end.get("dbt first", dbt_end)
        spans["dbt start-up"] = (dbt_start, previous)
        for stage in sorted((s for s in DBT_STAGES if s in stage_end), key=lambda s: stage_end[s]):
            spans[stage] = (previous, stage_end[stage])
            previous = stage_end[stage]
        last = max((s for s in spans if s in DBT_STAGES), key=lambda s: spans[s][1], default=None)
        if last:  # the tests that follow the last model belong to it
            spans[last] = (spans[last][0], dbt_end)
    if "audit__data_quality" in step_start:  # the Great Expectations suites on the warehouse
        spans["data quality"] = (step_start["audit__data_quality"], step_end.get("audit__data_quality", end))
    report_steps = [k for k in step_start if k not in ("landing_files", "serafin_dbt", "audit__data_quality")]
    if report_steps:
        spans["reports"] = (min(step_start[k] for k in report_steps), max(step_end.get(k, end) for k in report_steps))
    return spans, nodes
