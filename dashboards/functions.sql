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

-- +1 for an ascending rank key and -1 for 'desc': multiplying a metric by it
-- turns every rank key into an ascending sort.
CREATE OR REPLACE FUNCTION sweep_order_sign(sort_order text) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE sort_order WHEN 'desc' THEN -1.0::double precision ELSE 1.0::double precision END
$$;

-- A short label of a trial's augmentation settings, 'none' when it has none.
-- It is STABLE because concat_ws is, and its body has no FROM, so PostgreSQL can inline it.
CREATE OR REPLACE FUNCTION sweep_augmentation_label(config jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT coalesce(nullif(concat_ws(',',
    CASE WHEN (config #>> '{training,augmentation,horizontal_flip}')::boolean THEN 'flip' END,
    CASE WHEN (config #>> '{training,augmentation,translation}')::double precision > 0
      THEN 'translation=' || (config #>> '{training,augmentation,translation}') END,
    CASE WHEN (config #>> '{training,augmentation,zoom}')::double precision > 0
      THEN 'zoom=' || (config #>> '{training,augmentation,zoom}') END,
    CASE WHEN (config #>> '{training,augmentation,rotation}')::double precision > 0
      THEN 'rotation=' || (config #>> '{training,augmentation,rotation}') END
  ), ''), 'none')
$$;
