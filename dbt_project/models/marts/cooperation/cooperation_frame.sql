{#- The cooperation's frame as its steering dashboard shows it (cooperation.yaml, var `cooperation`): one row per
    item: the cooperation itself (its name, and its finality as detail), each member ESMS (its role), each partner,
    each strategic objective (its label) and each operational objective (its label, and its owner). Empty when the
    landing folder has no cooperation.yaml. -#}
{% set frame = serafin.cooperation() %}
{% set rows = [] %}
{% if frame %}
{% do rows.append(('cooperation', 0, frame.get('name'), frame.get('name'), frame.get('finality'))) %}
{% for m in frame.get('members', []) %}{% do rows.append(('membre', loop.index, m, none, frame.get('roles', {}).get(m))) %}{% endfor %}
{% for p in frame.get('partners', []) %}{% do rows.append(('partenaire', loop.index, p, none, none)) %}{% endfor %}
{% for s in frame.get('strategic_objectives', []) %}{% do rows.append(('objectif_strategique', loop.index, s.id, s.label, none)) %}{% endfor %}
{% for o in frame.get('objectives', []) %}{% do rows.append(('objectif_operationnel', loop.index, o.id, o.label, o.get('owner'))) %}{% endfor %}
{% endif %}
with items as (
    {% if rows %}
    {% for kind, no, id, label, detail in rows %}
    select {{ serafin.sql_text(kind) }} as item_kind, {{ no }} as item_no, {{ serafin.sql_text(id) }} as item_id,
           {{ serafin.sql_text(label) }} as label, {{ serafin.sql_text(detail) }} as detail
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
    {% else %}
    select cast(null as {{ dbt.type_string() }}) as item_kind, 0 as item_no, cast(null as {{ dbt.type_string() }}) as item_id,
           cast(null as {{ dbt.type_string() }}) as label, cast(null as {{ dbt.type_string() }}) as detail
    where 1 = 0
    {% endif %}
)

select
    i.item_kind,
    i.item_no,
    i.item_id,
    coalesce(i.label, e.name, p.name) as label,
    coalesce(i.detail, e.category, p.kind) as detail
from items as i
left join {{ ref('establishments') }} as e on i.item_kind = 'membre' and e.finess_et = i.item_id
left join {{ ref('partners') }} as p on i.item_kind = 'partenaire' and p.partner_id = i.item_id
