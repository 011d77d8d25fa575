"""Property-based tests (hypothesis, issue 16): random messy CSV exports (delimiter, encoding, byte-order mark,
quoting, line endings, decimal comma, French header spellings, values holding the delimiter or quotes) read
back by the real reader to the same rows; and the dbt parsing macros (the code normaliser and the decimal
parser), rendered from dbt_project/macros/parsing.sql and run in DuckDB, on random codes and amounts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb
import jinja2
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipelines.ingestion import formats, readers
from pipelines.ingestion.mapping import map_headers
from pipelines.ingestion.schema import TABLES, header_score
from pipelines.settings import DBT_PROJECT_DIR, NOMENCLATURES_DIR

ACTIVITY = TABLES["activity"]
# French spellings of each column, as exports write them (each also in its alias list)
SPELLINGS = {
    "event_id": ["event_id", "N° événement", "Id événement", "ID_EVENEMENT"],
    "person_id": ["person_id", "Identifiant usager", "N° usager", "ID USAGER"],
    "finess_et": ["finess_et", "N° FINESS", "Finess", "FINESS établissement"],
    "professional_id": ["professional_id", "Intervenant", "Professionnel id"],
    "prestation_code": ["prestation_code", "Code prestation", "Prestation"],
    "started_at": ["started_at", "Date début", "Début"],
    "duration_min": ["duration_min", "Durée (min)", "Durée"],
}
TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éèàçôÉ -_/'\";,|",
               min_size=1, max_size=12).map(str.strip).filter(bool)
ROW = st.fixed_dictionaries({
    "event_id": TEXT, "person_id": TEXT,
    "finess_et": st.from_regex(r"69[0-9]{7}", fullmatch=True),
    "professional_id": TEXT,
    "prestation_code": st.sampled_from(["2.1.2.1", "2.2.1", "2.3.3.1", "3.1.4.2"]),
    "started_at": st.dates().map(lambda d: d.isoformat()),
    "duration_min": st.decimals(min_value=1, max_value=1440, places=2, allow_nan=False),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, min_size=1, max_size=8),
       delimiter=st.sampled_from([",", ";", "\t"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
       quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
       newline=st.sampled_from(["\n", "\r\n"]),
       decimal_comma=st.booleans(),
       spelling=st.integers(min_value=0, max_value=3))
def test_messy_csv_reads_back_to_the_same_rows(rows, delimiter, encoding, quoting, newline, decimal_comma, spelling):
    columns = list(SPELLINGS)
    headers = [SPELLINGS[c][spelling % len(SPELLINGS[c])] for c in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=newline)
    writer.writerow(headers)
    for row in rows:
        values = [str(row[c]) for c in columns]
        if decimal_comma:
            values[-1] = values[-1].replace(".", ",")
        writer.writerow(values)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "activite.csv"
        path.write_bytes(buffer.getvalue().encode(encoding))
        with duckdb.connect() as con:
            result = formats.read_any(con, path, "t", Path(tmp), header_score(ACTIVITY))
            mapping = map_headers(result.headers, ACTIVITY)
            assert not mapping.missing_required
            selected = ", ".join(f't."{mapping.columns[c]}"' for c in columns)
            got = readers.scan(con, result, lambda rows: f"select {selected} from {rows} t")  # in file order
            assert result.malformed == []
    expected = [tuple(str(r[c]) for c in columns) for r in rows]
    got = [tuple(("" if v is None else str(v)).strip() for v in g) for g in got]
    # the duration is compared as a number: a decimal comma is the parser's business, checked below
    assert [g[:-1] for g in got] == [e[:-1] for e in expected]
    assert [Decimal(g[-1].replace(",", ".")) for g in got] == [Decimal(e[-1]) for e in expected]


def _macros():
    """The parsing, portability and generic-test macros of the dbt project, rendered with plain Jinja (they use no
    dbt context but adapter.dispatch and return, given here as dbt gives them on DuckDB; a `test` block is a macro
    named test_<name>, as dbt makes it)."""
    import re

    text = "\n".join((DBT_PROJECT_DIR / "macros" / name).read_text(encoding="utf-8")
                     for name in ("parsing.sql", "portability.sql", "tests.sql"))
    text = re.sub(r"{%-?\s*test\s+(\w+)", r"{% macro test_\1", text)
    text = re.sub(r"{%-?\s*endtest\s*-?%}", "{% endmacro %}", text)

    class Namespace:
        pass

    serafin = Namespace()

    class Adapter:
        @staticmethod
        def dispatch(name, package):
            return getattr(serafin, f"duckdb__{name}", None) or getattr(serafin, f"default__{name}")

    def config(**values):  # a test's config (its fail_calc): kept for the tests to read
        serafin.test_config = values
        return ""

    module = jinja2.Environment().from_string(
        text, globals={"serafin": serafin, "adapter": Adapter, "return": lambda value: value, "config": config}).module
    serafin.__dict__.update({k: getattr(module, k) for k in dir(module) if not k.startswith("_")})
    return serafin


MACROS = _macros()
CODES = [line.split(",")[0] for line in (NOMENCLATURES_DIR / "serafin_codes.csv").read_text(
    encoding="utf-8").splitlines()[1:]]


@settings(max_examples=60, deadline=None)
@given(code=st.sampled_from(CODES), separator=st.sampled_from([" - ", " ", " : ", "  –  ", ""]),
       label=st.text(alphabet="abcdefghij éèà'-", max_size=30))
def test_a_code_followed_by_its_label_keeps_the_code(code, separator, label):
    text = code + (separator + label if separator else "")
    sql = str(MACROS.leading_code("v"))
    assert duckdb.execute(f"select {sql} from (select ? as v)", [text]).fetchone()[0] == code


@settings(max_examples=80, deadline=None)
@given(amount=st.decimals(min_value=-9_999_999, max_value=9_999_999, places=2, allow_nan=False),
       thousands=st.sampled_from(["", " ", "\u00a0", "\u202f", "."]),
       comma=st.booleans(), euro=st.sampled_from(["", " €", "\u00a0€", "€", " EUR"]))
def test_amounts_as_people_write_them(amount, thousands, comma, euro):
    sign = "-" if amount < 0 else ""
    whole, _, cents = f"{abs(amount):.2f}".partition(".")
    if thousands == "." and not comma:
        thousands = ","  # 1,234.50: thousands with a comma when the decimal mark is a point
    grouped = f"{int(whole):,}".replace(",", thousands)
    text = f"{sign}{grouped}{',' if comma else '.'}{cents}{euro}"
    sql = str(MACROS.parse_decimal("v"))
    assert duckdb.execute(f"select {sql} from (select ? as v)", [text]).fetchone()[0] == amount


LAYOUTS = {  # how exports write a date and time, and whether the layout keeps the seconds and the time
    "%Y-%m-%dT%H:%M:%S": "seconds", "%Y-%m-%d %H:%M:%S": "seconds", "%Y-%m-%dT%H:%M": "minutes",
    "%d/%m/%Y %H:%M:%S": "seconds", "%d/%m/%Y %H:%M": "minutes", "%Y-%m-%d": "date", "%d/%m/%Y": "date",
}


@settings(max_examples=120, deadline=None)
@given(moment=st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2040, 12, 31)),
       layout=st.sampled_from(sorted(LAYOUTS)), trailing=st.sampled_from(["", " ", "  "]),
       cut=st.integers(min_value=0, max_value=19))
def test_dates_and_times_as_exports_write_them(moment, layout, trailing, cut):
    """parse_timestamp reads each layout to the minute or second it holds; any shorter text (an export cut
    short) is read as such (a date alone is midnight) or is nothing: DuckDB's strptime reads past the end of a text shorter
    than its format (a crash when that text ends a memory page), so the macros put a '|' after text and format."""
    text = moment.strftime(layout)
    kept = {"seconds": moment.replace(microsecond=0), "minutes": moment.replace(second=0, microsecond=0),
            "date": dt.datetime.combine(moment.date(), dt.time())}[LAYOUTS[layout]]
    sql = str(MACROS.parse_timestamp("v"))
    trailing = "" if LAYOUTS[layout] == "date" else trailing  # a date alone is exactly 10 characters
    assert duckdb.execute(f"select {sql} from (select ? as v)", [text + trailing]).fetchone()[0] == kept
    date_sql = str(MACROS.parse_date("v"))
    assert duckdb.execute(f"select {date_sql} from (select ? as v)", [text]).fetchone()[0] == moment.date()
    short = text[:cut]  # an export cut short: the texts shorter than a format, where strptime read too far
    got = duckdb.execute(f"select {sql} from (select ? as v)", [short]).fetchone()[0]
    if cut == 10:  # the date part alone: midnight
        assert got == dt.datetime.combine(moment.date(), dt.time())
    elif cut < 8:  # too short for any layout
        assert got is None


def test_no_strptime_without_its_end_marker():
    """Every DuckDB strptime of the project goes through serafin.duckdb_strptime (the '|' after text and
    format): a new one written directly would bring the read past the end back."""
    import re

    found = []
    for path in sorted((DBT_PROJECT_DIR / "models").rglob("*.sql")) + sorted((DBT_PROJECT_DIR / "macros").rglob("*.sql")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(r"\bstrptime\(", line) and "|| '|'" not in line:
                found.append(f"{path.name}: {line.strip()}")
    assert found == []
    rendered = str(MACROS.parse_timestamp("v")) + str(MACROS.parse_date("v"))
    assert rendered.count("try_strptime(") == 8 == rendered.count("|| '|', '%")


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["a", "b", "é", None]), st.sampled_from([1, 2, None]),
                               st.sampled_from([2.5, None]), st.sampled_from(["x", None])), max_size=12),
       nullable=st.sampled_from([[], ["n"], ["code", "n"]]),
       not_null=st.sampled_from([[], ["amount"], ["amount", "code"]]))
@example(rows=[("a", 1, None, None), ("a", 1, 2.5, None), (None, None, None, "x")], nullable=["code", "n"],
         not_null=["amount", "code"])
def test_grain_finds_exactly_the_repeated_keys_and_the_nulls(rows, nullable, not_null):
    """The grain test (macros/tests.sql) finds candidates by a hash of the columns, then counts exactly: it must
    return the keys a plain GROUP BY ... HAVING count(*) > 1 returns, NULLs grouped together as GROUP BY does, and
    one row per grain column outside `nullable` that has NULLs, with their number; dbt reports the rows at fault.
    The columns of `not_null` (outside the key, or a key column also in `nullable`) are reported as the key's are;
    a column in neither list (`other`) may hold NULLs."""
    columns = ["code", "n", "amount", "other"]
    with duckdb.connect() as con:
        con.execute("create table t (code varchar, n integer, amount decimal(6, 2), other varchar)")
        if rows:
            con.executemany("insert into t values (?, ?, ?, ?)", rows)
        sql = str(MACROS.test_grain("t", ["code", "n"], nullable, not_null))
        got = sorted(con.execute(sql).fetchall(), key=repr)
        failures = con.execute(f"select {MACROS.test_config['fail_calc']} from ({sql}) as found").fetchone()[0]
    counts: dict[tuple, int] = {}
    for row in rows:
        counts[row[:2]] = counts.get(row[:2], 0) + 1
    expected = [("repeated", None, *key, n) for key, n in counts.items() if n > 1]
    required = [c for c in columns if (c in ("code", "n") and c not in nullable) or c in not_null]
    nulls = {c: sum(row[i] is None for row in rows) for i, c in enumerate(columns)}
    expected += [("null", c, None, None, nulls[c]) for c in required if nulls[c]]
    assert got == sorted(expected, key=repr)
    assert "other" not in {row[1] for row in got}
    # dbt's failure count: the rows at fault, those of each repeated key and those with a NULL (once per column)
    assert failures == sum(n for n in counts.values() if n > 1) + sum(nulls[c] for c in required)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["a", "é", None]), st.sampled_from([1, None]),
                               st.sampled_from([2.5, None])), max_size=10))
def test_not_null_columns_counts_the_nulls_of_each_column(rows):
    """The not-null test (macros/tests.sql) checks several columns in one scan: it returns one row per column that has
    NULLs, with their number, and dbt's failure count (its fail_calc) is the NULL cells in all, 0 when none."""
    columns = ["code", "n", "amount"]
    with duckdb.connect() as con:
        con.execute("create table t (code varchar, n integer, amount decimal(6, 2), other varchar)")
        if rows:
            con.executemany("insert into t values (?, ?, ?, null)", rows)
        sql = str(MACROS.test_not_null_columns("t", columns))
        got = sorted(con.execute(sql).fetchall())
        failures = con.execute(f"select {MACROS.test_config['fail_calc']} from ({sql}) as found").fetchone()[0]
    expected = sorted((name, sum(row[i] is None for row in rows)) for i, name in enumerate(columns)
                      if any(row[i] is None for row in rows))
    assert got == expected
    assert failures == sum(row.count(None) for row in rows)
