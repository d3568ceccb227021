/** Training cannot continue (a non-finite loss, a failed compute thread); names the step where known. */
export class TrainingError extends Error {
  constructor(
    message: string,
    readonly step?: number,
  ) {
    super(step === undefined ? message : `step ${step}: ${message}`);
    this.name = 'TrainingError';
  }
}
