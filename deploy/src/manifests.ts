import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { DEPLOY_DIR } from "./repo.ts";

/** A rendered Kubernetes object: just enough typing to walk it. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
  };
  readonly spec?: Record<string, unknown>;
  readonly data?: Record<string, string>;
  readonly [field: string]: unknown;
}

/** The overlays under `deploy/k8s/overlays`. */
export const OVERLAYS = ["dev", "prod"] as const;

/** One overlay's directory. */
export function overlayDir(overlay: (typeof OVERLAYS)[number]): string {
  return join(DEPLOY_DIR, "k8s", "overlays", overlay);
}

/**
 * Renders a kustomization with `kubectl kustomize` (kustomize built into kubectl), as
 * `kubectl apply -k` would, and parses every document.
 */
export function renderKustomization(dir: string): K8sObject[] {
  let yaml: string;
  try {
    yaml = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(
        "kubectl is not on PATH: install it (Debian: apt-get install kubernetes-client) to render the overlays",
      );
    }
    throw error;
  }
  return parseYamlObjects(yaml);
}

/** Parses a multi-document YAML stream, failing on any YAML error. */
export function parseYamlObjects(text: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join("\n"));
    const value = doc.toJS() as K8sObject | null;
    return value === null ? [] : [value];
  });
}

/** A pod template's containers, whatever workload holds it. */
export interface PodSpecLike {
  readonly containers: readonly ContainerLike[];
  readonly securityContext?: Record<string, unknown>;
  readonly terminationGracePeriodSeconds?: number;
  readonly topologySpreadConstraints?: readonly unknown[];
}

/** The fields of a container the rules look at. */
export interface ContainerLike {
  readonly name: string;
  readonly image: string;
  readonly ports?: ReadonlyArray<{ name?: string; containerPort: number }>;
  readonly env?: ReadonlyArray<{
    name: string;
    value?: string;
    valueFrom?: Record<string, unknown>;
  }>;
  readonly resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  readonly livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readonly readinessProbe?: { httpGet?: { path: string; port: string | number } };
  readonly startupProbe?: { httpGet?: { path: string; port: string | number } };
  readonly lifecycle?: { preStop?: unknown };
  readonly securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: readonly string[] };
    seccompProfile?: { type?: string };
  };
}

/** The pod spec of a Deployment or Job. */
export function podSpec(object: K8sObject): PodSpecLike | undefined {
  const template = object.spec?.template as { spec?: PodSpecLike } | undefined;
  return template?.spec;
}
