-- The sort keys of every COMPLETE trial under its sweep's ranking: key0 to
-- key3 ascend for the first four rank keys ('desc' metrics are negated) and
-- are NULL for NaN, ±Infinity, missing metrics and absent keys, so ordering by
-- them NULLS LAST puts non-finite values last, tied with each other.
-- NOTE: only the first 4 rank keys of a ranking are used. createOrGetSweep
-- rejects longer rankings, but a sweep row written by other means is ranked
-- by its first 4 keys.
CREATE OR REPLACE VIEW trial_rank_keys AS
SELECT
  c.id AS trial_id,
  c.sweep_id,
  c.number,
  c.is_baseline,
  c.test_accuracy,
  c.overfitting_gap,
  CASE WHEN sweep_is_finite(k.key0) THEN k.key0 END AS key0,
  CASE WHEN sweep_is_finite(k.key1) THEN k.key1 END AS key1,
  CASE WHEN sweep_is_finite(k.key2) THEN k.key2 END AS key2,
  CASE WHEN sweep_is_finite(k.key3) THEN k.key3 END AS key3
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
CROSS JOIN LATERAL (
  SELECT
    sweep_trial_metric(c, cs.metric0) * cs.sign0 AS key0,
    sweep_trial_metric(c, cs.metric1) * cs.sign1 AS key1,
    sweep_trial_metric(c, cs.metric2) * cs.sign2 AS key2,
    sweep_trial_metric(c, cs.metric3) * cs.sign3 AS key3
) AS k
WHERE c.state = 'COMPLETE';

-- Every trial of every sweep with its rank by the sweep's ranking (default:
-- test accuracy descending, then overfitting gap ascending). Only COMPLETE
-- trials get a rank; NaN, ±Infinity and missing metrics rank last and tie
-- with each other. The rank is computed in a narrow subquery joined back on
-- id and sweep_id, so a filter on sweep_id reaches it and the sort stays small.
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
    r.trial_id AS id,
    r.sweep_id,
    rank() OVER (
      PARTITION BY r.sweep_id
      ORDER BY r.key0 NULLS LAST, r.key1 NULLS LAST, r.key2 NULLS LAST, r.key3 NULLS LAST
    )::integer AS rank
  FROM trial_rank_keys r
) AS ranked ON ranked.id = t.id AND ranked.sweep_id = t.sweep_id;
