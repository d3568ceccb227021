import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { choiceAt, choiceCount, isEnumerable, sampleParameter } from './parameter-space.js';
import type { ParameterSpec } from './spec.js';

/** A stream returning the given numbers in turn, to pin draws to chosen quantiles. */
function fixed(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe('parameter space', () => {
  const constant: ParameterSpec = { value: 3 };
  const categorical: ParameterSpec = { distribution: 'categorical', values: ['a', 'b', 'c'] };
  const ints: ParameterSpec = { distribution: 'int_uniform', min: -2, max: 2 };
  const uniform: ParameterSpec = { distribution: 'uniform', min: 1, max: 3 };
  const logUniform: ParameterSpec = { distribution: 'log_uniform_values', min: 1e-4, max: 1 };

  it('enumerates constants, categories and int ranges, but not continuous ranges', () => {
    assert.deepEqual([isEnumerable(constant), isEnumerable(categorical), isEnumerable(ints)], [true, true, true]);
    assert.deepEqual([isEnumerable(uniform), isEnumerable(logUniform)], [false, false]);
    assert.deepEqual([choiceCount(constant), choiceCount(categorical), choiceCount(ints)], [1, 3, 5]);
    assert.deepEqual(Array.from({ length: 5 }, (_, i) => choiceAt(ints, i)), [-2, -1, 0, 1, 2]);
    assert.equal(choiceAt(categorical, 2), 'c');
    assert.throws(() => choiceCount(uniform), RangeError);
  });

  it('maps draws to values at the ends and middle of each distribution', () => {
    assert.equal(sampleParameter(constant, fixed(0.7)), 3);
    assert.deepEqual([0, 0.34, 0.999].map((u) => sampleParameter(categorical, fixed(u))), ['a', 'b', 'c']);
    assert.deepEqual([0, 0.5, 0.9999].map((u) => sampleParameter(ints, fixed(u))), [-2, 0, 2]);
    assert.deepEqual([0, 0.5].map((u) => sampleParameter(uniform, fixed(u))), [1, 2]);
    // Log-uniform: the midpoint draw is the geometric mean.
    assert.ok(Math.abs((sampleParameter(logUniform, fixed(0.5)) as number) - 1e-2) < 1e-12);
    const lowest = sampleParameter(logUniform, fixed(0)) as number;
    assert.ok(lowest >= 1e-4 && lowest - 1e-4 < 1e-15);
    assert.ok((sampleParameter(logUniform, fixed(1 - 2 ** -32)) as number) <= 1);
  });
});
