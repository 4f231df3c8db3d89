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
