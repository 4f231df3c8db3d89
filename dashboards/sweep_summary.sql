-- One row per sweep: trial counts by state, the best trial (rank 1, the lowest
-- number among ties), and the improvement of the best non-baseline trial over
-- the baseline, in percentage points of test accuracy. The improvement is NULL
-- when either accuracy is missing or not finite. The leaderboard is read once
-- per sweep.
CREATE OR REPLACE VIEW sweep_summary AS
SELECT
  s.id AS sweep_id,
  s.name AS sweep,
  s.status,
  s.created_at,
  s.finished_at,
  coalesce(board.trials, 0) AS trials,
  coalesce(board.waiting, 0) AS waiting,
  coalesce(board.running, 0) AS running,
  coalesce(board.complete, 0) AS complete,
  coalesce(board.pruned, 0) AS pruned,
  coalesce(board.failed, 0) AS failed,
  coalesce(board.cancelled, 0) AS cancelled,
  board.best_trial_id,
  board.best_trial,
  board.best_test_accuracy,
  board.best_overfitting_gap,
  board.baseline_test_accuracy,
  CASE WHEN sweep_is_finite(board.best_tuned_test_accuracy) AND sweep_is_finite(board.baseline_test_accuracy)
    THEN (board.best_tuned_test_accuracy - board.baseline_test_accuracy) * 100
  END AS improvement_points
FROM sweeps s
LEFT JOIN LATERAL (
  SELECT
    count(*)::integer AS trials,
    count(*) FILTER (WHERE l.state = 'WAITING')::integer AS waiting,
    count(*) FILTER (WHERE l.state = 'RUNNING')::integer AS running,
    count(*) FILTER (WHERE l.state = 'COMPLETE')::integer AS complete,
    count(*) FILTER (WHERE l.state = 'PRUNED')::integer AS pruned,
    count(*) FILTER (WHERE l.state = 'FAIL')::integer AS failed,
    count(*) FILTER (WHERE l.state = 'CANCELLED')::integer AS cancelled,
    (array_agg(l.trial_id ORDER BY l.rank, l.number) FILTER (WHERE l.rank IS NOT NULL))[1] AS best_trial_id,
    (array_agg(l.number ORDER BY l.rank, l.number) FILTER (WHERE l.rank IS NOT NULL))[1] AS best_trial,
    (array_agg(l.test_accuracy ORDER BY l.rank, l.number) FILTER (WHERE l.rank IS NOT NULL))[1] AS best_test_accuracy,
    (array_agg(l.overfitting_gap ORDER BY l.rank, l.number) FILTER (WHERE l.rank IS NOT NULL))[1] AS best_overfitting_gap,
    (array_agg(l.test_accuracy ORDER BY l.rank, l.number) FILTER (WHERE l.rank IS NOT NULL AND NOT l.is_baseline))[1]
      AS best_tuned_test_accuracy,
    (array_agg(l.test_accuracy ORDER BY CASE WHEN sweep_is_finite(l.test_accuracy) THEN l.test_accuracy END DESC NULLS LAST, l.number)
      FILTER (WHERE l.is_baseline AND l.state = 'COMPLETE'))[1] AS baseline_test_accuracy
  FROM leaderboard l
  WHERE l.sweep_id = s.id
) AS board ON true;
