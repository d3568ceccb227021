import * as tf from '@tensorflow/tfjs-core';

/** What BackendWasm adds on top of KernelBackend that direct kernel code needs. */
interface HeapBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
}

function isHeapBackend(backend: tf.KernelBackend): backend is HeapBackend {
  return typeof (backend as Partial<HeapBackend>).typedArrayFromHeap === 'function';
}

/**
 * Runs kernels of one backend directly, bypassing the engine and the gradient
 * tape, so a kernel can be composed from other kernels. Every TensorInfo it
 * returns is owned by the caller: free intermediates with `dispose`.
 */
export class KernelCalls {
  private readonly backend: tf.KernelBackend;

  /** `backend` is the one a kernel function receives (typed `{}` by tfjs). */
  constructor(
    backend: object,
    private readonly backendName: string,
  ) {
    this.backend = backend as tf.KernelBackend;
  }

  run(kernel: string | tf.KernelConfig, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const config = typeof kernel === 'string' ? tf.getKernel(kernel, this.backendName) : kernel;
    if (config == null) {
      throw new Error(`kernel '${String(kernel)}' is not registered for backend '${this.backendName}'`);
    }
    return config.kernelFunc({ inputs, attrs, backend: this.backend }) as tf.TensorInfo;
  }

  dispose(...infos: tf.TensorInfo[]): void {
    for (const info of infos) this.backend.disposeData(info.dataId);
  }

  /**
   * The float32 values of a tensor without copying where the backend allows.
   * On wasm this is a view of the heap: it is invalid after any allocation, so
   * take views only after the last kernel call or `create`.
   */
  values(info: tf.TensorInfo): Float32Array {
    if (info.dtype !== 'float32') throw new Error(`expected a float32 tensor, got ${info.dtype}`);
    const backend = this.backend;
    const values = isHeapBackend(backend) ? backend.typedArrayFromHeap(info) : backend.readSync(info.dataId);
    return values as Float32Array;
  }

  /** A new float32 tensor whose values `fill` writes (every element, the memory is not cleared). */
  create(shape: number[], fill: (out: Float32Array) => void): tf.TensorInfo {
    const backend = this.backend;
    if (isHeapBackend(backend)) {
      const out = backend.makeOutput(shape, 'float32');
      fill(backend.typedArrayFromHeap(out) as Float32Array);
      return out;
    }
    const values = new Float32Array(tf.util.sizeFromShape(shape));
    fill(values);
    return { dataId: backend.write(values, shape, 'float32'), shape, dtype: 'float32' };
  }
}
