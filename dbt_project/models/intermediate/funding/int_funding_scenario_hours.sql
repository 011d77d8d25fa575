{{ config(tags=['scenario']) }}
{#- The hours of int_funding_hours as each scenario sees them: its shifts applied in file order (scenarios.md:
    the share of the hours on codes under the shift's prestation delivered in from_setting moves to
    to_setting; hours with no setting never move). One row per scenario × ESMS × year × person × prestation ×
    setting. The shifts are unrolled here, one step per shift, from var scenarios. -#}
{% set scenarios = serafin.scenarios() %}
{% if not scenarios %}
select cast(null as {{ dbt.type_string() }}) as scenario, finess_et, year, person_id, prestation_code, setting, hours
from {{ ref('int_funding_hours') }}
where 1 = 0
{% else %}
with
{% for s in scenarios %}
{% set i = loop.index %}
s{{ i }}_0 as (
    select finess_et, year, person_id, prestation_code, setting, hours from {{ ref('int_funding_hours') }}
),
{% for sh in s.shifts %}
{% set matches = serafin.code_under('prestation_code', serafin.sql_text(sh.prestation)) ~ " and setting = " ~ serafin.sql_text(sh.from_setting) %}
s{{ i }}_{{ loop.index }} as (
    select finess_et, year, person_id, prestation_code, {{ serafin.sql_text(sh.to_setting) }} as setting,
           hours * {{ sh.share }} as hours
    from s{{ i }}_{{ loop.index0 }} where {{ matches }}
    union all
    select finess_et, year, person_id, prestation_code, setting, hours * (1 - {{ sh.share }})
    from s{{ i }}_{{ loop.index0 }} where {{ matches }}
    union all
    select finess_et, year, person_id, prestation_code, setting, hours
    from s{{ i }}_{{ loop.index0 }} where not ({{ matches }}) or setting is null
),
{% endfor %}
{% endfor %}
all_scenarios as (
{% for s in scenarios %}
    select {{ serafin.sql_text(s.name) }} as scenario, * from s{{ loop.index }}_{{ s.shifts | length }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
)

select scenario, finess_et, year, person_id, prestation_code, setting, sum(hours) as hours
from all_scenarios
group by scenario, finess_et, year, person_id, prestation_code, setting
{% endif %}
