import { sql, type Kysely } from 'kysely';

/*
 * Views for people: the leaderboard, per-setting summaries and the sweep
 * summary, and the functions they use. The same statements are saved in
 * dashboards/*.sql for psql and Grafana users; test/storage/views.test.ts
 * checks that both create identical objects. A later change to a view needs a
 * new migration and the same change in dashboards/.
 */

const statements: readonly string[] = [
  `
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
    $$
  `,
  `
    CREATE OR REPLACE FUNCTION sweep_order_sign(sort_order text) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
      SELECT CASE sort_order WHEN 'desc' THEN -1.0::double precision ELSE 1.0::double precision END
    $$
  `,
  `
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
    ) AS ranked ON ranked.id = t.id AND ranked.sweep_id = t.sweep_id
  `,
  `
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
    GROUP BY sweep_id, sweep, unfreeze_layers
  `,
  `
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
    GROUP BY sweep_id, sweep, dense_units
  `,
  `
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
    GROUP BY sweep_id, sweep, fine_tune_lr
  `,
  `
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
    GROUP BY sweep_id, sweep, augmentation
  `,
  `
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
    GROUP BY l.sweep_id, l.sweep, p.key, p.value
  `,
  `
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
    ) AS board ON true
  `,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP VIEW sweep_summary`.execute(db);
  await sql`DROP VIEW param_summary`.execute(db);
  await sql`DROP VIEW summary_by_augmentation`.execute(db);
  await sql`DROP VIEW summary_by_fine_tune_lr`.execute(db);
  await sql`DROP VIEW summary_by_dense_units`.execute(db);
  await sql`DROP VIEW summary_by_unfrozen_layers`.execute(db);
  await sql`DROP VIEW leaderboard`.execute(db);
  await sql`DROP FUNCTION sweep_order_sign(text)`.execute(db);
  await sql`DROP FUNCTION sweep_trial_metric(trials, text)`.execute(db);
}
