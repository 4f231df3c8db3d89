-- Test accuracy and overfitting gap per value of one setting, over the
-- finished (COMPLETE) trials of each sweep. Means and maxima skip NaN and
-- ±Infinity; `non_finite` counts the trials they skipped. The baseline trial
-- is left out because it is a different model.

CREATE OR REPLACE VIEW summary_by_unfrozen_layers AS
SELECT
  sweep_id,
  sweep,
  unfreeze_layers,
  count(*)::integer AS trials,
  count(*) FILTER (WHERE NOT sweep_is_finite(test_accuracy))::integer AS non_finite,
  avg(test_accuracy) FILTER (WHERE sweep_is_finite(test_accuracy)) AS mean_test_accuracy,
  max(test_accuracy) FILTER (WHERE sweep_is_finite(test_accuracy)) AS max_test_accuracy,
  avg(overfitting_gap) FILTER (WHERE sweep_is_finite(overfitting_gap)) AS mean_overfitting_gap,
  min(overfitting_gap) FILTER (WHERE sweep_is_finite(overfitting_gap)) AS min_overfitting_gap
FROM leaderboard
WHERE state = 'COMPLETE' AND NOT is_baseline
GROUP BY sweep_id, sweep, unfreeze_layers;

CREATE OR REPLACE VIEW summary_by_dense_units AS
SELECT
  sweep_id,
  sweep,
  dense_units,
  count(*)::integer AS trials,
  count(*) FILTER (WHERE NOT sweep_is_finite(test_accuracy))::integer AS non_finite,
  avg(test_accuracy) FILTER (WHERE sweep_is_finite(test_accuracy)) AS mean_test_accuracy,
  max(test_accuracy) FILTER (WHERE sweep_is_finite(test_accuracy)) AS max_test_accuracy,
  avg(overfitting_gap) FILTER (WHERE sweep_is_finite(overfitting_gap)) AS mean_overfitting_gap,
  min(overfitting_gap) FILTER (WHERE sweep_is_finite(overfitting_gap)) AS min_overfitting_gap
FROM leaderboard
WHERE state = 'COMPLETE' AND NOT is_baseline
GROUP BY sweep_id, sweep, dense_units;

CREATE OR REPLACE VIEW summary_by_fine_tune_lr AS
SELECT
  sweep_id,
  sweep,
  fine_tune_lr,
  count(*)::integer AS trials,
  count(*) FILTER (WHERE NOT sweep_is_finite(test_accuracy))::integer AS non_finite,
  avg(test_accuracy) FILTER (WHERE sweep_is_finite(test_accuracy)) AS mean_test_accuracy,
  max(test_accuracy) FILTER (WHERE sweep_is_finite(test_accuracy)) AS max_test_accuracy,
  avg(overfitting_gap) FILTER (WHERE sweep_is_finite(overfitting_gap)) AS mean_overfitting_gap,
  min(overfitting_gap) FILTER (WHERE sweep_is_finite(overfitting_gap)) AS min_overfitting_gap
FROM leaderboard
WHERE state = 'COMPLETE' AND NOT is_baseline
GROUP BY sweep_id, sweep, fine_tune_lr;

CREATE OR REPLACE VIEW summary_by_augmentation AS
SELECT
  sweep_id,
  sweep,
  augmentation,
  count(*)::integer AS trials,
  count(*) FILTER (WHERE NOT sweep_is_finite(test_accuracy))::integer AS non_finite,
  avg(test_accuracy) FILTER (WHERE sweep_is_finite(test_accuracy)) AS mean_test_accuracy,
  max(test_accuracy) FILTER (WHERE sweep_is_finite(test_accuracy)) AS max_test_accuracy,
  avg(overfitting_gap) FILTER (WHERE sweep_is_finite(overfitting_gap)) AS mean_overfitting_gap,
  min(overfitting_gap) FILTER (WHERE sweep_is_finite(overfitting_gap)) AS min_overfitting_gap
FROM leaderboard
WHERE state = 'COMPLETE' AND NOT is_baseline
GROUP BY sweep_id, sweep, augmentation;

-- The same figures for every search-space parameter, by name and value, from
-- each trial's `params`. `value` is the JSON value as text.
-- Example: SELECT * FROM param_summary WHERE sweep = 'finetune' AND param = 'lr';
CREATE OR REPLACE VIEW param_summary AS
SELECT
  l.sweep_id,
  l.sweep,
  p.key AS param,
  p.value #>> '{}' AS value,
  count(*)::integer AS trials,
  count(*) FILTER (WHERE NOT sweep_is_finite(l.test_accuracy))::integer AS non_finite,
  avg(l.test_accuracy) FILTER (WHERE sweep_is_finite(l.test_accuracy)) AS mean_test_accuracy,
  max(l.test_accuracy) FILTER (WHERE sweep_is_finite(l.test_accuracy)) AS max_test_accuracy,
  avg(l.overfitting_gap) FILTER (WHERE sweep_is_finite(l.overfitting_gap)) AS mean_overfitting_gap,
  min(l.overfitting_gap) FILTER (WHERE sweep_is_finite(l.overfitting_gap)) AS min_overfitting_gap
FROM leaderboard l
CROSS JOIN LATERAL jsonb_each(l.params) AS p
WHERE l.state = 'COMPLETE' AND NOT l.is_baseline
GROUP BY l.sweep_id, l.sweep, p.key, p.value;
