import * as tf from '@tensorflow/tfjs-core';

/** What BackendWasm has for sharing one buffer between tensors (its Reshape uses it). */
interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

/**
 * Identity (what the engine runs to clone a tensor, e.g. for every tensor the gradient
 * tape saves) without a copy: the clone shares the input's buffer, which the backend
 * reference-counts. Tensors are immutable, so sharing is what the cpu backend does too;
 * the stock wasm kernel copies every saved activation. Strings go to the stock kernel.
 */
export function sharedIdentityKernel(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: stock.kernelName,
    backendName: stock.backendName,
    setupFunc: stock.setupFunc,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (x.dtype === 'string') return stock.kernelFunc(args);
      (args.backend as RefCountingBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  };
}
