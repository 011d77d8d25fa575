{#- What a run gives dbt besides the project (pipelines/dbt_build.py): the years of `serafin run --years 2024-2025`
    and the landing folder's configuration files (cooperation, scenarios, cpom, dsn_sirets). -#}

{#- A run's value: dbt's var of that name when one is passed (`dbt --vars` by hand, a unit test's overrides), else
    the JSON of the environment variable SERAFIN_VAR_<NAME> that `serafin run` sets, else `default`. An environment
    variable and not a var: dbt re-parses the whole project (about 5 s) when a var changes, but only the models that
    read an environment variable when its value changes, so that a run with other configuration files keeps the
    parse of the run before it. -#}
{% macro run_var(name, default=none) -%}
    {%- set given = var(name, none) -%}
    {%- if given is not none -%}
        {{ return(given) }}
    {%- endif -%}
    {%- set text = env_var('SERAFIN_VAR_' ~ (name | upper), '') -%}
    {{ return(fromjson(text) if text else default) }}
{%- endmacro %}

{#- A project setting (dbt_project.yml's vars small_cell_k, year_passes_above_rows): the JSON of the environment
    variable SERAFIN_VAR_<NAME> when it is set, else dbt's var (dbt_project.yml's value, or `dbt --vars`). An
    operator, or a test, changes it without dbt parsing the whole project again (see run_var). -#}
{% macro setting(name) -%}
    {%- set text = env_var('SERAFIN_VAR_' ~ (name | upper), '') -%}
    {{ return(fromjson(text) if text else var(name)) }}
{%- endmacro %}

{#- A predicate keeping the selected fiscal years; every year when none was selected. The cost models
    apply it where they read ledger, staff and activity, so a run for some years costs only those. -#}
{% macro selected_years(year_expression) -%}
    {%- set years = serafin.run_var('years', []) -%}
    {%- if years -%}
        {{ year_expression }} in ({{ years | map('int') | join(', ') }})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
