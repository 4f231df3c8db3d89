-- Every trial of every sweep with its rank by the sweep's ranking (default:
-- test accuracy descending, then overfitting gap ascending). Only COMPLETE
-- trials get a rank; NaN, ±Infinity and missing metrics rank last.
-- Example: SELECT * FROM leaderboard WHERE sweep = 'finetune' ORDER BY rank NULLS LAST, number;
CREATE OR REPLACE VIEW leaderboard AS
SELECT
  t.sweep_id,
  s.name AS sweep,
  CASE WHEN t.state = 'COMPLETE' THEN
    rank() OVER (
      PARTITION BY t.sweep_id, t.state = 'COMPLETE'
      ORDER BY sweep_rank_keys(t, s.ranking)
    )
  END::integer AS rank,
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
JOIN sweeps s ON s.id = t.sweep_id;
