import { LineCounter, parseDocument, type Document } from 'yaml';
import type { SweepSpec } from './spec.js';
import { SweepSpecError } from './sweep-spec-error.js';
import { validateSweepSpec } from './validate-spec.js';

/** Specs are small; anything larger is a mistake (or an attack on the coordinator). */
export const MAX_SPEC_BYTES = 1 << 20;

/**
 * Parses a sweep spec written in YAML or JSON (JSON is valid YAML) and validates it.
 * `source` (a file name) prefixes error messages.
 */
export function parseSweepSpec(text: string, source?: string): SweepSpec {
  try {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_SPEC_BYTES) {
      throw new SweepSpecError('', `is ${bytes} bytes, more than the limit of 1 MiB (${MAX_SPEC_BYTES} bytes)`);
    }
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { prettyErrors: false, lineCounter });
    const [error] = doc.errors;
    if (error) {
      const at = lineCounter.linePos(error.pos[0]);
      throw new SweepSpecError('', `not valid YAML or JSON at line ${at.line}, column ${at.col}: ${error.message}`);
    }
    return validateSweepSpec(toPlain(doc));
  } catch (err) {
    if (err instanceof SweepSpecError && source !== undefined) throw err.withSource(source);
    throw err;
  }
}

/** The document as plain data; excessive alias expansion (a "billion laughs" spec) is refused. */
function toPlain(doc: Document): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new SweepSpecError('', `not valid YAML or JSON: ${(err as Error).message}`);
  }
}
