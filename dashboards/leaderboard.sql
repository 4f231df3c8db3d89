-- Every trial of every sweep with its rank by the sweep's ranking (default:
-- test accuracy descending, then overfitting gap ascending; up to 4 rank keys).
-- Only COMPLETE trials get a rank; NaN, ±Infinity and missing metrics rank
-- last and tie with each other. The rank is computed in a narrow subquery
-- joined back on id and sweep_id, so a filter on sweep_id reaches it and the
-- sort stays small.
-- Example: SELECT * FROM leaderboard WHERE sweep = 'finetune' ORDER BY rank NULLS LAST, number;
CREATE OR REPLACE VIEW leaderboard AS
SELECT
  t.sweep_id,
  s.name AS sweep,
  ranked.rank,
  t.id AS trial_id,
  t.number,
  t.state,
  t.is_baseline,
  t.test_accuracy,
  t.overfitting_gap,
  t.test_loss,
  t.best_val_accuracy,
  t.max_train_accuracy,
  t.config -> 'model' ->> 'type' AS model,
  (t.config -> 'model' -> 'head' ->> 'dense_units')::integer AS dense_units,
  coalesce((t.config -> 'training' -> 'fine_tune' ->> 'unfreeze_layers')::integer, 0) AS unfreeze_layers,
  (t.config -> 'training' -> 'head' ->> 'learning_rate')::double precision AS head_lr,
  (t.config -> 'training' -> 'fine_tune' ->> 'learning_rate')::double precision AS fine_tune_lr,
  sweep_augmentation_label(t.config) AS augmentation,
  t.head_epochs,
  t.fine_tune_epochs,
  t.total_params,
  t.trainable_params_head,
  t.trainable_params_fine_tune,
  t.duration_seconds,
  t.backend,
  t.device,
  t.attempt,
  t.error,
  t.params,
  t.config_hash,
  t.started_at,
  t.finished_at
FROM trials t
JOIN sweeps s ON s.id = t.sweep_id
LEFT JOIN (
  SELECT
    c.id,
    c.sweep_id,
    rank() OVER (
      PARTITION BY c.sweep_id
      ORDER BY
        CASE WHEN sweep_is_finite(k.key0) THEN k.key0 END NULLS LAST,
        CASE WHEN sweep_is_finite(k.key1) THEN k.key1 END NULLS LAST,
        CASE WHEN sweep_is_finite(k.key2) THEN k.key2 END NULLS LAST,
        CASE WHEN sweep_is_finite(k.key3) THEN k.key3 END NULLS LAST
    )::integer AS rank
  FROM trials c
  JOIN sweeps cs ON cs.id = c.sweep_id
  -- Each rank key as an ascending sort value; NULL when the ranking has fewer keys.
  CROSS JOIN LATERAL (
    SELECT
      sweep_trial_metric(c, cs.ranking -> 0 ->> 'metric') * sweep_order_sign(cs.ranking -> 0 ->> 'order') AS key0,
      sweep_trial_metric(c, cs.ranking -> 1 ->> 'metric') * sweep_order_sign(cs.ranking -> 1 ->> 'order') AS key1,
      sweep_trial_metric(c, cs.ranking -> 2 ->> 'metric') * sweep_order_sign(cs.ranking -> 2 ->> 'order') AS key2,
      sweep_trial_metric(c, cs.ranking -> 3 ->> 'metric') * sweep_order_sign(cs.ranking -> 3 ->> 'order') AS key3
  ) AS k
  WHERE c.state = 'COMPLETE'
) AS ranked ON ranked.id = t.id AND ranked.sweep_id = t.sweep_id;
