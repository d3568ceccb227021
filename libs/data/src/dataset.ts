/** A set of square single-channel images, with optional labels and ground-truth factors. */
export interface ImageSet {
  /** count × S × S pixels in [0, 1], row-major (NHWC with C = 1). */
  images: Float32Array;
  count: number;
  /** One class label per image. */
  labels?: Uint8Array;
  /** count × F ground-truth factor indices, row-major; F = Dataset.factorNames.length. */
  factors?: Int32Array;
}

export interface Dataset {
  /** The reference it was loaded from, e.g. `mnist-sample` or `idx:/data/fashion`. */
  ref: string;
  imageSize: 32 | 64;
  train: ImageSet;
  validation: ImageSet;
  /** Number of label classes where the sets carry labels. */
  labelCount?: number;
  /** Names of the factor columns where the sets carry factors. */
  factorNames?: string[];
  /** Number of values of each factor (indices are 0 … size−1). */
  factorSizes?: number[];
}

export interface LoadOptions {
  /**
   * Fraction of the data held out for validation where the source has no split of
   * its own (`mnist-sample`, `shapes`, `dsprites:`); ignored for `idx:`, whose t10k
   * files are the validation set.
   */
  validationFraction?: number;
  /** At most this many images in each of train and validation (the first ones of each split). */
  limit?: number;
}
