"""DuckDB's view of a FHIR file's lines (one resource, or one Bundle entry, per line; files.py writes them), each
numbered as the audit names it (the NDJSON line, or the Bundle entry, from 1): the Encounters typed by its JSON
reader for the SQL mapping (encounters.py), every other resource as JSON text in the objects work file
(`objects_sql`, written once in pass 1), which the index (indexing.py), the Patients and QuestionnaireResponses
(people.py) and the Python mapping (mapper.py) read.

Fast path: the JSON reader over the lines file, `with ordinality` giving the line numbers, which holds when every
line is JSON (pass 1 read them all) and none is blank (a line that is not an object is kept in its place).
Otherwise (a line that is not JSON, not an object, a blank line, a type that is not FHIR's) each line is read as
text in file order and judged, into a Parquet work file: such a line is rejected with its number, the others
mapped alike."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

from pipelines.ingestion.fhir.parts import head_limit, whole
from pipelines.ingestion.sql_values import literal as _lit

_S = "VARCHAR"
CODEABLE = {"coding": [{"system": _S, "code": _S, "display": _S}], "text": _S}
# every line is typed by this shape; an element another resource (or a non-conformant export) gives another shape is
# NULL there (the JSON reader's ignore_errors: a Group's type, a QuestionnaireResponse's identifier)
ENCOUNTER = {"resourceType": _S, "id": _S, "meta": {"profile": [_S]}, "identifier": [{"value": _S}], "status": _S,
             "class": {"code": _S}, "type": "JSON", "subject": {"reference": _S, "identifier": "JSON"},
             "participant": [{"individual": {"reference": _S}}], "period": {"start": _S, "end": _S},
             "length": {"value": _S, "unit": _S, "code": _S},
             "serviceProvider": {"reference": _S, "identifier": {"value": _S}},
             "extension": [{"url": _S, "valueBoolean": "BOOLEAN"}]}
ENTRY = {"fullUrl": _S, "resource": ENCOUNTER}
ENCOUNTER_RE = r'"resourceType"\s*:\s*"Encounter"'
# DuckDB's own default: its JSON reader holds twice this at once (a line of up to about 32 MB), and allocates it
# per read (at 64 MB, 100,000 more pages touched over the benchmark's file); a longer line makes the file go the
# slow way (read as text, `materialise`: lines of up to 64 MB)
MAX_OBJECT = 16 << 20
DELIMITER = "\x01"  # never in a JSON text: the text reader gives each line as one column


def _duck_type(shape) -> str:
    if isinstance(shape, dict):
        return "STRUCT(" + ", ".join(f'"{k}" {_duck_type(v)}' for k, v in shape.items()) + ")"
    return _duck_type(shape[0]) + "[]" if isinstance(shape, list) else shape


def _typed(part: tuple, bundle: bool) -> str:
    """One part of a staged file's lines (parts.py: path, lines before[, head]) typed by the JSON reader, numbered in
    the whole file (`ordinality`, `r`)."""
    schema = _duck_type(ENTRY if bundle else ENCOUNTER)
    return (f"(select ordinality + {part[1]} as ordinality, r from read_json({_lit(str(part[0]))}, "
            f"format='newline_delimited', records=false, columns={{'r': {_lit(schema)}}}, "
            f"maximum_object_size={MAX_OBJECT}, ignore_errors=true) with ordinality{head_limit(part)}) as t")


def _objects(part: tuple) -> str:
    return (f"(select ordinality + {part[1]} as n, json from read_ndjson_objects({_lit(str(part[0]))}, "
            f"maximum_object_size={MAX_OBJECT}) with ordinality{head_limit(part)})")


def on_own_cursor(con, *statements: str) -> None:
    """Statements run in order on a cursor of their own (another thread's connection to the same database)."""
    cursor = con.cursor()
    try:
        for sql in statements:
            cursor.execute(sql)
    finally:
        cursor.close()


_HELD: dict[int, int] = {}  # id(connection) → its database's threads while `one_thread` holds it at one


def threads_of(con) -> int:
    """The threads of the connection's database: while `one_thread` holds it at one, those it had before (what a
    file's parts are counted for)."""
    return _HELD.get(id(con)) or int(con.execute("select current_setting('threads')").fetchone()[0])


@contextmanager
def one_thread(con):
    """DuckDB on one thread per statement for the duration (its setting is the database's): statements run side by
    side, each on a cursor of its own, are then the only parallelism. A numbered read is one thread anyway, and
    DuckDB's own workers beside them cost CPU (about twice the single-thread CPU for the same reads) for no time.
    Held already (an outer block: the whole of pass 1, load_fhir.index), it sets nothing: each change of the setting
    relaunches DuckDB's workers, 20 to 35 ms of a run each time."""
    if id(con) in _HELD:
        yield
        return
    threads = int(con.execute("select current_setting('threads')").fetchone()[0])
    con.execute("set threads = 1")
    _HELD[id(con)] = threads
    try:
        yield
    finally:
        del _HELD[id(con)]
        con.execute(f"set threads = {threads}")


def side_by_side(con, statements: list[str]) -> None:
    """Run statements at once, each on a cursor of its own, DuckDB on one thread each (`one_thread`): a numbered
    read (`with ordinality`) is one thread, so the parts of a large file are read side by side."""
    if len(statements) == 1:
        con.execute(statements[0])
        return
    from concurrent.futures import ThreadPoolExecutor

    with one_thread(con), ThreadPoolExecutor(len(statements)) as pool:
        for done in [pool.submit(on_own_cursor, con, sql) for sql in statements]:
            done.result()


WORK_FILE = "format parquet, compression uncompressed, write_bloom_filter false"  # read whole: no filter to probe


def copy_to(sql: str, path: Path) -> str:
    """The COPY of a query's rows to a Parquet work file (no bloom filters: about a tenth of the writing)."""
    return f"copy ({sql}) to {_lit(str(path))} ({WORK_FILE})"


def work_files(folder: Path, sqls: list[str]) -> list[str]:
    """One COPY per query of `sqls`, each to its own Parquet file of `folder` (emptied first)."""
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return [copy_to(sql, folder / f"{k}.parquet") for k, sql in enumerate(sqls)]


def _derive(source: str, bundle: bool, keep: str = "") -> str:
    """The columns of each `line` of `source` (a resource, or a Bundle entry when `bundle`), judged: problem (blank,
    json, object), full_url, kind, enc (an Encounter, typed), raw (any other resource's JSON text)."""
    schema = _lit(json.dumps(ENTRY if bundle else ENCOUNTER))
    resource = "t.resource" if bundle else "t"
    raw = "json_extract(line, '$.resource')::VARCHAR" if bundle else "line"
    return f"""select {keep}
        case when line is null or trim(line) = '' then 'blank'
             when not json_valid(line) then 'json'
             when json_type(line) <> 'OBJECT' then 'object' end as problem,
        {'t.fullUrl' if bundle else 'cast(null as varchar)'} as full_url,
        {resource}.resourceType as kind,
        case when {resource}.resourceType = 'Encounter' then {resource} end as enc,
        case when {resource}.resourceType is distinct from 'Encounter' then {raw} end as raw
    from (select *, case when json_valid(line) and json_type(line) = 'OBJECT'
                         then json_transform(line, {schema}) end as t from {source})"""


def materialise(con, staged) -> None:
    """The slow path: each line read as text, in order, judged and parsed into the Parquet work file."""
    text = staged.parquet.with_suffix(".text.parquet")
    staged.parts = [whole(part, staged.parquet.with_suffix(".lines")) for part in staged.parts]  # read whole, as text
    files = "[" + ", ".join(_lit(str(path)) for path, _ in staged.parts) + "]"  # read in order
    read = (f"read_csv({files}, columns={{'line': 'VARCHAR'}}, delim={_lit(DELIMITER)}, quote='', "
            "escape='', header=false, auto_detect=false, strict_mode=false, max_line_size=67108864)")
    con.execute(f"copy (select line from {read}) to {_lit(str(text))} (format parquet, preserve_order true)")
    numbered = f"(select file_row_number + 1 as n, line from read_parquet({_lit(str(text))}, file_row_number = true))"
    con.execute(f"copy ({_derive(numbered, staged.bundle, keep='n,')}) to {_lit(str(staged.parquet))} "
                "(format parquet)")
    text.unlink(missing_ok=True)
    staged.fast = False


# a line whose first key is resourceType "Encounter" (a Bundle entry's: fullUrl first, then the resource's): an
# Encounter, known without parsing the line (the other lines are parsed to read their type)
ENCOUNTER_FIRST = r'^\s*\{\s*"resourceType"\s*:\s*"Encounter"'
ENTRY_ENCOUNTER_FIRST = (r'^\s*\{\s*("fullUrl"\s*:\s*"[^"\\]*"\s*,\s*)?"resource"\s*:\s*\{\s*'
                         r'"resourceType"\s*:\s*"Encounter"')

# the openings most writers give an Encounter's line, checked before the regular expression (far cheaper)
OPENINGS = ('{"resourceType":"Encounter"', '{"resourceType": "Encounter"')
ENTRY_OPENINGS = tuple(f'{{"resource":{sep}{o}' for o in OPENINGS for sep in ("", " "))


def objects_sql(staged, part: tuple | None = None) -> str:
    """Every entry but the file's own Encounters (those are typed by `encounters_sqls`) of one part of its lines
    (every line when the file went the slow way), as (n, sub, full_url, kind, raw, problem): a resource's JSON text
    and type, the entries of an NDJSON line holding a Bundle each numbered by the line (sub: its rank, from 1; their
    Encounters too), a line that is not JSON or not an object with its problem (`json`, `object`). Written once per
    file to `staged.objects` (pass 1), read by every later step; the lines are read once."""
    bundle = staged.bundle
    kind_path = "$.resource.resourceType" if bundle else "$.resourceType"
    first = ENTRY_ENCOUNTER_FIRST if bundle else ENCOUNTER_FIRST
    if part is not None:  # every line is JSON (the reader checked): an object when it opens with a brace
        source = (f"select n, case when prefix(json, '{{') then null when not regexp_matches(json, '^\\s*\\{{') "
                  "then 'object' end as problem, json "
                  f"from {_objects(part)}")
    else:
        source = (f"select n, problem, raw as json from read_parquet({_lit(str(staged.parquet))}) "
                  "where problem is distinct from 'blank' and kind is distinct from 'Encounter'")
    opening = " or ".join(f"prefix(json, {_lit(p)})" for p in (ENTRY_OPENINGS if bundle else OPENINGS))
    kind = (f"case when problem is not null then null when {opening} then 'Encounter' "
            f"when regexp_matches(left(json, 300), {_lit(first)}) then 'Encounter' "
            f"else json_extract_string(json, '{kind_path}') end")
    own = (f"{{'sub': 0::BIGINT, 'full_url': {'json_extract_string(json, ' + _lit('$.fullUrl') + ')' if bundle else 'null::VARCHAR'}, "
           f"'kind': kind, 'raw': {'json_extract(json, ' + _lit('$.resource') + ')::VARCHAR' if bundle else 'json'}}}")
    entries = ("list_transform(json_extract(json, '$.entry[*]'), (v, i) -> {'sub': i::BIGINT, "
               "'full_url': json_extract_string(v, '$.fullUrl'), 'kind': json_extract_string(v, "
               "'$.resource.resourceType'), 'raw': json_extract(v, '$.resource')::VARCHAR})")
    each = f"[{own}]" if bundle else f"case when kind = 'Bundle' then {entries} else [{own}] end"
    return f"""select n, x.sub, x.full_url, x.kind, x.raw, problem
        from (select n, problem, unnest({each}) as x
              from (select n, problem, json, {kind} as kind from ({source})) where kind is distinct from 'Encounter')"""


def write_objects(con, staged) -> None:
    """The objects work files (`objects_sql`), one per part of the lines, written side by side (unless they were
    written as a Bundle was cut: `typed_early`)."""
    if staged.typed_early:
        return
    sqls = [objects_sql(staged, part) for part in staged.parts] if staged.fast else [objects_sql(staged)]
    side_by_side(con, work_files(staged.objects, sqls))


def _read_objects(staged) -> str:
    return f"read_parquet({_lit(str(staged.objects / '*.parquet'))})"


def part_encounters_sql(bundle: bool, part: tuple) -> str:
    """The Encounter entries of one part of the lines (n, sub 0, enc), typed by the JSON reader."""
    resource = "t.r.resource" if bundle else "t.r"
    return (f"select t.ordinality as n, 0 as sub, {resource} as enc from {_typed(part, bundle)} "
            f"where {resource}.resourceType = 'Encounter'")


def encounters_sqls(staged) -> list[str]:
    """Every Encounter entry (n, its rank inside an NDJSON line holding a Bundle: sub, else 0, and enc): one query
    per part of the lines (or one over the slow path's lines), and one for the Encounters inside Bundle lines."""
    if staged.fast:
        plain = [part_encounters_sql(staged.bundle, part) for part in staged.parts]
    else:
        plain = [f"select n, 0 as sub, enc from read_parquet({_lit(str(staged.parquet))}) "
                 "where problem is null and kind = 'Encounter'"]
    if staged.bundle:
        return plain
    inner = (f"select n, sub, json_transform(raw, {_lit(json.dumps(ENCOUNTER))}) as enc from {_read_objects(staged)} "
             "where kind = 'Encounter'")
    return [*plain, inner]


def python_rows_sql(staged, kinds: set[str]) -> str:
    """The entries the Python mapping reads (n, full_url, raw, problem), in order: those of `kinds`, those without
    a resourceType and the lines that are not JSON objects (each rejected with its number)."""
    listed = ", ".join(_lit(k) for k in sorted(kinds))
    return (f"select n, full_url, raw, case problem when 'json' then 'line ' || n || ' is not JSON' "
            f"when 'object' then 'line ' || n || ' is not a JSON object' end "
            f"from {_read_objects(staged)} where problem is not null or kind is null or kind in ({listed}) "
            "order by n, sub")


def of_kind_sql(staged, kind: str) -> str:
    """The resources of one type (n, sub, full_url, raw), in order."""
    return (f"select n, sub, full_url, raw from {_read_objects(staged)} where problem is null and kind = {_lit(kind)}")


def kind_counts_sql(staged, kinds: set[str]) -> str:
    """How many resources of each type but `kinds`, the Encounters and Bundle lines (counted for the ingestion
    log's note: the Python mapping does not read them)."""
    listed = ", ".join(_lit(k) for k in sorted({*kinds, "Encounter", "Bundle"}))
    return (f"select kind, count(*) from {_read_objects(staged)} where problem is null and kind not in ({listed}) "
            "group by 1")
