"""Why a run failed, as one line: the reconciliation gate's own message, else the first failing dbt node (its
run_results.json, else its JSON log), else the first failed step's error, a crash of dbt's process said as such.

Nothing here knows Dagster: pipelines/run.py hands over each failed step's key and error lines."""

from __future__ import annotations

from pathlib import Path

from pipelines import settings

# a node's status in dbt's log while it runs (dbt's RunningStatus); its result line carries the result's instead
RUNNING = ("started", "compiling", "executing")
GATE_TEST = "assert_costs_reconcile_to_ledger"  # its failing rows carry the one-line reason (`message`)


def gate_reason(warehouse: Path) -> str | None:
    """The reconciliation gate's own one-line message, from the rows its dbt test stored (store_failures)."""
    import duckdb

    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(f"select message from audit.{GATE_TEST} order by finess_et, year").fetchall()
    except duckdb.Error:
        return None
    if not rows:
        return None
    more = f" (and {len(rows) - 1} more ESMS-years)" if len(rows) > 1 else ""
    return rows[0][0] + more


def dbt_failure(target: Path) -> str | None:
    """The first failing dbt node of the build (run_results.json of its target folder), as one line."""
    import json

    try:
        results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    except (OSError, ValueError, KeyError):  # dbt wrote no results: it stopped before the end
        return _dbt_log_error(target)
    failed = [r for r in results if r.get("status") in ("error", "fail", "runtime error")]
    if not failed:
        return None
    first = failed[0]
    parts = first["unique_id"].split(".")  # model.serafin.name, test.serafin.name.hash, unit_test.serafin.model.name
    kind, name = parts[0], parts[2] if parts[0] == "test" else parts[-1]
    message = " ".join((first.get("message") or first["status"]).split())[:300]
    more = f" (and {len(failed) - 1} more failing dbt nodes)" if len(failed) > 1 else ""
    return f"dbt {kind.replace('_', ' ')} {name} {first['status']}: {message}{more}"


def _dbt_log_error(target: Path) -> str | None:
    """The last error dbt logged (its JSON log, dbt.log), when it stopped before any node failed: a project or
    selection error, a crash."""
    import json

    last = None
    try:
        with (target / "dbt.log").open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if '"error"' not in line:
                    continue
                try:
                    info = json.loads(line).get("info", {})
                except ValueError:
                    continue
                if info.get("level") == "error" and info.get("msg"):
                    last = info["msg"]
    except OSError:
        return None
    return f"dbt stopped: {' '.join(last.split())[:300]}" if last else None


def failure_reason(step_errors: list[tuple[str, list[str]]], warehouse: Path, kept_log: Path | None = None) -> str:
    """One line for a failed run: the gate's message, else the first failing dbt node, else the first failed step's
    error (`step_errors`: each failed step's key and its error's lines, in the order they failed; a crash of dbt's
    process said as such). When dbt stopped without a failing node, the line ends with where its log is kept
    (`kept_log`: the build folder, which dbt's own message names, goes)."""
    gate = gate_reason(warehouse)
    if gate:
        return gate
    log_note = f"; dbt's log: {kept_log}" if kept_log else ""
    dbt = dbt_failure(warehouse.parent / "dbt")
    if dbt:
        return dbt + (log_note if dbt.startswith("dbt stopped") else "")
    for step_key, message in step_errors:
        crash = dbt_crash(message, warehouse.parent / "dbt" / "dbt.log")
        if crash:
            return crash + log_note
        code = next((m.strip() for m in message if "exit code" in m), "")  # dbt's, when it ended abruptly
        return f"step {step_key} failed: {message[0] if message else 'unknown error'}" + (
            f" ({code})" if code and code not in message[:1] else "") + (
            log_note if step_key == "serafin_dbt" else "")
    return "the run failed (run again with -v to see each step)"


def dbt_crash(message: list[str], log: Path) -> str | None:
    """When dbt's process was killed by a signal (dagster-dbt's message: exit code `-11`): which signal, and the
    nodes dbt was running then (its JSON log: each node started without its result)."""
    import json
    import re
    import signal

    found = re.search(r"exit code `?-(\d+)", " ".join(message))
    if not found:
        return None
    number = int(found.group(1))
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    running: dict[str, None] = {}
    try:
        with log.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if '"node_info"' not in line:
                    continue
                try:
                    event = json.loads(line)
                    info = event["data"]["node_info"]
                    node = info["unique_id"].split(".")
                except (ValueError, KeyError, TypeError, AttributeError):
                    continue
                label = node[2] if node[0] == "test" else node[-1]
                # a node's start (LogStartLine at info level; NodeStart and the lines of its queries at debug level)
                # and its end (its result line, NodeFinished): its status then is the result's
                if event.get("info", {}).get("name") == "NodeStart" or info.get("node_status") in RUNNING:
                    running[label] = None
                else:
                    running.pop(label, None)
    except OSError:
        pass
    where = f" while building {', '.join(running)}" if running else ""
    if name == "SIGKILL":  # the kernel's out-of-memory killer, or someone
        return (f"dbt's process was killed (SIGKILL){where}: out of memory, or stopped by hand; a lower "
                f"{settings.DUCKDB_MEMORY_ENV} leaves DuckDB less memory and more spilling")
    return f"dbt's process was killed by {name}{where}: a crash, not an error in the data (run again)"
