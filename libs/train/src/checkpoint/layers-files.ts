/**
 * The TensorFlow.js Layers on-disk format: `model.json` (topology + weights
 * manifest) beside one `weights.bin`, as written by tfjs-node's `file://` handler.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import { CheckpointError } from './checkpoint-error.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export interface LayersFiles {
  modelJson: Buffer;
  weightsBin: Buffer;
}

/** Serialises saved artifacts into the bytes of `model.json` and `weights.bin`. */
export function encodeLayersArtifacts(artifacts: tf.io.ModelArtifacts): LayersFiles {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new TypeError('only Layers (JSON topology) models can be written');
  }
  const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0));
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology ?? {},
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers`,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
  return { modelJson: Buffer.from(JSON.stringify(modelJson)), weightsBin: Buffer.from(weightData) };
}

/** Captures what `model.save` produces without touching the file system. */
export async function saveLayersFiles(model: LayersModel): Promise<LayersFiles> {
  let files: LayersFiles | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      files = encodeLayersArtifacts(artifacts);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (!files) throw new Error('model.save produced no artifacts');
  return files;
}

function parseModelJson(text: string, file: string): tf.io.ModelJSON {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(file, `invalid JSON (${(err as Error).message})`);
  }
  const model = json as Partial<tf.io.ModelJSON> | null;
  if (!model || typeof model !== 'object' || !model.modelTopology || !Array.isArray(model.weightsManifest)) {
    throw new CheckpointError(file, 'not a TensorFlow.js Layers model.json (modelTopology, weightsManifest)');
  }
  return model as tf.io.ModelJSON;
}

const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/** Byte length a weights manifest describes. */
function manifestByteLength(specs: tf.io.WeightsManifestEntry[]): number {
  let bytes = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const width = spec.quantization ? QUANTIZED_BYTES[spec.quantization.dtype] : spec.dtype === 'bool' ? 1 : 4;
    bytes += count * width;
  }
  return bytes;
}

/** Decodes `model.json` + weight bytes into artifacts, checking that the bytes match the manifest. */
export function decodeLayersFiles(
  modelJsonText: string,
  readWeights: (path: string) => Buffer,
  label: (path: string) => string,
): tf.io.ModelArtifacts {
  const modelJson = parseModelJson(modelJsonText, label(MODEL_JSON));
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of modelJson.weightsManifest) {
    specs.push(...group.weights);
    for (const path of group.paths) {
      const name = path.replace(/^\.\//, '');
      if (name !== WEIGHTS_BIN) throw new CheckpointError(label(MODEL_JSON), `unexpected weights path ${path}`);
      buffers.push(readWeights(name));
    }
  }
  const data = Buffer.concat(buffers);
  const expected = manifestByteLength(specs);
  if (data.byteLength !== expected) {
    throw new CheckpointError(label(WEIGHTS_BIN), `has ${data.byteLength} bytes, the manifest describes ${expected}`);
  }
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  return tf.io.getModelArtifactsForJSONSync(modelJson, specs, weightData);
}

async function readOrFail(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError(path, code === 'ENOENT' ? 'missing' : `unreadable (${code})`);
  }
}

/** An IOHandler over a directory holding `model.json` and `weights.bin`; works with `tf.loadLayersModel` and `model.save`. */
export function fileIOHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts) {
      const files = encodeLayersArtifacts(artifacts);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, MODEL_JSON), files.modelJson);
      await writeFile(join(dir, WEIGHTS_BIN), files.weightsBin);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load() {
      const text = (await readOrFail(join(dir, MODEL_JSON))).toString('utf8');
      const weights = await readOrFail(join(dir, WEIGHTS_BIN));
      return decodeLayersFiles(text, () => weights, (name) => join(dir, name));
    },
  };
}

/** Loads a Layers model saved in `dir` (as a checkpoint's `encoder/` or `decoder/`). */
export function loadLayersModelFromDir(dir: string): Promise<LayersModel> {
  return loadLayersModel(fileIOHandler(dir));
}
