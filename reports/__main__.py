"""`python -m reports MODULE:FUNCTION WAREHOUSE OUT_DIR`: build one page (the report step of the pipeline,
pipelines/defs/reports.py, runs each page so, in parallel) and print the path it wrote."""

import importlib
import sys
from pathlib import Path


def build_page(builder: str, warehouse: str, out_dir: str) -> str:
    """Run one page's builder (`reports.module:function(warehouse, out_dir) -> path`): the path it wrote."""
    module, function = builder.split(":")
    return str(getattr(importlib.import_module(module), function)(Path(warehouse), Path(out_dir)))


if __name__ == "__main__":
    print(build_page(*sys.argv[1:4]))
