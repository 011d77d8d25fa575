"""Map a file's headers to the canonical columns of its table.

Order of precedence: the landing folder's `mappings.yaml` (per table, any header → canonical
column), then the canonical names and their French aliases (case, accents, spaces ignored).
Headers left over are personal data (never loaded, reported) or unknown (ignored, reported).

`mappings.yaml` example::

    activity:
      "Code acte SERAFIN": prestation_code
      "Intervenant (matricule)": professional_id
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import RootModel, ValidationError

from pipelines.ingestion.schema import TABLES, Table, header_key, looks_personal


@dataclass
class HeaderMapping:
    columns: dict[str, str] = field(default_factory=dict)  # canonical column -> source header
    personal: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    missing_required: list[str] = field(default_factory=list)


class CustomMappings(RootModel[dict[str, dict[str, str]]]):
    """`mappings.yaml`: {table: {source header: canonical column}}."""




def load_custom_mappings(landing: Path) -> tuple[dict[str, dict[str, str]], list[str]]:
    """The per-source header mappings of a landing folder, and the problems found in that file."""
    path = landing / "mappings.yaml"
    if not path.exists():
        return {}, []
    try:
        parsed = CustomMappings.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except (yaml.YAMLError, ValidationError) as exc:
        return {}, [f"mappings.yaml ignored: {str(exc).splitlines()[0]}"]
    out: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    for table, headers in parsed.root.items():
        if table not in TABLES:
            problems.append(f"mappings.yaml: '{table}' is not a landing table; its mappings are ignored")
            continue
        for header, column in headers.items():
            if column not in TABLES[table].column_names:
                problems.append(f"mappings.yaml: {table}: '{column}' is not a column of {table}; "
                                f"'{header}' is not renamed")
                continue
            out.setdefault(table, {})[header_key(header)] = column
    return out, problems


def map_headers(headers: list[str], table: Table, custom: dict[str, str] | None = None) -> HeaderMapping:
    custom = custom or {}
    lookup: dict[str, str] = {}
    for column in table.columns:
        for name in (column.name, *column.aliases):
            lookup.setdefault(header_key(name), column.name)
    result = HeaderMapping()
    for header in headers:
        key = header_key(header)
        target = custom.get(key) or lookup.get(key)
        if target and target not in result.columns:
            result.columns[target] = header
        elif looks_personal(header) and not (table.names_allowed and target == "name"):
            result.personal.append(header)
        else:
            result.ignored.append(header)
    result.missing_required = [c for c in table.required if c not in result.columns]
    return result
