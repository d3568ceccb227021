/** A requested TensorFlow.js backend is unknown or cannot be loaded; the message says why. */
export class BackendSelectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackendSelectionError';
  }
}
