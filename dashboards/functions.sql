-- Functions that the views below use, created by migrations/0002_result_views.ts.

-- The value of one rankable metric of a trial, by column name; NULL for an unknown name.
CREATE OR REPLACE FUNCTION sweep_trial_metric(t trials, metric text) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE metric
    WHEN 'test_accuracy' THEN t.test_accuracy
    WHEN 'test_loss' THEN t.test_loss
    WHEN 'best_val_accuracy' THEN t.best_val_accuracy
    WHEN 'max_train_accuracy' THEN t.max_train_accuracy
    WHEN 'overfitting_gap' THEN t.overfitting_gap
    WHEN 'duration_seconds' THEN t.duration_seconds
    WHEN 'total_params' THEN t.total_params::double precision
    WHEN 'train_images_per_second' THEN t.train_images_per_second
    WHEN 'inference_images_per_second' THEN t.inference_images_per_second
  END
$$;

-- An ascending sort key: the value for 'asc', its negation for 'desc', and
-- +Infinity for NULL, NaN and ±Infinity, so that those always sort last.
CREATE OR REPLACE FUNCTION sweep_rank_key(value double precision, sort_order text) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN NOT sweep_is_finite(value) THEN 'Infinity'::double precision
    WHEN sort_order = 'desc' THEN -value
    ELSE value
  END
$$;

-- A short label of a trial's augmentation settings, 'none' when it has none.
CREATE OR REPLACE FUNCTION sweep_augmentation_label(config jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT coalesce(nullif(concat_ws(',',
    CASE WHEN (a ->> 'horizontal_flip')::boolean THEN 'flip' END,
    CASE WHEN (a ->> 'translation')::double precision > 0 THEN 'translation=' || (a ->> 'translation') END,
    CASE WHEN (a ->> 'zoom')::double precision > 0 THEN 'zoom=' || (a ->> 'zoom') END,
    CASE WHEN (a ->> 'rotation')::double precision > 0 THEN 'rotation=' || (a ->> 'rotation') END
  ), ''), 'none')
  FROM (SELECT config -> 'training' -> 'augmentation' AS a) AS settings
$$;

-- The sort key of a trial under a sweep's ranking (a JSON array of
-- {"metric", "order"}): one sweep_rank_key per rank key, in order. Arrays
-- compare element by element, so later keys break ties of earlier ones.
CREATE OR REPLACE FUNCTION sweep_rank_keys(t trials, ranking jsonb) RETURNS double precision[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT array_agg(sweep_rank_key(sweep_trial_metric(t, k.value ->> 'metric'), k.value ->> 'order') ORDER BY k.position)
  FROM jsonb_array_elements(ranking) WITH ORDINALITY AS k(value, position)
$$;
