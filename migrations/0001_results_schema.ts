import { sql, type Kysely } from 'kysely';

/**
 * Sweeps, trials and their results. States are words with CHECK constraints;
 * metrics are double precision so NaN and ±Infinity are stored as they are.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // value * 0 is 0 for finite values and NaN for NaN and ±Infinity. Referring to
  // value once lets PostgreSQL inline the function even when its argument is an
  // expression, which keeps the leaderboard's sort fast.
  await sql`
    CREATE FUNCTION sweep_is_finite(value double precision) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT coalesce(value * 0 = 0, false) $$
  `.execute(db);

  // A short label of a trial's augmentation settings, 'none' when it has none.
  // Built from text || text only, so it is IMMUTABLE and can feed a generated column.
  await sql`
    CREATE FUNCTION sweep_augmentation_label(config jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
      SELECT coalesce(nullif(rtrim(
        CASE WHEN (config #>> '{training,augmentation,horizontal_flip}')::boolean THEN 'flip,' ELSE '' END ||
        CASE WHEN (config #>> '{training,augmentation,translation}')::double precision > 0
          THEN 'translation=' || (config #>> '{training,augmentation,translation}') || ',' ELSE '' END ||
        CASE WHEN (config #>> '{training,augmentation,zoom}')::double precision > 0
          THEN 'zoom=' || (config #>> '{training,augmentation,zoom}') || ',' ELSE '' END ||
        CASE WHEN (config #>> '{training,augmentation,rotation}')::double precision > 0
          THEN 'rotation=' || (config #>> '{training,augmentation,rotation}') || ',' ELSE '' END,
        ','), ''), 'none')
    $$
  `.execute(db);

  await sql`
    CREATE TABLE sweeps (
      id bigserial PRIMARY KEY,
      name text NOT NULL CHECK (name <> ''),
      spec jsonb NOT NULL,
      spec_hash text NOT NULL,
      search_space_hash text NOT NULL,
      source_file text,
      status text NOT NULL DEFAULT 'RUNNING'
        CHECK (status IN ('RUNNING', 'COMPLETE', 'CANCELLED', 'FAIL')),
      -- Rank keys in order: [{"metric": <trials column>, "order": "asc" | "desc"}, …].
      ranking jsonb NOT NULL DEFAULT '[{"metric":"test_accuracy","order":"desc"},{"metric":"overfitting_gap","order":"asc"}]'
        CHECK (jsonb_typeof(ranking) = 'array' AND jsonb_array_length(ranking) >= 1),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    )
  `.execute(db);
  // A btree entry holds at most about 2.7 kB, so a plain UNIQUE (name) would
  // reject long names; the md5 keeps sweep names of any length unique.
  await sql`CREATE UNIQUE INDEX sweeps_name_key ON sweeps (md5(name))`.execute(db);

  await sql`
    CREATE TABLE trials (
      id bigserial PRIMARY KEY,
      sweep_id bigint NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
      number integer NOT NULL CHECK (number > 0),
      config jsonb NOT NULL,
      config_hash text NOT NULL,
      params jsonb NOT NULL DEFAULT '{}',
      -- The swept settings, copied out of config when the row is written so
      -- that views and filters need no JSON lookups.
      model text GENERATED ALWAYS AS (config #>> '{model,type}') STORED,
      dense_units integer GENERATED ALWAYS AS ((config #>> '{model,head,dense_units}')::integer) STORED,
      unfreeze_layers integer
        GENERATED ALWAYS AS (coalesce((config #>> '{training,fine_tune,unfreeze_layers}')::integer, 0)) STORED,
      head_lr double precision GENERATED ALWAYS AS ((config #>> '{training,head,learning_rate}')::double precision) STORED,
      fine_tune_lr double precision
        GENERATED ALWAYS AS ((config #>> '{training,fine_tune,learning_rate}')::double precision) STORED,
      augmentation text GENERATED ALWAYS AS (sweep_augmentation_label(config)) STORED,
      is_baseline boolean NOT NULL DEFAULT false,
      state text NOT NULL DEFAULT 'WAITING'
        CHECK (state IN ('WAITING', 'RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'CANCELLED')),
      attempt integer NOT NULL DEFAULT 0,
      max_attempts integer NOT NULL DEFAULT 3,
      claimed_by text,
      device text,
      backend text,
      lease_expires_at timestamptz,
      heartbeat_at timestamptz,
      cancel_requested boolean NOT NULL DEFAULT false,
      error text,
      current_phase text CHECK (current_phase IN ('head', 'fine_tune')),
      test_accuracy double precision,
      test_loss double precision,
      best_val_accuracy double precision,
      max_train_accuracy double precision,
      overfitting_gap double precision,
      head_epochs integer,
      fine_tune_epochs integer,
      pruned_at_epoch integer,
      total_params bigint,
      trainable_params_head bigint,
      trainable_params_fine_tune bigint,
      duration_seconds double precision,
      train_images_per_second double precision,
      inference_images_per_second double precision,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (sweep_id, config_hash),
      UNIQUE (sweep_id, number)
    )
  `.execute(db);
  await sql`CREATE INDEX trials_claim_idx ON trials (sweep_id, state, number)`.execute(db);
  await sql`CREATE INDEX trials_lease_idx ON trials (lease_expires_at) WHERE state = 'RUNNING'`.execute(db);

  await sql`
    CREATE TABLE epoch_metrics (
      trial_id bigint NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
      phase text NOT NULL CHECK (phase IN ('head', 'fine_tune')),
      epoch integer NOT NULL CHECK (epoch > 0),
      loss double precision,
      accuracy double precision,
      val_loss double precision,
      val_accuracy double precision,
      learning_rate double precision,
      seconds double precision,
      images_per_second double precision,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (trial_id, phase, epoch)
    )
  `.execute(db);

  await sql`
    CREATE TABLE class_metrics (
      trial_id bigint NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
      class_index integer NOT NULL CHECK (class_index >= 0),
      class_name text NOT NULL,
      precision double precision,
      recall double precision,
      f1 double precision,
      support integer NOT NULL CHECK (support >= 0),
      PRIMARY KEY (trial_id, class_index)
    )
  `.execute(db);

  await sql`
    CREATE TABLE confusion_cells (
      trial_id bigint NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
      true_class integer NOT NULL CHECK (true_class >= 0),
      predicted_class integer NOT NULL CHECK (predicted_class >= 0),
      count integer NOT NULL CHECK (count >= 0),
      PRIMARY KEY (trial_id, true_class, predicted_class)
    )
  `.execute(db);

  await sql`
    CREATE TABLE artifacts (
      id bigserial PRIMARY KEY,
      sweep_id bigint NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
      trial_id bigint REFERENCES trials (id) ON DELETE CASCADE,
      kind text NOT NULL,
      name text NOT NULL,
      key text NOT NULL,
      uri text NOT NULL,
      bytes bigint NOT NULL CHECK (bytes >= 0),
      sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      created_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db);
  // Keys contain the sweep name, which may be longer than a btree entry allows.
  await sql`CREATE UNIQUE INDEX artifacts_key_idx ON artifacts (sweep_id, md5(key))`.execute(db);
  await sql`CREATE INDEX artifacts_trial_idx ON artifacts (trial_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE artifacts`.execute(db);
  await sql`DROP TABLE confusion_cells`.execute(db);
  await sql`DROP TABLE class_metrics`.execute(db);
  await sql`DROP TABLE epoch_metrics`.execute(db);
  await sql`DROP TABLE trials`.execute(db);
  await sql`DROP TABLE sweeps`.execute(db);
  await sql`DROP FUNCTION sweep_augmentation_label(jsonb)`.execute(db);
  await sql`DROP FUNCTION sweep_is_finite(double precision)`.execute(db);
}
