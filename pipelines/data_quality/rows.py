"""The row rules' results: what the validation layer (dbt_project/models/validation/) set aside or kept with a
warning, per landing table and column, against the rows it validated. Validation decides each row's fate (a
failing row goes to audit.rejected_rows with its file, line, column, value and reason, never into core; a row
plausible but unusual is loaded and listed in audit.data_warnings); this counts them per rule (one rule per table
and column and kind: a duration out of 0–1440 minutes, unreadable or differing within an action is the rule
`activity_duration_min`, a duration differing from the end time, kept, `activity_duration_min_warning`), so that
donnees.html and Dagster's asset checks show each with its severity from nomenclatures/data_quality_checks.csv:
`warn` reports the rows, `error` stops the run when they exceed the rule's `max_failing_share` of the table's
rows (an export gone wrong, not a typing error)."""

from __future__ import annotations

import re

SAMPLE = 10  # failing rows kept per rule
_NAME = re.compile(r"^[A-Za-z_]+$")
KINDS = ("validation", "warning")  # set aside (audit.rejected_rows), kept with a warning (audit.data_warnings)


def results_query(rules: list[dict]) -> str:
    """One row per rule of the setting file: (kind, table, column), the rows validated of its table, its failing
    rows, and up to SAMPLE of them as (file, line, value, reason), the value left out for a person id column."""
    tables = sorted({r["table_name"] for r in rules})
    for name in tables + [r["column_name"] for r in rules]:
        if not _NAME.match(name):
            raise ValueError(f"nomenclatures/data_quality_checks.csv: {name!r} is not a table or column name")
    validated = " union all ".join(
        f"select '{t}' as source_table, count(*) as rows_ from validation.int_{t}__checked" for t in tables)
    listed = ", ".join(f"('{r['kind']}', '{r['table_name']}', '{r['column_name']}')" for r in rules)
    return f"""
with rules(kind, source_table, column_name) as (values {listed}),
validated as ({validated}),
found as (
    select 'validation' as kind, source_table, column_name, file, line, value, reason
    from audit.rejected_rows where column_name is not null
    union all
    select 'warning', source_table, column_name, file, line, value, warning
    from audit.data_warnings where column_name is not null
),
failing as (
    select kind, source_table, column_name, file, line,
           case when column_name = 'person_id' then null else value end as value, reason,
           row_number() over (partition by kind, source_table, column_name order by file, line) as rank_,
           count(*) over (partition by kind, source_table, column_name) as failing_rows
    from found
)
select r.kind, r.source_table, r.column_name, v.rows_, coalesce(max(f.failing_rows), 0) as failing_rows,
       list({{'file': f.file, 'line': cast(f.line as varchar), 'value': f.value, 'reason': f.reason}}
            order by f.rank_) filter (where f.rank_ <= {SAMPLE}) as sample
from rules as r
inner join validated as v on v.source_table = r.source_table
left join failing as f on f.kind = r.kind and f.source_table = r.source_table and f.column_name = r.column_name
group by all
"""


def passes(failing: int, validated: int, max_share: float) -> bool:
    """A rule passes when its failing rows are at most max_share of the rows validated (0: none may fail)."""
    return failing <= max_share * validated
