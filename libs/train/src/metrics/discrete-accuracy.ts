export interface DiscreteAccuracy {
  /** Fraction of samples whose category's majority label is their own label. */
  accuracy: number;
  /** Majority label of each category (ties go to the lower label); −1 for a category no sample falls in. */
  mapping: number[];
  /** Samples per category (rows) and label (columns). */
  counts: number[][];
}

/**
 * Clustering accuracy of a categorical latent: each category is mapped to the
 * label most of its samples carry, and the mapping is scored on the same samples.
 */
export function discreteAccuracy(
  categories: Int32Array | Uint8Array,
  labels: Uint8Array,
  categoryCount: number,
  labelCount: number,
): DiscreteAccuracy {
  if (categories.length !== labels.length) {
    throw new RangeError(`discreteAccuracy: ${categories.length} categories but ${labels.length} labels`);
  }
  if (labels.length === 0) throw new RangeError('discreteAccuracy: no samples');
  requireCount('categoryCount', categoryCount);
  requireCount('labelCount', labelCount);
  const counts = Array.from({ length: categoryCount }, () => new Array<number>(labelCount).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const category = categories[i]!;
    const label = labels[i]!;
    if (category < 0 || category >= categoryCount) throw new RangeError(`discreteAccuracy: category ${category} at sample ${i} is outside [0, ${categoryCount})`);
    if (label >= labelCount) throw new RangeError(`discreteAccuracy: label ${label} at sample ${i} is outside [0, ${labelCount})`);
    counts[category]![label]!++;
  }
  const mapping: number[] = [];
  let correct = 0;
  for (let category = 0; category < categoryCount; category++) {
    let best = -1;
    let bestCount = 0;
    for (let label = 0; label < labelCount; label++) {
      const count = counts[category]![label]!;
      if (count > bestCount) {
        best = label;
        bestCount = count;
      }
    }
    mapping.push(best);
    correct += bestCount;
  }
  return { accuracy: correct / labels.length, mapping, counts };
}

function requireCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`discreteAccuracy: ${name} must be a positive integer, got ${value}`);
}
