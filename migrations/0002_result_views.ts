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
    WHERE c.state = 'COMPLETE'
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
        r.trial_id AS id,
        r.sweep_id,
        rank() OVER (
          PARTITION BY r.sweep_id
          ORDER BY r.key0 NULLS LAST, r.key1 NULLS LAST, r.key2 NULLS LAST, r.key3 NULLS LAST
        )::integer AS rank
      FROM trial_rank_keys r
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
    ) AS baseline ON true
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
  await sql`DROP VIEW trial_rank_keys`.execute(db);
  await sql`DROP FUNCTION sweep_order_sign(text)`.execute(db);
  await sql`DROP FUNCTION sweep_trial_metric(trials, text)`.execute(db);
}
