"""What the configuration files beside the landing data share (cooperation.yaml, scenarios/*.yaml, cpom.yaml):
reading the YAML and turning a pydantic error into one line naming the file, the key path and the problem."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

FINESS_PATTERN = r"^(2A|2B|[0-9]{2})[0-9]{7}$"


class StrictModel(BaseModel):
    """A part of a configuration file: an unknown key is an error, text is trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def finess_field():
    """A FINESS number (9 characters, digits or 2A/2B for Corsica)."""
    return Field(pattern=FINESS_PATTERN)


def read_mapping(path: Path, problem: type[Exception], expected: str) -> dict:
    """The YAML mapping of `path`; an unreadable file or another top level raises `problem` with one line."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise problem(f"{path}: not a readable YAML file{where}: {reason}") from None
    if not isinstance(data, dict):
        raise problem(f"{path}: expected the keys {expected} at the top level")
    return data


def key_path(loc: tuple, skip: Collection[str] = ()) -> str:
    """pydantic's error location as the user wrote it: `objectives[2].indicator` (union member names skipped)."""
    path = ""
    for part in loc:
        if isinstance(part, str) and part in skip:
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(the file)"


def validation_problem(path: Path, exc: ValidationError, problem: type[Exception], skip: Collection[str] = (),
                       describe: Callable[[dict], str | None] | None = None,
                       other_branch: Collection[str] = ()) -> Exception:
    """One line for the first error the user meant: errors of a union branch they did not write (types in
    `other_branch`) are passed over; `describe` may word an error its own way."""
    errors = exc.errors()
    meant = [e for e in errors if e["type"] not in other_branch] or errors
    error = meant[0]
    more = f"; and {len(meant) - 1} more problem(s)" if len(meant) > 1 else ""
    given = error.get("input")
    message = (describe(error) if describe else None) or (
        "unknown key" if error["type"] == "extra_forbidden" else error["msg"])
    shown = (f" (given: {given!r})" if given is not None and not isinstance(given, dict | list)
             and not (describe and describe(error)) else "")
    return problem(f"{path}: {key_path(error['loc'], skip)}: {message}{shown}{more}")


def load_checked(path: Path, model: type[BaseModel], problem: type[Exception], expected: str, **options):
    """The file read and checked against its pydantic model; any problem as one line (`validation_problem`'s
    options: skip, describe, other_branch)."""
    data = read_mapping(path, problem, expected)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(path, exc, problem, **options) from None
