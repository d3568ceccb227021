export type { Dataset, ImageSet, LoadOptions } from './dataset.js';
export { DataError } from './data-error.js';
export { DATASET_REF_FORMS, loadDataset, parseDatasetRef } from './load-dataset.js';
export type { DatasetSource } from './load-dataset.js';
export { MNIST_SAMPLE_SPLIT_SEED } from './mnist-sample.js';
export { SHAPES_FACTOR_NAMES, SHAPES_FACTOR_SIZES, SHAPES_SPLIT_SEED } from './shapes.js';
export { DSPRITES_DEFAULT_LIMIT, DSPRITES_SPLIT_SEED } from './dsprites.js';
export { epochPermutation, gatherImages, globalBatch, shardBatch, shardRange, stepsPerEpoch } from './batching.js';
export { writeIdxDataset } from './squares-idx.js';
