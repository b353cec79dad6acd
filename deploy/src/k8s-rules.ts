import type { ContainerLike, K8sObject } from "./manifests.ts";
import { podSpec } from "./manifests.ts";

/** A reviewer's objection to a rendered object. */
export interface RuleViolation {
  readonly rule: string;
  readonly object: string;
  readonly message: string;
}

/** What the rules need to know about the services. */
export interface RuleContext {
  /** Each service's health port, from its definition (`ServiceDefinition.healthPort`). */
  readonly healthPorts: Readonly<Record<string, number>>;
  /** The longest shutdown a pod may take before Kubernetes kills it, in milliseconds. */
  readonly shutdownBudgetMs: number;
}

/** Variables whose value is a credential: they may only come from a Secret. */
const SECRET_VARIABLE = /(KEY|TOKEN|PASSWORD|SECRET|SEED|CREDS|PROVIDERS)$/;

/**
 * The rules a reviewer checks on every rendered overlay: each container has limits, probes
 * (long-running workloads), a non-root read-only locked-down security context and a pinned
 * image; no credential is written inline (env values or ConfigMap data); every Deployment has
 * a PodDisruptionBudget, exactly one autoscaler, a Service, a preStop hook and a grace period
 * longer than the shutdown; probes and Services use the port the service listens on.
 */
export function checkRules(objects: readonly K8sObject[], context: RuleContext): RuleViolation[] {
  const violations: RuleViolation[] = [];
  const violation = (object: K8sObject, rule: string, message: string) =>
    violations.push({ rule, object: `${object.kind}/${object.metadata.name}`, message });
  const deployments = objects.filter((o) => o.kind === "Deployment");
  for (const object of objects) {
    const spec = podSpec(object);
    if (spec) checkPod(object, spec, deployments.includes(object), context, violation);
    if (object.kind === "ConfigMap") {
      for (const key of Object.keys(object.data ?? {})) {
        if (SECRET_VARIABLE.test(key)) {
          violation(object, "no-inline-secret", `ConfigMap key ${key} holds a credential`);
        }
      }
    }
    if (object.kind === "Secret") {
      violation(object, "no-inline-secret", "Secrets are referenced, never part of the manifests");
    }
  }
  for (const deployment of deployments) {
    const labels =
      (deployment.spec?.selector as { matchLabels?: Record<string, string> })?.matchLabels ?? {};
    const selects = (selector: Record<string, string> | undefined) =>
      selector !== undefined &&
      Object.keys(selector).length > 0 &&
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    const pdbs = objects.filter(
      (o) =>
        o.kind === "PodDisruptionBudget" &&
        selects((o.spec?.selector as { matchLabels?: Record<string, string> })?.matchLabels),
    );
    if (pdbs.length !== 1) violation(deployment, "pdb", `has ${pdbs.length} PodDisruptionBudgets`);
    const targets = (o: K8sObject) =>
      (o.spec?.scaleTargetRef as { name?: string })?.name === deployment.metadata.name;
    const hpas = objects.filter((o) => o.kind === "HorizontalPodAutoscaler" && targets(o));
    const scaled = objects.filter((o) => o.kind === "ScaledObject" && targets(o));
    if (hpas.length + scaled.length > 1) {
      violation(
        deployment,
        "one-autoscaler",
        "an HPA and a ScaledObject (or two of either) fight over replicas",
      );
    }
    const services = objects.filter(
      (o) =>
        o.kind === "Service" && selects(o.spec?.selector as Record<string, string> | undefined),
    );
    if (services.length === 0) violation(deployment, "service", "no Service selects its pods");
    const service = component(deployment);
    const port = service === undefined ? undefined : context.healthPorts[service];
    for (const svc of services) {
      const ports = (svc.spec?.ports as Array<{ port: number }> | undefined) ?? [];
      if (port !== undefined && !ports.some((p) => p.port === port)) {
        violation(svc, "ports", `does not expose ${service}'s health port ${port}`);
      }
    }
  }
  return violations;
}

/** The service a workload runs (`app.kubernetes.io/component`). */
function component(object: K8sObject): string | undefined {
  return object.metadata.labels?.["app.kubernetes.io/component"];
}

function checkPod(
  object: K8sObject,
  spec: NonNullable<ReturnType<typeof podSpec>>,
  longRunning: boolean,
  context: RuleContext,
  violation: (object: K8sObject, rule: string, message: string) => void,
): void {
  const podSecurity = spec.securityContext ?? {};
  if (podSecurity.runAsNonRoot !== true)
    violation(object, "non-root", "pod securityContext lacks runAsNonRoot");
  if ((podSecurity.seccompProfile as { type?: string } | undefined)?.type !== "RuntimeDefault") {
    violation(object, "seccomp", "pod securityContext lacks seccompProfile RuntimeDefault");
  }
  if (longRunning) {
    const graceMs = (spec.terminationGracePeriodSeconds ?? 30) * 1000;
    if (graceMs <= context.shutdownBudgetMs) {
      violation(
        object,
        "grace",
        `grace period ${graceMs} ms is not longer than the shutdown (${context.shutdownBudgetMs} ms)`,
      );
    }
    if ((spec.topologySpreadConstraints ?? []).length === 0) {
      violation(object, "spread", "no topologySpreadConstraints");
    }
  }
  const service = component(object);
  const healthPort = service === undefined ? undefined : context.healthPorts[service];
  for (const container of spec.containers)
    checkContainer(object, container, longRunning, healthPort, violation);
}

function checkContainer(
  object: K8sObject,
  container: ContainerLike,
  longRunning: boolean,
  healthPort: number | undefined,
  violation: (object: K8sObject, rule: string, message: string) => void,
): void {
  const where = `container ${container.name}`;
  const [, tag = ""] = container.image.split(/:(?=[^/]*$)/);
  if (!/@sha256:[0-9a-f]{64}$/.test(container.image) && (tag === "" || tag === "latest")) {
    violation(object, "pinned-image", `${where}: image ${container.image} is not pinned`);
  }
  for (const resource of ["cpu", "memory"]) {
    if (!container.resources?.limits?.[resource])
      violation(object, "limits", `${where}: no ${resource} limit`);
    if (!container.resources?.requests?.[resource])
      violation(object, "requests", `${where}: no ${resource} request`);
  }
  const security = container.securityContext ?? {};
  if (security.runAsNonRoot !== true || security.runAsUser === 0) {
    violation(object, "non-root", `${where}: not runAsNonRoot`);
  }
  if (security.readOnlyRootFilesystem !== true)
    violation(object, "read-only-root", `${where}: writable root filesystem`);
  if (security.allowPrivilegeEscalation !== false)
    violation(object, "no-escalation", `${where}: may escalate privileges`);
  if (!security.capabilities?.drop?.includes("ALL"))
    violation(object, "drop-all", `${where}: capabilities not dropped`);
  if (security.seccompProfile?.type !== "RuntimeDefault")
    violation(object, "seccomp", `${where}: no RuntimeDefault seccomp`);
  for (const variable of container.env ?? []) {
    if (SECRET_VARIABLE.test(variable.name) && variable.value !== undefined) {
      violation(object, "no-inline-secret", `${where}: ${variable.name} has an inline value`);
    }
    if (
      SECRET_VARIABLE.test(variable.name) &&
      variable.valueFrom &&
      !("secretKeyRef" in variable.valueFrom)
    ) {
      violation(object, "no-inline-secret", `${where}: ${variable.name} is not read from a Secret`);
    }
  }
  if (!longRunning) return;
  const probes = {
    livenessProbe: "/healthz",
    readinessProbe: "/readyz",
    startupProbe: "/healthz",
  } as const;
  const named = new Map((container.ports ?? []).map((p) => [p.name, p.containerPort]));
  for (const [probe, path] of Object.entries(probes) as Array<[keyof typeof probes, string]>) {
    const httpGet = container[probe]?.httpGet;
    if (!httpGet) {
      violation(object, "probes", `${where}: no ${probe}`);
      continue;
    }
    if (httpGet.path !== path)
      violation(object, "probes", `${where}: ${probe} checks ${httpGet.path}, not ${path}`);
    const port = typeof httpGet.port === "number" ? httpGet.port : named.get(httpGet.port);
    if (healthPort !== undefined && port !== healthPort) {
      violation(
        object,
        "ports",
        `${where}: ${probe} uses port ${String(httpGet.port)}, the service listens on ${healthPort}`,
      );
    }
  }
  const healthEnv = container.env?.find((e) => e.name === "PATINOX_HEALTH_PORT")?.value;
  if (healthPort !== undefined && healthEnv !== undefined && Number(healthEnv) !== healthPort) {
    violation(
      object,
      "ports",
      `${where}: PATINOX_HEALTH_PORT ${healthEnv} differs from ${healthPort}`,
    );
  }
  if (!container.lifecycle?.preStop) violation(object, "pre-stop", `${where}: no preStop hook`);
}
