/**
 * `shapes`: a procedural dSprites-like set, generated in memory in a few
 * milliseconds. Every combination of 3 shapes (square, ellipse, heart) × 4 scales
 * × 8 orientations (steps of 45° over a full turn, so, as in dSprites, some
 * orientations of the symmetric shapes coincide) × 8 x × 8 y positions appears
 * exactly once, as a 64×64 binary image.
 */
import type { Dataset } from './dataset.js';
import { buildImageSet, heldOutSplit, type SampleSource } from './subsets.js';

export const SHAPES_FACTOR_NAMES = ['shape', 'scale', 'orientation', 'posX', 'posY'];
export const SHAPES_FACTOR_SIZES = [3, 4, 8, 8, 8];
/** Samples are shuffled with this seed; the last validationFraction of them are held out. */
export const SHAPES_SPLIT_SEED = 6144;

const SIDE = 64;
/** Sprite radius in pixels at each scale (dSprites spans scales 0.5 … 1). */
const RADII = [6, 8, 10, 12];
/** Sprite centres, in pixels, for posX/posY: 14, 19, … 49, far enough from the border for the largest sprite. */
const POSITIONS = Array.from({ length: 8 }, (_, i) => 14 + 5 * i);
/** Sprites are drawn in a window of ±REACH pixels around their centre (a rotated square reaches 12.7). */
const REACH = 13;
const WINDOW = 2 * REACH + 1;

/** Inside tests in unit coordinates (u right, v up), the sprite's radius being 1. */
const SHAPE_TESTS: ((u: number, v: number) => boolean)[] = [
  (u, v) => Math.max(Math.abs(u), Math.abs(v)) <= 0.75,
  (u, v) => u * u + 4 * v * v <= 1,
  (u, v) => {
    // The classic implicit heart (x² + y² − 1)³ ≤ x²y³, shrunk and centred to fit the unit disc.
    const x = u * 1.25;
    const y = v * 1.25 + 0.1;
    const r = x * x + y * y - 1;
    return r * r * r <= x * x * y * y * y;
  },
];

export function loadShapes(validationFraction: number, limit: number): Dataset {
  const sprites = renderSprites();
  const count = SHAPES_FACTOR_SIZES.reduce((product, size) => product * size, 1);
  const source: SampleSource = {
    pixelsPerImage: SIDE * SIDE,
    writeImage: (index, target) => {
      const [shape, scale, orientation, posX, posY] = factorsOf(index);
      const sprite = sprites[(shape! * RADII.length + scale!) * 8 + orientation!]!;
      const left = POSITIONS[posX!]! - REACH;
      const top = POSITIONS[posY!]! - REACH;
      for (let row = 0; row < WINDOW; row++) {
        for (let col = 0; col < WINDOW; col++) {
          if (sprite[row * WINDOW + col]) target[(top + row) * SIDE + left + col] = 1;
        }
      }
    },
    label: (index) => factorsOf(index)[0]!,
    factorCount: SHAPES_FACTOR_SIZES.length,
    factor: (index, column) => factorsOf(index)[column]!,
  };
  const split = heldOutSplit(count, validationFraction, SHAPES_SPLIT_SEED, limit);
  return {
    ref: 'shapes',
    imageSize: 64,
    train: buildImageSet(source, split.train),
    validation: buildImageSet(source, split.validation),
    labelCount: SHAPES_FACTOR_SIZES[0],
    factorNames: [...SHAPES_FACTOR_NAMES],
    factorSizes: [...SHAPES_FACTOR_SIZES],
  };
}

/** Sample index → factor values, the last factor (posY) varying fastest. */
function factorsOf(index: number): number[] {
  const values = new Array<number>(SHAPES_FACTOR_SIZES.length);
  for (let f = SHAPES_FACTOR_SIZES.length - 1; f >= 0; f--) {
    const size = SHAPES_FACTOR_SIZES[f]!;
    values[f] = index % size;
    index = Math.floor(index / size);
  }
  return values;
}

/** One WINDOW×WINDOW mask per (shape, scale, orientation), centred on a pixel corner. */
function renderSprites(): Uint8Array[] {
  const sprites: Uint8Array[] = [];
  for (const inside of SHAPE_TESTS) {
    for (const radius of RADII) {
      for (let orientation = 0; orientation < 8; orientation++) {
        const angle = (orientation * Math.PI) / 4;
        const cos = Math.cos(angle);
        const sin = Math.sin(angle);
        const mask = new Uint8Array(WINDOW * WINDOW);
        for (let row = 0; row < WINDOW; row++) {
          for (let col = 0; col < WINDOW; col++) {
            // Pixel centre relative to the sprite centre, y flipped so v points up, then rotated by −angle.
            const x = (col - REACH + 0.5) / radius;
            const y = -(row - REACH + 0.5) / radius;
            mask[row * WINDOW + col] = inside(cos * x + sin * y, -sin * x + cos * y) ? 1 : 0;
          }
        }
        sprites.push(mask);
      }
    }
  }
  return sprites;
}
