{#- Step 1-2 of cost-method.md. One row per class 6 ledger line: excluded, hors champ, personnel or
    other in-scope charge, its ERRD groupe and, for non-personnel charges, the section it goes to
    (explicit SERAFIN section, else the longest matching account prefix, else var default_section). -#}

with charges as (
    select finess_et, year, account, label, cast(amount as double) as amount, section, _file, _line
    from {{ ref('ledger') }}
    where {{ serafin.is_charge_account('account') }}
      and {{ serafin.selected_years('year') }}
),

excluded as (
    select distinct c._file, c._line
    from charges as c
    inner join {{ ref('account_exclusions') }} as x on {{ serafin.prefix_matches('c.account', 'x.prefix') }}
),

groups_ranked as (
    select
        c._file, c._line, g.errd_group, g.is_personnel,
        {{ serafin.prefix_rank('c._file, c._line', 'g.prefix') }} as rank_
    from charges as c
    inner join {{ ref('account_groups') }} as g on {{ serafin.prefix_matches('c.account', 'g.prefix') }}
),

sections_ranked as (
    select
        c._file, c._line, s.section,
        {{ serafin.prefix_rank('c._file, c._line', 's.prefix') }} as rank_
    from charges as c
    inner join {{ ref('account_sections') }} as s on {{ serafin.prefix_matches('c.account', 's.prefix') }}
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
    coalesce(case when c.section <> 'hors_champ' then c.section end, s.section, '{{ var("default_section") }}') as section,
    case
        when c.section is not null and c.section <> 'hors_champ' then 'explicit section'
        when s.section is not null then 'account mapping'
        else 'default {{ var("default_section") }}'
    end as section_source,
    c._file,
    c._line
from charges as c
left join excluded as x on x._file = c._file and x._line = c._line
left join groups_ranked as g on g._file = c._file and g._line = c._line and g.rank_ = 1
left join sections_ranked as s on s._file = c._file and s._line = c._line and s.rank_ = 1
