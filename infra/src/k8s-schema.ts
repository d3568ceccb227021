import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import type { Manifest } from './manifest-files.js';

interface Validating {
  validate(): void;
}

// The kinds the manifests use, each checked by the JSON schema kubernetes-models (Kubernetes'
// OpenAPI) or @kubernetes-models/keda (KEDA's CRDs) generated for it.
const MODELS: Record<string, new (data: any) => Validating> = {
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
};

/** What the schema of each manifest's kind finds wrong in it, one line per manifest. */
export function schemaProblems(manifests: readonly Manifest[]): string[] {
  const problems: string[] = [];
  for (const { source, doc } of manifests) {
    const type = `${doc.apiVersion}/${doc.kind}`;
    const Model = MODELS[type];
    if (!Model) {
      problems.push(`${source}: no schema for ${type} (known: ${Object.keys(MODELS).join(', ')})`);
      continue;
    }
    try {
      new Model(doc).validate();
    } catch (err) {
      problems.push(`${source} (${doc.kind} ${doc.metadata?.name}): ${(err as Error).message}`);
    }
  }
  return problems;
}
