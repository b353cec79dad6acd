import { join } from "node:path";
import { analyzeService } from "@patinox/analyze";
import { executeService } from "@patinox/execute";
import { monitorService } from "@patinox/monitor";
import { planService } from "@patinox/plan";
import { describe, expect, it } from "vitest";
import { checkRules, type RuleContext } from "./k8s-rules.ts";
import { validateObjects } from "./k8s-schemas.ts";
import { type K8sObject, OVERLAYS, overlayDir, podSpec, renderKustomization } from "./manifests.ts";
import { DEPLOY_DIR } from "./repo.ts";

/** Where the services listen: their own definitions, not a copy. */
const healthPorts = Object.fromEntries(
  [executeService, monitorService, analyzeService, planService].map((s) => [
    s.name,
    s.healthPort ?? 0,
  ]),
);
/** preStop sleep + the service's shutdown watchdog (deadline + 30 s, docs/architecture.md). */
const PRE_STOP_MS = 5_000;
const WATCHDOG_MARGIN_MS = 30_000;

function ruleContext(objects: readonly K8sObject[]): RuleContext {
  const config = objects.find(
    (o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("patinox-config"),
  );
  const deadline = Number(config?.data?.PATINOX_SHUTDOWN_DEADLINE_MS ?? 10_000);
  return { healthPorts, shutdownBudgetMs: PRE_STOP_MS + deadline + WATCHDOG_MARGIN_MS };
}

const rendered = Object.fromEntries(
  OVERLAYS.map((o) => [o, renderKustomization(overlayDir(o))]),
) as Record<(typeof OVERLAYS)[number], K8sObject[]>;

describe.each(OVERLAYS)("overlay %s", (overlay) => {
  const objects = rendered[overlay];

  it("renders a Deployment, Service and PodDisruptionBudget per service", () => {
    for (const service of Object.keys(healthPorts)) {
      for (const kind of ["Deployment", "Service", "PodDisruptionBudget"]) {
        expect(
          objects.filter((o) => o.kind === kind && o.metadata.name === `patinox-${service}`),
        ).toHaveLength(1);
      }
    }
  });

  it("validates every object against the Kubernetes (and KEDA) OpenAPI schemas", async () => {
    const results = await validateObjects(objects);
    expect(results.filter((r) => r.error !== undefined)).toEqual([]);
    expect(results).toHaveLength(objects.length);
  });

  it("keeps every reviewer rule", () => {
    expect(checkRules(objects, ruleContext(objects))).toEqual([]);
  });

  it("puts everything in one namespace", () => {
    const namespaces = new Set(
      objects.filter((o) => o.kind !== "Namespace").map((o) => o.metadata.namespace),
    );
    expect([...namespaces]).toEqual([overlay === "prod" ? "patinox" : "patinox-dev"]);
  });

  it("references Secrets by name only: NATS credentials for each service", () => {
    for (const deployment of objects.filter((o) => o.kind === "Deployment")) {
      const container = podSpec(deployment)?.containers[0];
      const seed = container?.env?.find((e) => e.name === "NATS_NKEY_SEED");
      expect(seed?.valueFrom).toEqual({
        secretKeyRef: {
          name: `${deployment.metadata.name.replace("patinox-", "patinox-nats-")}`,
          key: "nkey-seed",
        },
      });
    }
  });
});

describe("overlay prod", () => {
  const objects = rendered.prod;
  const config = objects.find(
    (o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("patinox-config"),
  );

  it("scales Execute and Monitor on JetStream consumer lag and CPU, Analyze and Plan on CPU", () => {
    const scaled = objects.filter((o) => o.kind === "ScaledObject");
    expect(scaled.map((o) => o.metadata.name).sort()).toEqual([
      "patinox-execute",
      "patinox-monitor",
    ]);
    for (const object of scaled) {
      const triggers =
        (object.spec?.triggers as Array<{ type: string; metadata: Record<string, string> }>) ?? [];
      expect(triggers.map((t) => t.type).sort()).toEqual(["cpu", "nats-jetstream"]);
    }
    const lag = (name: string) => {
      const object = objects.find((o) => o.kind === "ScaledObject" && o.metadata.name === name);
      const triggers = (object?.spec?.triggers ?? []) as Array<{
        type: string;
        metadata: Record<string, string>;
      }>;
      return triggers.find((t) => t.type === "nats-jetstream")?.metadata;
    };
    expect(lag("patinox-execute")).toMatchObject({ stream: "patinox_jobs", consumer: "execute" });
    expect(lag("patinox-monitor")).toMatchObject({
      stream: "patinox_telemetry",
      consumer: "monitor",
    });
    const hpas = objects.filter((o) => o.kind === "HorizontalPodAutoscaler");
    expect(hpas.map((o) => o.metadata.name).sort()).toEqual(["patinox-analyze", "patinox-plan"]);
  });

  it("keeps three replicas of the knowledge bucket and streams, in the services and the setup Job", () => {
    expect(config?.data).toMatchObject({
      PATINOX_BUCKET_REPLICAS: "3",
      PATINOX_STREAM_REPLICAS: "3",
    });
    const job = objects.find((o) => o.kind === "Job");
    const setup = podSpec(job as K8sObject)?.containers[0];
    expect(setup?.image).toBe("patinox/execute:0.1.0");
    expect((setup as unknown as { envFrom: unknown[] }).envFrom).toEqual([
      { configMapRef: { name: config?.metadata.name } },
    ]);
  });

  it("enforces the restricted Pod Security Standard on its namespace", () => {
    const namespace = objects.find((o) => o.kind === "Namespace");
    expect(namespace?.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });
});

describe("the rules can fail", () => {
  const objects = rendered.prod;
  const context = ruleContext(objects);
  const mutate = (edit: (objects: K8sObject[]) => void): string[] => {
    const copy = structuredClone(objects);
    edit(copy);
    return checkRules(copy, context).map((v) => v.rule);
  };
  /** Execute's pod spec and first container, loosely typed so a test can break them. */
  const pod = (objects: K8sObject[]): Record<string, unknown> => {
    const deployment = objects.find(
      (o) => o.kind === "Deployment" && o.metadata.name === "patinox-execute",
    );
    return podSpec(deployment as K8sObject) as unknown as Record<string, unknown>;
  };
  const container = (objects: K8sObject[]): Record<string, unknown> => {
    const [first] = pod(objects).containers as Array<Record<string, unknown>>;
    if (!first) throw new Error("execute has no container");
    return first;
  };

  it.each([
    [
      "limits",
      (o: K8sObject[]) => Reflect.deleteProperty(container(o).resources as object, "limits"),
    ],
    ["probes", (o: K8sObject[]) => Reflect.deleteProperty(container(o), "readinessProbe")],
    ["non-root", (o: K8sObject[]) => Reflect.set(container(o), "securityContext", {})],
    [
      "pinned-image",
      (o: K8sObject[]) => Reflect.set(container(o), "image", "patinox/execute:latest"),
    ],
    ["pinned-image", (o: K8sObject[]) => Reflect.set(container(o), "image", "patinox/execute")],
    [
      "no-inline-secret",
      (o: K8sObject[]) =>
        (container(o).env as unknown[]).push({ name: "OPENAI_API_KEY", value: "sk-inline" }),
    ],
    [
      "no-inline-secret",
      (o: K8sObject[]) => {
        const config = o.find((x) => x.kind === "ConfigMap") as { data: Record<string, string> };
        config.data.NATS_PASSWORD = "hunter2";
      },
    ],
    [
      "pdb",
      (o: K8sObject[]) =>
        o.splice(
          o.findIndex((x) => x.kind === "PodDisruptionBudget"),
          1,
        ),
    ],
    ["grace", (o: K8sObject[]) => Reflect.set(pod(o), "terminationGracePeriodSeconds", 30)],
    ["pre-stop", (o: K8sObject[]) => Reflect.deleteProperty(container(o), "lifecycle")],
    [
      "ports",
      (o: K8sObject[]) =>
        Reflect.set((container(o).ports as object[])[0] as object, "containerPort", 8080),
    ],
    [
      "one-autoscaler",
      (o: K8sObject[]) => {
        const hpa = structuredClone(
          o.find((x) => x.kind === "HorizontalPodAutoscaler"),
        ) as K8sObject & {
          spec: { scaleTargetRef: { name: string } };
        };
        hpa.spec.scaleTargetRef.name = "patinox-execute";
        o.push(hpa);
      },
    ],
  ])("reports %s", (rule, edit) => {
    expect(mutate(edit)).toContain(rule);
  });

  it("and schema validation rejects a wrong type", async () => {
    const copy = structuredClone(objects.find((o) => o.kind === "Deployment")) as K8sObject & {
      spec: { replicas: unknown };
    };
    copy.spec.replicas = "three";
    const [result] = await validateObjects([copy]);
    expect(result?.error).toMatch(/replicas must be integer/);
  });
});

it("the base is not applied alone: overlays set the namespace", () => {
  const base = renderKustomization(join(DEPLOY_DIR, "k8s", "base"));
  expect(base.every((o) => o.metadata.namespace === undefined)).toBe(true);
});
