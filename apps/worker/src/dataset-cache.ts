import { loadDataset, type Dataset } from '@jvae/data';

/** Datasets by reference, each loaded once per process; a failed load is forgotten so it can be retried. */
export class DatasetCache {
  private readonly loaded = new Map<string, Promise<Dataset>>();

  get(ref: string): Promise<Dataset> {
    let dataset = this.loaded.get(ref);
    if (!dataset) {
      dataset = loadDataset(ref);
      this.loaded.set(ref, dataset);
      dataset.catch(() => this.loaded.delete(ref));
    }
    return dataset;
  }
}
