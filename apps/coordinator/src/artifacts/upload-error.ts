/** A checkpoint upload that cannot be stored; the message names the file (or field) at fault. */
export class UploadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UploadError';
  }
}
