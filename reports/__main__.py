"""`python -m reports WAREHOUSE OUT_DIR MODULE:FUNCTION...`: build pages one after the other in this process (the
report step of the pipeline, pipelines/defs/reports.py, runs one such process per core, each with its share of the
pages) and print one JSON line per page: {"builder", "path"} when written, {"builder", "error"} when its builder
raised (the error's last line); a page that fails does not stop the next."""

import importlib
import json
import sys
import traceback
from pathlib import Path


def build_page(builder: str, warehouse: str, out_dir: str) -> str:
    """Run one page's builder (`reports.module:function(warehouse, out_dir) -> path`): the path it wrote."""
    module, function = builder.split(":")
    return str(getattr(importlib.import_module(module), function)(Path(warehouse), Path(out_dir)))


def build_pages(warehouse: str, out_dir: str, builders: list[str]) -> None:
    for builder in builders:
        try:
            outcome = {"builder": builder, "path": build_page(builder, warehouse, out_dir)}
        except Exception as exc:  # the page's own error; the next page is built all the same
            lines = [line for line in traceback.format_exception_only(exc)[-1].splitlines() if line.strip()]
            outcome = {"builder": builder, "error": lines[-1] if lines else type(exc).__name__}
        print(json.dumps(outcome, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    build_pages(sys.argv[1], sys.argv[2], sys.argv[3:])
