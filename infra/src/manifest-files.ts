import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

/** A parsed Kubernetes object, with where it came from for the messages. */
export interface Manifest {
  /** `file#index`, e.g. `worker.yaml#0`. */
  source: string;
  doc: Record<string, any>;
}

export const INFRA_DIR = join(import.meta.dirname, '..');

/** Every document of every `*.yaml` file in `dir` (infra/k8s by default), in file order. */
export function readManifests(dir = join(INFRA_DIR, 'k8s')): Manifest[] {
  const out: Manifest[] = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.yaml')).sort()) {
    parseAllDocuments(readFileSync(join(dir, file), 'utf8')).forEach((document, index) => {
      if (document.errors.length > 0) throw new Error(`${file}#${index}: ${document.errors[0]!.message}`);
      const doc = document.toJS() as Record<string, any> | null;
      if (doc !== null) out.push({ source: `${file}#${index}`, doc });
    });
  }
  return out;
}

/** infra/compose.yaml, with its `<<` merge keys applied. */
export function readCompose(path = join(INFRA_DIR, 'compose.yaml')): Record<string, any> {
  return parse(readFileSync(path, 'utf8'), { merge: true }) as Record<string, any>;
}
