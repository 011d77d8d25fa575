"""The method lives in the repository: every document the code, the models or the tests cite is in `docs/` (or at the
root), and every link of the README and of `docs/` reaches a file."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.conftest import ROOT

ROOT = ROOT
CITED = re.compile(r"(?<![\w/.-])([a-z][a-z0-9_-]*\.md)\b")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / line for line in out.stdout.splitlines()]


def test_every_document_the_code_cites_is_in_docs():
    known = {p.name for p in (ROOT / "docs").glob("*.md")} | {"readme.md", "contributing.md", "results.md"}
    missing = {}
    for path in _tracked("pipelines", "reports", "dbt_project", "nomenclatures", "benchmarks", "tests"):
        if path.suffix not in {".py", ".sql", ".yml", ".yaml", ".csv"} or not path.exists():
            continue
        for name in CITED.findall(path.read_text(encoding="utf-8", errors="replace")):
            if name.lower() not in {k.lower() for k in known}:
                missing.setdefault(name, []).append(str(path.relative_to(ROOT)))
    assert not missing, f"documents cited but not in docs/: {missing}"


def test_readme_and_docs_links_reach_a_file():
    broken = []
    for doc in [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in LINK.findall(doc.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert not broken, broken


def test_readme_is_a_map():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines: move the detail into docs/"
