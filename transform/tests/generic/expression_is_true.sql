{#-
  Fails on rows where the boolean SQL `expression` is not true (false or null). Attach it to a
  model (`data_tests:` of the model) or to a column; `where` config narrows the rows checked.
-#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}
