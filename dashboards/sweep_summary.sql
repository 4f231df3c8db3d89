-- One row per sweep: trial counts by state, the best trial (rank 1, the lowest
-- number among ties), and the improvement of the best non-baseline trial over
-- the baseline, in percentage points of test accuracy. The improvement is NULL
-- when either accuracy is missing or not finite. The best trials come from
-- trial_rank_keys in the leaderboard's order, without computing every rank.
CREATE OR REPLACE VIEW sweep_summary AS
SELECT
  s.id AS sweep_id,
  s.name AS sweep,
  s.status,
  s.created_at,
  s.finished_at,
  counts.trials,
  counts.waiting,
  counts.running,
  counts.complete,
  counts.pruned,
  counts.failed,
  counts.cancelled,
  best.trial_id AS best_trial_id,
  best.number AS best_trial,
  best.test_accuracy AS best_test_accuracy,
  best.overfitting_gap AS best_overfitting_gap,
  baseline.test_accuracy AS baseline_test_accuracy,
  CASE WHEN sweep_is_finite(best_tuned.test_accuracy) AND sweep_is_finite(baseline.test_accuracy)
    THEN (best_tuned.test_accuracy - baseline.test_accuracy) * 100
  END AS improvement_points
FROM sweeps s
CROSS JOIN LATERAL (
  SELECT
    count(*)::integer AS trials,
    count(*) FILTER (WHERE t.state = 'WAITING')::integer AS waiting,
    count(*) FILTER (WHERE t.state = 'RUNNING')::integer AS running,
    count(*) FILTER (WHERE t.state = 'COMPLETE')::integer AS complete,
    count(*) FILTER (WHERE t.state = 'PRUNED')::integer AS pruned,
    count(*) FILTER (WHERE t.state = 'FAIL')::integer AS failed,
    count(*) FILTER (WHERE t.state = 'CANCELLED')::integer AS cancelled
  FROM trials t
  WHERE t.sweep_id = s.id
) AS counts
LEFT JOIN LATERAL (
  SELECT r.trial_id, r.number, r.test_accuracy, r.overfitting_gap
  FROM trial_rank_keys r
  WHERE r.sweep_id = s.id
  ORDER BY r.key0 NULLS LAST, r.key1 NULLS LAST, r.key2 NULLS LAST, r.key3 NULLS LAST, r.number
  LIMIT 1
) AS best ON true
LEFT JOIN LATERAL (
  SELECT r.test_accuracy
  FROM trial_rank_keys r
  WHERE r.sweep_id = s.id AND NOT r.is_baseline
  ORDER BY r.key0 NULLS LAST, r.key1 NULLS LAST, r.key2 NULLS LAST, r.key3 NULLS LAST, r.number
  LIMIT 1
) AS best_tuned ON true
LEFT JOIN LATERAL (
  SELECT t.test_accuracy
  FROM trials t
  WHERE t.sweep_id = s.id AND t.is_baseline AND t.state = 'COMPLETE'
  ORDER BY CASE WHEN sweep_is_finite(t.test_accuracy) THEN t.test_accuracy END DESC NULLS LAST, t.number
  LIMIT 1
) AS baseline ON true;
