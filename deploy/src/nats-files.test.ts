import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fromSeed } from "@nats-io/nkeys";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { nkeySecrets } from "./create-nkeys.ts";
import { parseYamlObjects } from "./manifests.ts";
import { GENERATE_NATS_COMMAND, renderAuthorization, renderHelmValues } from "./nats-config.ts";
import { NATS_ROLES, nkeyVariable } from "./nats-permissions.ts";
import { DEPLOY_DIR } from "./repo.ts";

const read = (...path: string[]) => readFileSync(join(DEPLOY_DIR, ...path), "utf8");

describe(`generated NATS files (${GENERATE_NATS_COMMAND})`, () => {
  it("deploy/nats/authorization.conf is up to date", () => {
    expect(read("nats", "authorization.conf")).toBe(renderAuthorization());
  });

  it("deploy/helm/nats-values.yaml is up to date", () => {
    expect(read("helm", "nats-values.yaml")).toBe(renderHelmValues());
  });
});

describe("the NATS Helm values", () => {
  const values = parse(read("helm", "nats-values.yaml")) as {
    config: {
      cluster: { enabled: boolean; replicas: number };
      jetstream: {
        enabled: boolean;
        fileStore: { enabled: boolean; pvc: { enabled: boolean; size: string } };
      };
      merge: Record<string, unknown>;
    };
    configMap: { merge: { data: Record<string, string> } };
    container: {
      env: Record<string, { valueFrom: { secretKeyRef: { name: string; key: string } } }>;
    };
  };

  it("run three servers with JetStream on persistent volumes", () => {
    expect(values.config.cluster).toMatchObject({ enabled: true, replicas: 3 });
    expect(values.config.jetstream.enabled).toBe(true);
    expect(values.config.jetstream.fileStore).toMatchObject({
      enabled: true,
      pvc: { enabled: true },
    });
  });

  it("include the committed authorization, verbatim", () => {
    const included = values.config.merge["00$include"] as string;
    expect(values.configMap.merge.data[included]).toBe(read("nats", "authorization.conf"));
  });

  it("read every role's public nkey from a Secret, and hold no key themselves", () => {
    for (const role of NATS_ROLES) {
      expect(values.container.env[nkeyVariable(role)]?.valueFrom.secretKeyRef).toEqual({
        name: "patinox-nats-users",
        key: role,
      });
    }
    expect(read("helm", "nats-values.yaml")).not.toMatch(/\b[SU][A-Z2-7]{55}\b/);
  });
});

describe("nkey Secrets (pnpm --filter @patinox/deploy --silent nkeys | kubectl apply -f -)", () => {
  const objects = parseYamlObjects(nkeySecrets({ namespace: "patinox", natsNamespace: "nats" }));

  it("hold each role's seed in its namespace and the matching public keys for NATS", () => {
    const users = objects.find((o) => o.metadata.name === "patinox-nats-users") as unknown as {
      metadata: { namespace: string };
      stringData: Record<string, string>;
    };
    expect(users.metadata.namespace).toBe("nats");
    for (const role of NATS_ROLES) {
      const secret = objects.find((o) => o.metadata.name === `patinox-nats-${role}`) as unknown as {
        metadata: { namespace: string };
        stringData: { "nkey-seed": string };
      };
      expect(secret.metadata.namespace).toBe("patinox");
      const pair = fromSeed(new TextEncoder().encode(secret.stringData["nkey-seed"]));
      expect(pair.getPublicKey()).toBe(users.stringData[role]);
    }
  });

  it("are new every time", () => {
    expect(nkeySecrets({ namespace: "a", natsNamespace: "b" })).not.toBe(
      nkeySecrets({ namespace: "a", natsNamespace: "b" }),
    );
  });
});

describe("the repository", () => {
  it("commits no nkey seed or public key in deploy/", () => {
    for (const file of [
      ["nats", "authorization.conf"],
      ["helm", "nats-values.yaml"],
      ["k8s", "base", "config.env"],
      ["k8s", "overlays", "prod", "kustomization.yaml"],
    ]) {
      expect(read(...file)).not.toMatch(/\b(S[UOA]|U)[A-Z2-7]{54,56}\b/);
    }
  });
});
