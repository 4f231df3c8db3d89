import { canonicalHash } from '../spec/canonical-json.ts';
import type { TrialConfig } from '../spec/trial-config.ts';

/**
 * Returns the hash that identifies a trial config everywhere (planner, database,
 * artifacts): sha256 in hex of its canonical JSON, with sorted keys, absent
 * fields dropped and numbers rounded to 15 significant digits.
 */
export function configHash(config: TrialConfig): string {
  return canonicalHash(config);
}
