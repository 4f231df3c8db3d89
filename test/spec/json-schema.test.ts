import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sweepJsonSchema } from '../../src/spec/json-schema.ts';

type JsonSchema = { [key: string]: unknown };

function at(schema: JsonSchema, ...keys: string[]): JsonSchema {
  let current: unknown = schema;
  for (const key of keys) {
    current = (current as JsonSchema)[key];
    assert.ok(current !== undefined, `no ${keys.join('.')}`);
  }
  return current as JsonSchema;
}

describe('sweepJsonSchema', () => {
  const schema = sweepJsonSchema();

  it('is draft-07 for editors', () => {
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  });

  it('defines the reference pattern once', () => {
    const pattern = new RegExp(at(schema, 'definitions', 'reference').pattern as string);
    assert.equal(pattern.test('${fine_tune_lr}'), true);
    assert.equal(pattern.test('lr-${x}'), false);
  });

  it('accepts a reference in template fields', () => {
    const trainingOptions = at(schema, 'properties', 'training', 'anyOf');
    const training = (trainingOptions as unknown as JsonSchema[]).find((option) => option.type === 'object') as JsonSchema;
    const head = (at(training, 'properties', 'head', 'anyOf') as unknown as JsonSchema[]).find((option) => option.type === 'object') as JsonSchema;
    const options = at(head, 'properties', 'learning_rate', 'anyOf') as unknown as JsonSchema[];
    assert.deepEqual(options[1], { $ref: '#/definitions/reference' });
    assert.equal(options[0].exclusiveMinimum, 0);
  });

  it('rejects unknown top-level keys', () => {
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.required, ['name', 'dataset', 'model', 'training']);
  });
});
