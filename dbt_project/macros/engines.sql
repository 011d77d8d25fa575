{#-
  What a run needs from its engine before the first model (dbt_project.yml: on-run-start).
  DuckDB: nothing, the ingestion wrote the raw schema into the warehouse file itself.
  Spark: the raw rows, exported as one Parquet folder per source table by pipelines/spark_engine.py into
  $SERAFIN_SPARK_DIR/raw, registered as external tables of the database `raw` (the sources of
  models/staging/landing/_landing__sources.yml), so the models read `raw.activity` on both engines.
-#}
{% macro register_raw_sources() %}{{ return(adapter.dispatch('register_raw_sources', 'serafin')()) }}{% endmacro %}

{% macro default__register_raw_sources() %}select 1{% endmacro %}

{% macro spark__register_raw_sources() %}
    {%- if execute -%}
        {%- set folder = env_var('SERAFIN_SPARK_DIR', 'spark') ~ '/raw' -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for source in graph.sources.values() if source.source_name == 'raw' -%}
            {%- do run_query('drop table if exists raw.' ~ source.name) -%}
            {%- do run_query("create table raw." ~ source.name ~ " using parquet location '" ~ folder ~ "/" ~ source.name ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}

{#- Seeds on Spark: dbt-spark binds each value through Python's str(), so an empty cell becomes the text 'None' and
    an apostrophe ("Moniteur d'atelier") ends the literal (an open upstream issue). The values are written as
    Spark literals instead: NULL for an empty cell, text escaped for Spark's parser. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ serafin.spark_literal(row[loop.index0]) }} as {{ type }})
                    {%- if not loop.last %},{% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}

{% macro spark_literal(value) -%}
    {%- if value is none -%}null
    {%- elif value is sameas true -%}true
    {%- elif value is sameas false -%}false
    {%- elif value is number -%}'{{ value }}'
    {%- else -%}'{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
