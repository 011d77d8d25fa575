"""`comptabilite.yaml`: how the accounts of a legal entity are split between its ESMS, and the DSN workplaces
placed by hand; read from the root of the landing folder and checked before anything is built.

The format is docs' finance-sources.md. A FEC (or a trial balance) of `comptabilite/` is matched to an entity by
its file name (`file:`) or by the SIREN its name starts with (`siren:`); the entity's `split` says which ESMS each
line belongs to:

```yaml
entities:
  - siren: "775672272"
    split: journal             # journal code -> FINESS
    journals: {ASES: "380000018", AMAS: "380000026"}
  - siren: "301234567"
    split: analytic            # an extra column of the FEC holds an analytic code
    column: CodeAnalytique
    codes: {"A01": "690000013"}
  - siren: "401234567"
    split: account_suffix      # the last N digits of CompteNum name the ESMS; the rest is the account
    digits: 2
    suffixes: {"01": "690000039"}
  - file: "501234567FEC20251231.txt"
    split: file                # the whole file is one ESMS
    finess: "690000047"
sirets:                        # DSN workplaces (SIRET, 14 digits) that establishments and the FINESS feed do not place
  "77567227200026": "380000018"
```

A bad file stops the run with one line naming the file, the key path (`entities[1].journals.ASES`) and what is
wrong. `load_comptabilite(path)` reads a given file; `load(landing)` the landing folder's, or None.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationError, field_validator, model_validator

from pipelines.config_files import FINESS_PATTERN, StrictModel, key_path, read_mapping

FILE_NAME = "comptabilite.yaml"

Finess = Annotated[str, StringConstraints(strip_whitespace=True, pattern=FINESS_PATTERN)]
Siren = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{9}$")]
Siret = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{14}$")]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class ComptabiliteProblem(Exception):
    """comptabilite.yaml cannot be used; the message names the file, the key path and what is wrong."""


def _as_text(value):
    """YAML reads `01` or `690000013` unquoted as numbers: codes and numbers are text (a leading zero kept only
    when quoted, as YAML drops it)."""
    if isinstance(value, dict):
        return {str(k): (str(v) if isinstance(v, int) and not isinstance(v, bool) else v) for k, v in value.items()}
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class _Entity(StrictModel):
    """One legal entity (the SIREN a FEC's file name starts with) or one file (its name in comptabilite/)."""

    siren: Siren | None = None
    file: str | None = None

    @field_validator("siren", mode="before")
    @classmethod
    def _siren_text(cls, value):
        return _as_text(value)

    @model_validator(mode="after")
    def _one_target(self):
        if (self.siren is None) == (self.file is None):
            raise ValueError("give either siren (the legal entity) or file (one file of comptabilite/), not both")
        return self

    def matches(self, file_name: str) -> bool:
        """Whether a file of comptabilite/ (its name, without folders) is this entity's."""
        if self.file is not None:
            return file_name == self.file or file_name.removesuffix(".gz") == self.file
        return file_name.startswith(self.siren)

    def assignments(self) -> dict[str, str]:
        """Code (journal, analytic code or account suffix) -> FINESS; empty for a whole-file split."""
        return {}


class JournalSplit(_Entity):
    split: Literal["journal"]
    journals: dict[Code, Finess] = Field(min_length=1)

    @field_validator("journals", mode="before")
    @classmethod
    def _text(cls, value):
        return _as_text(value)

    def assignments(self) -> dict[str, str]:
        return dict(self.journals)


class AnalyticSplit(_Entity):
    split: Literal["analytic"]
    column: Code
    codes: dict[Code, Finess] = Field(min_length=1)

    @field_validator("codes", mode="before")
    @classmethod
    def _text(cls, value):
        return _as_text(value)

    def assignments(self) -> dict[str, str]:
        return dict(self.codes)


class AccountSuffixSplit(_Entity):
    split: Literal["account_suffix"]
    digits: int = Field(ge=1, le=6)
    suffixes: dict[Code, Finess] = Field(min_length=1)

    @field_validator("suffixes", mode="before")
    @classmethod
    def _text(cls, value):
        return _as_text(value)

    @model_validator(mode="after")
    def _suffix_length(self):
        for suffix in self.suffixes:
            if len(suffix) != self.digits or not suffix.isdigit():
                raise ValueError(f"the suffix {suffix!r} is not {self.digits} digit(s) (digits: {self.digits}; "
                                 "quote suffixes with a leading zero: \"01\")")
        return self

    def assignments(self) -> dict[str, str]:
        return dict(self.suffixes)


class FileSplit(_Entity):
    split: Literal["file"]
    finess: Finess

    @field_validator("finess", mode="before")
    @classmethod
    def _text(cls, value):
        return _as_text(value)


Entity = Annotated[JournalSplit | AnalyticSplit | AccountSuffixSplit | FileSplit, Field(discriminator="split")]


class Comptabilite(StrictModel):
    entities: list[Entity] = Field(default_factory=list)
    sirets: dict[Siret, Finess] = Field(default_factory=dict)

    @field_validator("sirets", mode="before")
    @classmethod
    def _text(cls, value):
        return _as_text(value)

    def entity_for(self, file_name: str) -> JournalSplit | AnalyticSplit | AccountSuffixSplit | FileSplit | None:
        """The entity a file of comptabilite/ belongs to: the one naming the file, else the first whose SIREN starts
        the file name; None when no entity is given for it."""
        by_file = [e for e in self.entities if e.file is not None and e.matches(file_name)]
        by_siren = [e for e in self.entities if e.siren is not None and e.matches(file_name)]
        return (by_file or by_siren or [None])[0]


_SPLIT_KEYS = {"journal", "analytic", "account_suffix", "file"}


def _describe(error: dict) -> str | None:
    if error["type"] == "union_tag_invalid":
        return f"split must be one of {', '.join(sorted(_SPLIT_KEYS))} (given: {error['input'].get('split')!r})" \
            if isinstance(error.get("input"), dict) else None
    if error["type"] == "union_tag_not_found":
        return "split is missing (journal, analytic, account_suffix or file)"
    if error["type"] == "string_pattern_mismatch":
        loc = error["loc"]
        if "sirets" in loc:
            what = "a SIRET (14 digits)" if loc[-1] == "[key]" else "a FINESS number (9 characters)"
        elif loc and loc[-1] == "siren":
            what = "a SIREN (9 digits)"
        else:
            what = "a FINESS number (9 characters)"
        return f"{error['input']!r} is not {what}"
    if error["type"] == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return None


def load_comptabilite(path: Path) -> Comptabilite:
    """The checked file; any problem raises ComptabiliteProblem with one line (file, key path, problem)."""
    path = Path(path)
    data = read_mapping(path, ComptabiliteProblem, "entities, sirets")
    try:
        model = Comptabilite.model_validate(data)
    except ValidationError as exc:
        raise _problem(path, exc) from None
    _check_overlaps(path, model)
    return model


def _problem(path: Path, exc: ValidationError) -> ComptabiliteProblem:
    """One line for the first error: `entities[1].journals.ASES: '12' is not a FINESS number (9 characters)`. The
    split kind pydantic puts after an entity's index (the union's tag) is left out of the key path; an unknown key
    comes first (a misspelt key is why a required one is missing)."""
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")  # a misspelt key explains the rest
    error = errors[0]
    loc = tuple(part for i, part in enumerate(error["loc"])
                if part != "[key]" and not (i == 2 and error["loc"][0] == "entities" and part in _SPLIT_KEYS))
    message = _describe(error) or ("unknown key" if error["type"] == "extra_forbidden" else error["msg"])
    given = error.get("input")
    shown = (f" (given: {given!r})" if given is not None and not isinstance(given, dict | list)
             and _describe(error) is None else "")
    more = f"; and {len(errors) - 1} more problem(s)" if len(errors) > 1 else ""
    return ComptabiliteProblem(f"{path}: {key_path(loc)}: {message}{shown}{more}")


def _check_overlaps(path: Path, model: Comptabilite) -> None:
    seen: dict[str, int] = {}
    for i, entity in enumerate(model.entities):
        key = entity.file or entity.siren
        if key in seen:
            what = "file" if entity.file else "siren"
            raise ComptabiliteProblem(f"{path}: entities[{i}].{what}: {key!r} is already given at "
                                      f"entities[{seen[key]}]")
        seen[key] = i


def load(landing: Path) -> Comptabilite | None:
    """The checked comptabilite.yaml of the landing folder, or None when it has none."""
    path = Path(landing) / FILE_NAME
    return load_comptabilite(path) if path.exists() else None
