import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { ValidationError } from '../../src/errors.ts';
import { sweepJsonSchemaText } from '../../src/spec/json-schema.ts';
import { loadSpecFile, parseSpec } from '../../src/spec/parse-spec.ts';

// A valid sweep; each bad case below replaces one or more of its lines.
const VALID = `name: test-sweep
dataset:
  name: cifar10
model:
  type: transfer
  head:
    dense_units: \${units}
training:
  head:
    learning_rate: 5e-4
    max_epochs: 2
  fine_tune:
    unfreeze_layers: \${unfreeze}
    learning_rate: \${lr}
    max_epochs: 1
parameters:
  units: [64, 128]
  unfreeze: [0, 20]
  lr: [1e-5, 1e-4]
`;

function problemLines(text: string): string[] {
  try {
    parseSpec(text, 'bad.yaml');
  } catch (error) {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    return error.problems.map((problem) => `${problem.file}:${problem.line}:${problem.column}: ${problem.path}: ${problem.message}`.replace(': : ', ': '));
  }
  assert.fail('the spec was accepted');
}

function edit(replacements: [string, string][]): string {
  let text = VALID;
  for (const [from, to] of replacements) {
    assert.ok(text.includes(from), `the valid spec has no ${JSON.stringify(from)}`);
    text = text.replace(from, to);
  }
  return text;
}

const badSpecs: { name: string; text: string; problems: string[] }[] = [
  {
    name: 'negative learning rate',
    text: edit([['learning_rate: 5e-4', 'learning_rate: -1e-5']]),
    problems: ['bad.yaml:10:20: training.head.learning_rate: must be greater than 0, got -1e-5'],
  },
  {
    name: 'zero learning rate in a parameter list',
    text: edit([['lr: [1e-5, 1e-4]', 'lr: [1e-5, 0]']]),
    problems: ['bad.yaml:19:14: parameters.lr[1]: must be greater than 0, got 0 (used at training.fine_tune.learning_rate)'],
  },
  {
    name: 'quoted number',
    text: edit([['learning_rate: 5e-4', 'learning_rate: "1e-5"']]),
    problems: [
      'bad.yaml:10:20: training.head.learning_rate: expected a number, got the string "1e-5"; remove the quotes so that YAML reads a number',
    ],
  },
  {
    name: 'unknown key with a close match',
    text: edit([['    max_epochs: 2', '    max_epochs: 2\n    lerning_rate: 1e-3']]),
    problems: ['bad.yaml:12:5: training.head.lerning_rate: unknown key; did you mean learning_rate?'],
  },
  {
    name: 'unknown top-level key',
    text: `${VALID}serach:\n  method: grid\n`,
    problems: ['bad.yaml:20:1: serach: unknown key; did you mean search?'],
  },
  {
    name: 'wrong type',
    text: edit([['max_epochs: 2', 'max_epochs: many']]),
    problems: ['bad.yaml:11:17: training.head.max_epochs: expected a number, got "many"'],
  },
  {
    name: 'fraction where an integer is required',
    text: edit([['max_epochs: 2', 'max_epochs: 2.5']]),
    problems: ['bad.yaml:11:17: training.head.max_epochs: must be an integer, got 2.5'],
  },
  {
    name: 'enum typo',
    text: edit([['    max_epochs: 2', '    max_epochs: 2\n    optimizer: adm']]),
    problems: ['bad.yaml:12:16: training.head.optimizer: must be one of adam, sgd, rmsprop, got "adm"; did you mean adam?'],
  },
  {
    name: 'missing required field',
    text: edit([['    max_epochs: 2\n', '']]),
    problems: ['bad.yaml:9:3: training.head.max_epochs: is required (a number)'],
  },
  {
    name: 'undefined parameter',
    text: edit([['learning_rate: ${lr}', 'learning_rate: ${rate}']]),
    problems: [
      'bad.yaml:14:20: training.fine_tune.learning_rate: references undefined parameter rate; defined parameters: units, unfreeze, lr',
      'bad.yaml:19:3: parameters.lr: parameter lr is not referenced by any field; reference it as ${lr} or remove it',
    ],
  },
  {
    name: 'continuous distribution in a grid',
    text: edit([['lr: [1e-5, 1e-4]', 'lr: { distribution: log_uniform, low: 1e-5, high: 1e-3 }']]),
    problems: [
      'bad.yaml:19:23: parameters.lr.distribution: a continuous distribution cannot be expanded in a grid, got log_uniform; list values instead, or set search.method: random',
    ],
  },
  {
    name: 'distribution bounds in the wrong order',
    text: `${edit([['lr: [1e-5, 1e-4]', 'lr: { distribution: log_uniform, low: 1e-3, high: 1e-5 }']])}search:\n  method: random\n  trials: 4\n`,
    problems: ['bad.yaml:19:53: parameters.lr.high: must be greater than low (1e-3), got 1e-5'],
  },
  {
    name: 'typo in a distribution',
    text: `${edit([['lr: [1e-5, 1e-4]', 'lr: { distribution: log_uniform, lo: 1e-5, high: 1e-3 }']])}search:\n  method: random\n  trials: 4\n`,
    problems: [
      'bad.yaml:19:3: parameters.lr.low: is required (a number)',
      'bad.yaml:19:36: parameters.lr.lo: unknown key; did you mean low?',
    ],
  },
  {
    name: 'one invalid parameter among valid ones',
    text: edit([
      ['units: [64, 128]', 'units: { distribution: grid }'],
      ['unfreeze: [0, 20]', 'unfreeze: [0, -3]'],
    ]),
    problems: [
      'bad.yaml:17:26: parameters.units.distribution: must be one of uniform, log_uniform, integer, choice, got "grid"',
      'bad.yaml:18:17: parameters.unfreeze[1]: must be at least 0, got -3 (used at training.fine_tune.unfreeze_layers)',
    ],
  },
  {
    name: 'parameter value out of range at its field',
    text: edit([['unfreeze: [0, 20]', 'unfreeze: [0, -3]']]),
    problems: ['bad.yaml:18:17: parameters.unfreeze[1]: must be at least 0, got -3 (used at training.fine_tune.unfreeze_layers)'],
  },
  {
    name: 'reference embedded in text',
    text: edit([['name: cifar10', 'name: cifar-${units}']]),
    problems: [
      'bad.yaml:3:9: dataset.name: invalid reference "cifar-${units}": a reference must be the whole value, ${name}, with a name of letters, digits and _',
    ],
  },
  {
    name: 'reference outside the template',
    text: `${VALID}resources:\n  workers: \${units}\n`,
    problems: ['bad.yaml:21:12: resources.workers: a reference is allowed only under dataset, model and training, got "${units}"'],
  },
  {
    name: 'unknown model type',
    text: edit([['type: transfer', 'type: transfr']]),
    problems: ['bad.yaml:5:9: model.type: must be one of simple-cnn, transfer, got "transfr"; did you mean transfer?'],
  },
  {
    name: 'fine-tuning a simple CNN',
    text: edit([
      ['type: transfer\n  head:\n    dense_units: ${units}', 'type: simple-cnn'],
      ['  units: [64, 128]\n', ''],
    ]),
    problems: ['bad.yaml:10:3: training.fine_tune: fine_tune applies to transfer models only; remove it or set model.type: transfer'],
  },
  {
    name: 'invalid artifact bucket',
    text: `${VALID}artifacts: s3://Bad_Bucket/runs\n`,
    problems: [
      'bad.yaml:20:12: artifacts: invalid S3 bucket name, got "s3://Bad_Bucket/runs"; use 3-63 lowercase letters, digits, dots and dashes, as in s3://my-bucket/sweeps',
    ],
  },
  {
    name: 'pruning reduction factor',
    text: `${VALID}pruning:\n  method: asha\n  reduction_factor: 1\n`,
    problems: ['bad.yaml:22:21: pruning.reduction_factor: must be greater than 1, got 1'],
  },
  {
    name: 'unquoted reference in a flow mapping',
    text: edit([['  head:\n    dense_units: ${units}', '  head: {dense_units: ${units}}']]),
    problems: [
      'bad.yaml:6:24: invalid YAML: Unexpected flow-map-start at node end; inside [ ] or { } write a reference in quotes, as in "${name}"',
    ],
  },
  {
    name: 'not a mapping',
    text: '- just\n- a list\n',
    problems: ['bad.yaml:1:1: a sweep file must be a mapping with name, dataset, model and training, got ["just","a list"]'],
  },
];

describe('parseSpec', () => {
  it('accepts the valid base spec', () => {
    const spec = parseSpec(VALID, 'good.yaml');
    assert.equal(spec.name, 'test-sweep');
    assert.deepEqual(Object.keys(spec.parameters), ['units', 'unfreeze', 'lr']);
  });

  for (const { name, text, problems } of badSpecs) {
    it(`reports ${name}`, () => {
      assert.deepEqual(problemLines(text), problems);
    });
  }

  it('reports every problem in one pass', () => {
    const text = edit([
      ['learning_rate: 5e-4', 'learning_rate: -1'],
      ['max_epochs: 1', 'max_epochs: 0'],
      ['lr: [1e-5, 1e-4]', 'lr: [1e-5, -1e-4]'],
    ]);
    assert.deepEqual(problemLines(text), [
      'bad.yaml:10:20: training.head.learning_rate: must be greater than 0, got -1',
      'bad.yaml:15:17: training.fine_tune.max_epochs: must be greater than 0, got 0',
      'bad.yaml:19:14: parameters.lr[1]: must be greater than 0, got -1e-4 (used at training.fine_tune.learning_rate)',
    ]);
  });

  it('reads 1e-5, 1.0e-5 and 1E-5 as numbers', () => {
    for (const written of ['1e-5', '1.0e-5', '1E-5', '+1e-5', '0.00001']) {
      const spec = parseSpec(edit([['learning_rate: 5e-4', `learning_rate: ${written}`]]), 'numbers.yaml');
      const head = (spec.template.training as { head: { learning_rate: unknown } }).head;
      assert.equal(head.learning_rate, 0.00001, written);
    }
  });

  it('rejects quoted numbers in every form', () => {
    for (const written of ['"1e-5"', "'1.0e-5'", '"1E-5"']) {
      const lines = problemLines(edit([['learning_rate: 5e-4', `learning_rate: ${written}`]]));
      assert.equal(lines.length, 1, written);
      assert.match(lines[0], /expected a number, got the string "1\.?0?[eE]-5"; remove the quotes/, written);
    }
  });

  it('fills defaults for sweep settings', () => {
    const spec = parseSpec(VALID, 'good.yaml');
    assert.deepEqual(spec.search, { method: 'grid' });
    assert.deepEqual(spec.ranking, [
      { metric: 'test_accuracy', order: 'desc' },
      { metric: 'overfitting_gap', order: 'asc' },
    ]);
    assert.deepEqual(spec.resources, { workers: 'auto', devices: 'auto' });
    assert.equal(spec.baseline, undefined);
  });

  it('parses artifact locations', () => {
    const s3 = parseSpec(`${VALID}artifacts: s3://my-bucket/sweeps/cifar\n`, 'a.yaml');
    assert.deepEqual(s3.artifacts, { kind: 's3', uri: 's3://my-bucket/sweeps/cifar', bucket: 'my-bucket', prefix: 'sweeps/cifar' });
    const folder = parseSpec(`${VALID}artifacts: ./runs\n`, 'a.yaml');
    assert.deepEqual(folder.artifacts, { kind: 'folder', uri: './runs', path: './runs' });
  });

  it('carries the pruning section with its defaults', () => {
    const spec = parseSpec(`${VALID}pruning:\n  method: asha\n  rungs: 4\n`, 'p.yaml');
    assert.deepEqual(spec.pruning, { method: 'asha', metric: 'val_accuracy', min_epochs: 1, reduction_factor: 3, rungs: 4 });
  });

  it('expands baseline: true to the reference simple CNN', () => {
    const spec = parseSpec(`${VALID}baseline: true\n`, 'b.yaml');
    assert.equal(spec.baseline?.model.type, 'simple-cnn');
    assert.equal(spec.baseline?.training.head.learning_rate, 1e-3);
    assert.equal(spec.baseline?.training.head.optimizer, 'adam');
    assert.equal(spec.baseline?.training.head.early_stopping.patience, 3);
  });
});

describe('shipped sweeps', () => {
  for (const name of ['finetune', 'quickstart']) {
    it(`${name}.yaml validates`, async () => {
      const spec = await loadSpecFile(new URL(`../../sweeps/${name}.yaml`, import.meta.url).pathname);
      assert.ok(spec.baseline !== undefined);
      assert.equal(spec.template.dataset !== null && typeof spec.template.dataset === 'object' && 'path' in spec.template.dataset, false);
    });
  }

  it('sweep.schema.json is current', async () => {
    const committed = await readFile(new URL('../../sweeps/sweep.schema.json', import.meta.url), 'utf8');
    assert.equal(committed, sweepJsonSchemaText(), 'regenerate it with: npx sweep schema > sweeps/sweep.schema.json');
  });
});
