import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from './mulberry32.js';

describe('createRng', () => {
  it('repeats for a seed, differs across seeds, and stays in [0, 1) with a uniform mean', () => {
    const draw = (seed: number) => Array.from({ length: 10_000 }, createRng(seed));
    assert.deepEqual(draw(3), draw(3));
    assert.notDeepEqual(draw(3).slice(0, 10), draw(4).slice(0, 10));
    const values = draw(5);
    assert.ok(values.every((v) => v >= 0 && v < 1));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
  });

  // Fixed values: a change here changes the values every random search samples.
  it('gives the recorded streams', () => {
    assert.deepEqual(
      [0, 1, 42, 0xffffffff, 123456789].map((seed) => Array.from({ length: 4 }, createRng(seed))),
      [
        [0.26642920868471265, 0.0003297457005828619, 0.2232720274478197, 0.1462021479383111],
        [0.6270739405881613, 0.002735721180215478, 0.5274470399599522, 0.9810509674716741],
        [0.6011037519201636, 0.44829055899754167, 0.8524657934904099, 0.6697340414393693],
        [0.8964226141106337, 0.189478256739676, 0.7156526781618595, 0.9440599093213677],
        [0.2577907438389957, 0.9707721115555614, 0.7853280142880976, 0.20616457983851433],
      ],
    );
  });
});
