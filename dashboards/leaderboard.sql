-- Every trial of every sweep with its rank by the sweep's ranking (default:
-- test accuracy descending, then overfitting gap ascending).
-- NOTE: only the first 4 rank keys of a ranking are used. createOrGetSweep
-- rejects longer rankings, but a sweep row written by other means is ranked
-- by its first 4 keys.
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
  t.model,
  t.dense_units,
  t.unfreeze_layers,
  t.head_lr,
  t.fine_tune_lr,
  t.augmentation,
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
  -- The rank keys of each sweep, read out of its ranking once per sweep
  -- (OFFSET 0 keeps PostgreSQL from evaluating them again for every trial).
  JOIN (
    SELECT
      id,
      ranking -> 0 ->> 'metric' AS metric0,
      ranking -> 1 ->> 'metric' AS metric1,
      ranking -> 2 ->> 'metric' AS metric2,
      ranking -> 3 ->> 'metric' AS metric3,
      sweep_order_sign(ranking -> 0 ->> 'order') AS sign0,
      sweep_order_sign(ranking -> 1 ->> 'order') AS sign1,
      sweep_order_sign(ranking -> 2 ->> 'order') AS sign2,
      sweep_order_sign(ranking -> 3 ->> 'order') AS sign3
    FROM sweeps
    OFFSET 0
  ) AS cs ON cs.id = c.sweep_id
  -- Each rank key as an ascending sort value; NULL when the ranking has fewer keys.
  CROSS JOIN LATERAL (
    SELECT
      sweep_trial_metric(c, cs.metric0) * cs.sign0 AS key0,
      sweep_trial_metric(c, cs.metric1) * cs.sign1 AS key1,
      sweep_trial_metric(c, cs.metric2) * cs.sign2 AS key2,
      sweep_trial_metric(c, cs.metric3) * cs.sign3 AS key3
  ) AS k
  WHERE c.state = 'COMPLETE'
) AS ranked ON ranked.id = t.id AND ranked.sweep_id = t.sweep_id;
