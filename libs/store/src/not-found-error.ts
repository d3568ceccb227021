/** An id that names nothing in the store. */
export class NotFoundError extends Error {
  constructor(
    readonly kind: 'sweep' | 'trial' | 'checkpoint',
    readonly id: string,
  ) {
    super(`no ${kind} '${id}'`);
    this.name = 'NotFoundError';
  }
}
