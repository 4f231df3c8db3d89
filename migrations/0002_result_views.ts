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
    CREATE OR REPLACE FUNCTION sweep_rank_key(value double precision, sort_order text) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
      SELECT CASE
        WHEN NOT sweep_is_finite(value) THEN 'Infinity'::double precision
        WHEN sort_order = 'desc' THEN -value
        ELSE value
      END
    $$
  `,
  `
    CREATE OR REPLACE FUNCTION sweep_augmentation_label(config jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
      SELECT coalesce(nullif(concat_ws(',',
        CASE WHEN (a ->> 'horizontal_flip')::boolean THEN 'flip' END,
        CASE WHEN (a ->> 'translation')::double precision > 0 THEN 'translation=' || (a ->> 'translation') END,
        CASE WHEN (a ->> 'zoom')::double precision > 0 THEN 'zoom=' || (a ->> 'zoom') END,
        CASE WHEN (a ->> 'rotation')::double precision > 0 THEN 'rotation=' || (a ->> 'rotation') END
      ), ''), 'none')
      FROM (SELECT config -> 'training' -> 'augmentation' AS a) AS settings
    $$
  `,
  `
    CREATE OR REPLACE FUNCTION sweep_rank_keys(t trials, ranking jsonb) RETURNS double precision[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
      SELECT array_agg(sweep_rank_key(sweep_trial_metric(t, k.value ->> 'metric'), k.value ->> 'order') ORDER BY k.position)
      FROM jsonb_array_elements(ranking) WITH ORDINALITY AS k(value, position)
    $$
  `,
  `
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
    JOIN sweeps s ON s.id = t.sweep_id
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
  await sql`DROP FUNCTION sweep_augmentation_label(jsonb)`.execute(db);
  await sql`DROP FUNCTION sweep_rank_keys(trials, jsonb)`.execute(db);
  await sql`DROP FUNCTION sweep_rank_key(double precision, text)`.execute(db);
  await sql`DROP FUNCTION sweep_trial_metric(trials, text)`.execute(db);
}
