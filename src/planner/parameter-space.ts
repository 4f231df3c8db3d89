import { deepFreeze, normalizeNumber } from '../spec/canonical-json.ts';
import type { ParameterDefinition, SweepSpec } from '../spec/sweep-spec.ts';
import type { ParameterValue } from '../spec/trial-config.ts';
import type { SeededRandom } from './seeded-random.ts';

/**
 * One search-space parameter. A discrete parameter (a list, `choice`, `integer`)
 * has `count` values addressed by index; a continuous one (`uniform`,
 * `log_uniform`) can only be sampled.
 */
export interface SearchParameter {
  name: string;
  definition: ParameterDefinition;
  /** Number of values; undefined for a continuous parameter. */
  count: number | undefined;
  valueAt(index: number): ParameterValue;
  /** The first listed value, or the lower bound. */
  first: ParameterValue;
  sample(random: SeededRandom): { index: number; value: ParameterValue };
}

/** Returns the search parameters of a spec, in file order. */
export function searchParameters(spec: SweepSpec): SearchParameter[] {
  return Object.entries(spec.parameters).map(([name, definition]) => searchParameter(name, definition));
}

function searchParameter(name: string, definition: ParameterDefinition): SearchParameter {
  switch (definition.distribution) {
    case 'choice': {
      const values = definition.values.map((value) => deepFreeze(normalizeValue(value)));
      return {
        name,
        definition,
        count: values.length,
        first: values[0],
        valueAt: (index) => values[index],
        sample: (random) => {
          const index = random.below(values.length);
          return { index, value: values[index] };
        },
      };
    }
    case 'integer': {
      const { low, step } = definition;
      const count = Math.floor((definition.high - low) / step) + 1;
      return {
        name,
        definition,
        count,
        first: low,
        valueAt: (index) => low + index * step,
        sample: (random) => {
          const index = random.below(count);
          return { index, value: low + index * step };
        },
      };
    }
    case 'uniform': {
      const { low, high } = definition;
      return {
        name,
        definition,
        count: undefined,
        first: definition.low,
        valueAt: () => {
          throw new Error(`parameter ${name} is continuous and has no indexed values`);
        },
        sample: (random) => ({ index: -1, value: normalizeNumber(low + random.next() * (high - low)) }),
      };
    }
    case 'log_uniform': {
      const logLow = Math.log(definition.low);
      const logHigh = Math.log(definition.high);
      return {
        name,
        definition,
        count: undefined,
        first: definition.low,
        valueAt: () => {
          throw new Error(`parameter ${name} is continuous and has no indexed values`);
        },
        sample: (random) => ({ index: -1, value: normalizeNumber(Math.exp(logLow + random.next() * (logHigh - logLow))) }),
      };
    }
  }
}

function normalizeValue(value: ParameterValue): ParameterValue {
  if (typeof value === 'number') {
    return normalizeNumber(value);
  }
  if (Array.isArray(value)) {
    return value.map(normalizeValue);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalizeValue(item)]));
  }
  return value;
}
