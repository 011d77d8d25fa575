"""A FEC or trial balance read (pipelines/ingestion/fec.py) turned into ledger rows, in DuckDB: amounts (decimal comma,
Debit/Credit or Montant/Sens, a balance's Solde with or without D/C), dates (AAAAMMJJ or JJ/MM/AAAA), the ESMS of
each line by the entity's split of comptabilite.yaml, then per file (finance-sources.md §1):

- `ledger`: per ESMS and account of class 6 or 7, Σ Debit − Σ Credit (class 6) or Σ Credit − Σ Debit (class 7), the
  year the closing date's, the label the account's most frequent CompteLib, the line its first line;
- `fec_unassigned`: the class 6 and 7 lines no rule assigns, per year, account and code, with why;
- `fec_unbalanced`: the entries (JournalCode + EcritureNum) whose debits and credits differ;
- `fec_files`: what the file is, and the Σ of its class 6 and 7 lines, which dbt checks against the two above.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pipelines.comptabilite import AccountSuffixSplit, AnalyticSplit, FileSplit, JournalSplit
from pipelines.ingestion.fec import FecFile, FecProblem, add_repaired, load_lines, open_file
from pipelines.ingestion.readers import quote_identifier
from pipelines.ingestion.schema import ROW_FILE, header_key
from pipelines.ingestion.sql_values import literal as _text

DEBIT_SIDE = ("D", "+1", "1", "+")
CREDIT_SIDE = ("C", "-1", "-")


def _amount(expr: str) -> str:
    """A text amount as decimal(18, 2): decimal comma or point, spaces ignored; empty is 0, unreadable null."""
    clean = f"replace(replace(replace(trim({expr}), ' ', ''), chr(160), ''), ',', '.')"
    return f"case when coalesce(trim({expr}), '') = '' then 0 else try_cast({clean} as decimal(18, 2)) end"


def _readable(expr: str) -> str:
    return f"(coalesce(trim({expr}), '') = '' or {_amount(expr)} is not null)"


def _date(expr: str) -> str:
    """AAAAMMJJ, JJ/MM/AAAA or AAAA-MM-JJ; the text's shape checked first (DuckDB's strptime must not read past
    a shorter text, see macros/parsing.sql)."""
    t = f"trim({expr})"
    return (f"case when regexp_full_match({t}, '[0-9]{{8}}') then cast(try_strptime({t}, '%Y%m%d') as date) "
            f"when regexp_full_match({t}, '[0-9]{{2}}/[0-9]{{2}}/[0-9]{{4}}') "
            f"then cast(try_strptime({t}, '%d/%m/%Y') as date) "
            f"when regexp_full_match({t}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') then try_cast({t} as date) end")


def _col(fec: FecFile, name: str) -> str:
    return f"l.{quote_identifier(fec.columns[name])}" if name in fec.columns else "cast(null as varchar)"


def _sides(fec: FecFile) -> tuple[str, str, str]:
    """SQL for the line's debit, credit, and the reason it cannot be read (null when it can)."""
    if {"debit", "credit"} <= set(fec.columns):
        d, c = _col(fec, "debit"), _col(fec, "credit")
        bad = (f"case when not {_readable(d)} then 'Debit ' || {d} || ' is not an amount' "
               f"when not {_readable(c)} then 'Credit ' || {c} || ' is not an amount' end")
        return _amount(d), _amount(c), bad
    value = _col(fec, "amount" if "amount" in fec.columns else "balance")
    side = f"upper(trim({_col(fec, 'direction')}))" if "direction" in fec.columns else None
    name = fec.columns.get("amount") or fec.columns["balance"]
    if side is None:  # a signed balance: positive on the debit side
        debit = f"greatest({_amount(value)}, 0)"
        credit = f"greatest(-{_amount(value)}, 0)"
        return debit, credit, f"case when not {_readable(value)} then '{name} ' || {value} || ' is not an amount' end"
    debits = ", ".join(f"'{s}'" for s in DEBIT_SIDE)
    credits = ", ".join(f"'{s}'" for s in CREDIT_SIDE)
    debit = f"case when {side} in ({debits}) then {_amount(value)} else 0 end"
    credit = f"case when {side} in ({credits}) then {_amount(value)} else 0 end"
    bad = (f"case when not {_readable(value)} then '{name} ' || {value} || ' is not an amount' "
           f"when {side} is null or {side} not in ({debits}, {credits}) then "
           f"'{fec.columns['direction']} ' || coalesce({_col(fec, 'direction')}, '(empty)') "
           f"|| ' is neither D/C nor +1/-1' end")
    return debit, credit, bad


def _split(fec: FecFile, entity) -> tuple[str, str, str, str]:
    """SQL for the line's split source (over the file's line `l`), then over the typed line `t`: its split code, its
    ledger account and its FINESS (from `{table}_map` as `m`, or given)."""
    account = "t.full_account"
    if isinstance(entity, JournalSplit):
        if fec.kind == "balance":
            raise FecProblem("comptabilite.yaml splits this entity by journal, and a trial balance has no journal: "
                             "give this file its own entry (split: file, analytic or account_suffix)")
        return f"trim({_col(fec, 'journal')})", "t.source", account, "m.finess"
    if isinstance(entity, AnalyticSplit):
        header = _analytic_header(fec, entity)
        if header is None:
            raise FecProblem(f"comptabilite.yaml names the analytic column {entity.column!r}, which this file does "
                             f"not have; its headers are: {', '.join(fec.headers)}")
        return f"nullif(trim(l.{quote_identifier(header)}), '')", "t.source", account, "m.finess"
    if isinstance(entity, AccountSuffixSplit):
        n = entity.digits
        return ("cast(null as varchar)", f"right({account}, {n})",
                f"case when length({account}) > {n} then left({account}, length({account}) - {n}) else {account} end",
                "m.finess")
    finess = f"'{entity.finess}'" if isinstance(entity, FileSplit) else "cast(null as varchar)"
    return "cast(null as varchar)", "cast(null as varchar)", account, finess


def _analytic_header(fec: FecFile, entity) -> str | None:
    """The file's header of the entity's analytic column (case and accents ignored), if it has one."""
    if not isinstance(entity, AnalyticSplit):
        return None
    return next((h for h in fec.headers if header_key(h) == header_key(entity.column)), None)


def _line_expr(fec: FecFile) -> str:
    """A row's line from its position among the lines read whole: the rejected lines before it shift it."""
    rejected = fec.rejected_lines
    if not rejected:
        return "pos + 2"
    before = ", ".join(f"({line - 2 - i})" for i, line in enumerate(rejected))
    return f"pos + 2 + (select count(*) from (values {before}) s(b) where s.b <= pos)"


def build(con, fec: FecFile, entity, table: str) -> None:
    """`{table}_parsed`: one row per line read (whole or repaired), typed, with its ESMS, or why it cannot be used."""
    source, code, account, finess = _split(fec, entity)
    debit, credit, bad = _sides(fec)
    mapping = sorted(entity.assignments().items()) if entity is not None else []
    con.execute(f"create or replace temp table {table}_map (code varchar, finess varchar)")
    if mapping:
        con.executemany(f"insert into {table}_map values (?, ?)", mapping)
    kept = ", ".join(quote_identifier(h) for h in fec.kept)
    con.execute(f"""
        create or replace temp table {table}_parsed as
        with lines as (
            select {_line_expr(fec)} as line, {kept} from (select rowid as pos, * from {table}) where __odd is null
            union all
            select _line as line, {kept} from {table}_fixed
        ), typed as (
            select l.line, trim({_col(fec, 'journal')}) as journal, trim({_col(fec, 'entry')}) as entry,
                   {_date(_col(fec, 'entry_date'))} as entry_date,
                   replace(trim({_col(fec, 'account')}), ' ', '') as full_account, {source} as source,
                   nullif(trim({_col(fec, 'account_label')}), '') as label,
                   nullif(trim({_col(fec, 'section')}), '') as section,
                   {debit} as debit, {credit} as credit,
                   coalesce({bad}, case when coalesce(trim({_col(fec, 'account')}), '') = ''
                                        then 'no account number (CompteNum)' end) as bad
            from lines l
        )
        select t.line, t.journal, t.entry, t.entry_date, t.full_account, t.label, t.section, t.debit, t.credit, t.bad,
               {code} as code, {account} as account, {finess} as finess_et
        from typed t left join {table}_map m on m.code = {code}
    """)


USED = "bad is null and left(account, 1) in ('6', '7')"  # the lines that reach the ledger or the unassigned list
SIGNED = "case when left(account, 1) = '6' then debit - credit else credit - debit end"


def closing_date(con, fec: FecFile, table: str) -> str:
    """AAAAMMJJ: the closing date of the file name, else the last entry's date (a FEC named otherwise)."""
    if fec.closing:
        return fec.closing
    last = con.execute(f"select strftime(max(entry_date), '%Y%m%d') from {table}_parsed").fetchone()[0]
    if last is None:
        what = "no date in its name (AAAAMMJJ)" + (" nor in its entries" if fec.kind == "fec" else "")
        raise FecProblem(f"the closing date of the fiscal year cannot be known: {what}; name it "
                         "<SIREN>FEC<AAAAMMJJ>.txt")
    return last


def ledger_sql(table: str, year: int, rel: str) -> str:
    """raw.ledger's rows of the file: per ESMS, account of class 6 or 7 and section (an analytic column naming
    the SERAFIN-PH section, when the file has one), its amount and the account's most frequent label."""
    return f"""
        with labels as (
            select account, first(label order by n desc, label) as label
            from (select account, label, count(*) as n from {table}_parsed
                  where {USED} and label is not null group by all)
            group by account
        )
        select a.finess_et, '{year}' as year, a.account, l.label, cast(a.amount as varchar) as amount,
               a.section, {_text(rel)} as _file, a._line
        from (select finess_et, account, section, sum({SIGNED}) as amount, min(line) as _line
              from {table}_parsed where {USED} and finess_et is not null group by all) a
        left join labels l on l.account = a.account
        order by a._line
    """


def unassigned_sql(table: str, year: int, rel: str, entity) -> str:
    """raw.fec_unassigned's rows: the class 6 and 7 lines no rule assigns, per account and code, with why."""
    kind = getattr(entity, "split", None)
    if entity is None:
        why = "'no entity of comptabilite.yaml for this file (siren or file)'"
    elif kind == "analytic":
        why = (f"case when code is null then 'no analytic code in {entity.column}' "
               f"else 'analytic code ' || code || ' is not in comptabilite.yaml' end")
    elif kind == "account_suffix":
        why = "'account suffix ' || code || ' is not in comptabilite.yaml'"
    else:
        why = "'journal ' || coalesce(code, '(empty)') || ' is not in comptabilite.yaml'"
    return f"""
        select '{year}' as year, full_account as account, first(label order by label) as label, code,
               cast(sum({SIGNED}) as varchar) as amount, cast(count(*) as varchar) as lines,
               cast(count(distinct coalesce(journal, '') || '|' || coalesce(entry, '')) as varchar) as entries,
               {why} as reason, {_text(rel)} as _file, min(line) as _line
        from {table}_parsed where {USED} and finess_et is null
        group by full_account, code order by _line
    """


def unbalanced_sql(table: str, rel: str) -> str:
    """raw.fec_unbalanced's rows: each entry whose debits and credits differ."""
    return f"""
        select journal, entry, strftime(min(entry_date), '%Y-%m-%d') as entry_date,
               cast(sum(debit) as varchar) as debit, cast(sum(credit) as varchar) as credit,
               {_text(rel)} as _file, min(line) as _line
        from {table}_parsed where bad is null and entry is not null
        group by journal, entry having sum(debit) <> sum(credit) order by _line
    """


def file_sql(table: str, fec: FecFile, closing: str, rel: str, split: str) -> str:
    """raw.fec_files's row: the file, its year and the Σ of its class 6 and 7 lines (dbt checks what went to the
    ledger and to the unassigned list against it)."""
    name = fec.path.name
    siren = name[:9] if name[:9].isdigit() else None
    entries = ("cast(count(distinct coalesce(journal, '') || '|' || coalesce(entry, '')) as varchar)"
               if fec.kind == "fec" else "cast(null as varchar)")
    return f"""
        select '{fec.kind}' as kind, {_text(siren) if siren else 'cast(null as varchar)'} as siren,
               '{closing}' as closing_date, '{closing[:4]}' as year, {_text(split)} as split,
               cast(count(*) as varchar) as lines, {entries} as entries,
               cast(coalesce(sum(case when {USED} then {SIGNED} end), 0) as varchar) as class67_amount,
               {_text(rel)} as _file, cast(1 as bigint) as _line
        from {table}_parsed
    """


def bad_lines(con, table: str) -> list[tuple[int, str | None, str | None, str]]:
    """The lines read whose amount or side cannot be read: line, column, value, reason (the value is an amount or a
    side, never a label)."""
    rows = con.execute(f"select line, bad from {table}_parsed where bad is not null order by line").fetchall()
    return [(line, None, None, reason) for line, reason in rows]


@dataclass
class FecOutcome:
    rows: int  # ledger rows written
    lines: int  # lines read
    quarantined: list[tuple[int, str | None, str | None, str]]  # line, column, value, reason
    unassigned: float  # Σ of the class 6 and 7 amounts no rule assigns
    unbalanced: int  # entries whose debits and credits differ
    message: str
    meta: dict[str, str]  # format, encoding, delimiter for raw.ingested_files


def write(con, path: Path, rel: str, workdir: Path, config, targets: dict[str, Path]) -> FecOutcome:
    """Read one file of comptabilite/ and write its rows to `targets` (table -> Parquet file): raw.ledger and the
    FEC's audit tables. Raises FecProblem when the file cannot be used at all."""
    table = "__fec_" + hashlib.sha256(rel.encode("utf-8")).hexdigest()[:12]
    fec = open_file(path, workdir, table)
    entity = config.entity_for(_plain(path.name)) if config is not None else None
    try:
        lines = load_lines(con, fec, table, _analytic_header(fec, entity))
        add_repaired(con, fec, table)
        build(con, fec, entity, table)
        closing = closing_date(con, fec, table)
        year = int(closing[:4])
        quarantined = sorted(fec.quarantined + bad_lines(con, table))
        queries = {"ledger": ledger_sql(table, year, rel), "fec_unassigned": unassigned_sql(table, year, rel, entity),
                   "fec_unbalanced": unbalanced_sql(table, rel),
                   "fec_files": file_sql(table, fec, closing, rel, getattr(entity, "split", "none"))}
        written = {}
        for name, query in queries.items():
            written[name] = con.execute(f"copy ({query}) to '{_path(targets[name])}' ({ROW_FILE})").fetchone()[0]
        unassigned, unbalanced = con.execute(
            f"select (select coalesce(sum(try_cast(amount as decimal(18, 2))), 0) from "
            f"read_parquet('{_path(targets['fec_unassigned'])}')), "
            f"(select count(*) from read_parquet('{_path(targets['fec_unbalanced'])}'))").fetchone()
    finally:
        for suffix in ("", "_fixed", "_map", "_parsed"):
            con.execute(f"drop table if exists {table}{suffix}")
    what = "FEC" if fec.kind == "fec" else "trial balance"
    message = (f"{what}, fiscal year closed {closing[6:]}/{closing[4:6]}/{closing[:4]}, {lines} lines, split "
               f"{getattr(entity, 'split', 'none: no entity of comptabilite.yaml')}; {written['ledger']} ledger rows"
               + (f", {len(fec.repaired)} line(s) repaired" if fec.repaired else ""))
    meta = {"format": fec.kind, "encoding": fec.text.encoding, "delimiter": fec.delimiter_name}
    return FecOutcome(written["ledger"], lines, quarantined, float(unassigned), unbalanced, message, meta)


def _plain(name: str) -> str:
    return name[:-3] if name.lower().endswith(".gz") else name


def _path(path: Path) -> str:
    return str(path).replace("'", "''")
