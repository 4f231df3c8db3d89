import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

/** A Kysely instance or an open transaction: repository functions accept either. */
export type Executor = Kysely<Database> | Transaction<Database>;

/** Runs `action` in a new transaction, or directly when `db` already is one. */
export async function inTransaction<T>(db: Executor, action: (trx: Executor) => Promise<T>): Promise<T> {
  if (db.isTransaction) {
    return action(db);
  }
  return db.transaction().execute(action);
}
