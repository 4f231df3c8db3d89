-- One row per sweep: trial counts by state, the best trial (rank 1), and the
-- improvement of the best non-baseline trial over the baseline, in percentage
-- points of test accuracy. The improvement is NULL when either accuracy is
-- missing or not finite.
CREATE OR REPLACE VIEW sweep_summary AS
SELECT
  s.id AS sweep_id,
  s.name AS sweep,
  s.status,
  s.created_at,
  s.finished_at,
  coalesce(counts.trials, 0) AS trials,
  coalesce(counts.waiting, 0) AS waiting,
  coalesce(counts.running, 0) AS running,
  coalesce(counts.complete, 0) AS complete,
  coalesce(counts.pruned, 0) AS pruned,
  coalesce(counts.failed, 0) AS failed,
  coalesce(counts.cancelled, 0) AS cancelled,
  best.trial_id AS best_trial_id,
  best.number AS best_trial,
  best.test_accuracy AS best_test_accuracy,
  best.overfitting_gap AS best_overfitting_gap,
  baseline.test_accuracy AS baseline_test_accuracy,
  CASE WHEN sweep_is_finite(best_tuned.test_accuracy) AND sweep_is_finite(baseline.test_accuracy)
    THEN (best_tuned.test_accuracy - baseline.test_accuracy) * 100
  END AS improvement_points
FROM sweeps s
LEFT JOIN LATERAL (
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
) AS counts ON true
LEFT JOIN LATERAL (
  SELECT l.trial_id, l.number, l.test_accuracy, l.overfitting_gap
  FROM leaderboard l
  WHERE l.sweep_id = s.id AND l.rank IS NOT NULL
  ORDER BY l.rank, l.number
  LIMIT 1
) AS best ON true
LEFT JOIN LATERAL (
  SELECT l.test_accuracy
  FROM leaderboard l
  WHERE l.sweep_id = s.id AND l.rank IS NOT NULL AND NOT l.is_baseline
  ORDER BY l.rank, l.number
  LIMIT 1
) AS best_tuned ON true
LEFT JOIN LATERAL (
  SELECT t.test_accuracy
  FROM trials t
  WHERE t.sweep_id = s.id AND t.is_baseline AND t.state = 'COMPLETE'
  ORDER BY sweep_rank_key(t.test_accuracy, 'desc'), t.number
  LIMIT 1
) AS baseline ON true;
