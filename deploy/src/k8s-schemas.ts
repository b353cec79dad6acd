import type { K8sObject } from "./manifests.ts";

/** A model class of `kubernetes-models`: constructed from an object, `validate()` throws. */
type ModelClass = new (data: never) => { validate(): void };

/**
 * The `kubernetes-models` class of an object (the Kubernetes OpenAPI schemas compiled to
 * validators, and KEDA's CRD schemas from `@kubernetes-models/keda`), loaded by apiVersion
 * and kind; `undefined` when no schema is known, which the tests treat as a failure.
 */
async function modelClass(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const path =
    group === "keda.sh"
      ? `@kubernetes-models/keda/keda.sh/${version}/${kind}`
      : group === ""
        ? `kubernetes-models/${version}/${kind}`
        : `kubernetes-models/${group}/${version}/${kind}`;
  try {
    const module = (await import(path)) as Record<string, ModelClass>;
    return module[kind];
  } catch {
    return undefined;
  }
}

/** The outcome of validating one object against its schema. */
export interface SchemaResult {
  readonly object: string;
  readonly error?: string;
}

/** Validates each object against its OpenAPI schema, offline. */
export async function validateObjects(objects: readonly K8sObject[]): Promise<SchemaResult[]> {
  const results: SchemaResult[] = [];
  for (const object of objects) {
    const name = `${object.kind}/${object.metadata?.name}`;
    const Model = await modelClass(object.apiVersion, object.kind);
    if (!Model) {
      results.push({ object: name, error: `no schema for ${object.apiVersion} ${object.kind}` });
      continue;
    }
    try {
      new Model(object as never).validate();
      results.push({ object: name });
    } catch (error) {
      results.push({ object: name, error: String(error) });
    }
  }
  return results;
}
