{#-
  A view's SQL names its tables without the warehouse's catalog: `"marts"."x"`, not `"warehouse"."marts"."x"`.
  dbt-duckdb names every relation with the warehouse file's name, and DuckDB keeps a view's SQL as written, so the
  views of a warehouse copied or renamed (a backup, a copy sent to a colleague) named a catalog that no longer exists
  (`Catalog "warehouse" does not exist` from the reports or `serafin scenario`). Without it, a view reads the tables
  of the file it is in. The rest is dbt-duckdb's own macro. Tables hold rows, not SQL, and need nothing; relations
  are not overridden in ref() and source(), which would turn dbt's static parser off for every model.
-#}
{% macro duckdb__create_view_as(relation, sql) -%}
  {% set contract_config = config.get('contract') %}
  {% if contract_config.enforced %}
    {{ get_assert_columns_equivalent(sql) }}
  {%- endif %}
  {%- set sql_header = config.get('sql_header', none) -%}

  {{ sql_header if sql_header is not none }}
  create view {{ relation }} as (
    {{ sql | replace('"' ~ relation.database ~ '"."', '"') }}
  );
{% endmacro %}
