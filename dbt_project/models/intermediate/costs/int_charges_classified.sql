{#- Step 1-2 of cost-method.md. One row per class 6 ledger line: excluded, hors champ, personnel or
    other in-scope charge, its ERRD groupe and, for non-personnel charges, the section it goes to
    (explicit SERAFIN section, else the longest matching account prefix, else 3.1). -#}

with charges as (
    select finess_et, year, account, label, cast(amount as double) as amount, section, _file, _line
    from {{ ref('ledger') }}
    where substr(account, 1, 1) = '6'
      and {{ serafin.selected_years('year') }}
),

excluded as (
    select distinct c._file, c._line
    from charges as c
    inner join {{ ref('account_exclusions') }} as x on substr(c.account, 1, length(x.prefix)) = x.prefix
),

groups_ranked as (
    select
        c._file, c._line, g.errd_group, g.is_personnel,
        row_number() over (partition by c._file, c._line order by length(g.prefix) desc nulls last) as rank_
    from charges as c
    inner join {{ ref('account_groups') }} as g on substr(c.account, 1, length(g.prefix)) = g.prefix
),

sections_ranked as (
    select
        c._file, c._line, s.section,
        row_number() over (partition by c._file, c._line order by length(s.prefix) desc nulls last) as rank_
    from charges as c
    inner join {{ ref('account_sections') }} as s on substr(c.account, 1, length(s.prefix)) = s.prefix
)

select
    c.finess_et,
    c.year,
    c.account,
    c.label,
    c.amount,
    coalesce(g.errd_group, 'III') as errd_group,
    case
        when x._line is not null then 'excluded'
        when c.section = 'hors_champ' then 'hors_champ'
        when coalesce(g.is_personnel, false) then 'personnel'
        else 'other'
    end as charge_kind,
    -- where a non-personnel charge goes: explicit section, else account mapping, else 3.1
    coalesce(case when c.section <> 'hors_champ' then c.section end, s.section, '3.1') as section,
    case
        when c.section is not null and c.section <> 'hors_champ' then 'explicit section'
        when s.section is not null then 'account mapping'
        else 'default 3.1'
    end as section_source,
    c._file,
    c._line
from charges as c
left join excluded as x on x._file = c._file and x._line = c._line
left join groups_ranked as g on g._file = c._file and g._line = c._line and g.rank_ = 1
left join sections_ranked as s on s._file = c._file and s._line = c._line and s.rank_ = 1
