/**
 * Deployment checks and generators of Patinox: the Dockerfile rules, the Kubernetes rules and
 * offline schema validation, and the least-privilege NATS configuration derived from the
 * contracts. The artefacts themselves live beside this package: `Dockerfile`, `k8s/`,
 * `helm/`, `nats/`.
 * @packageDocumentation
 */

export { type NkeySecretsOptions, nkeySecrets } from "./create-nkeys.ts";
export { checkDockerfile, type DockerfileProblem } from "./dockerfile-rules.ts";
export { checkRules, type RuleContext, type RuleViolation } from "./k8s-rules.ts";
export { type SchemaResult, validateObjects } from "./k8s-schemas.ts";
export {
  type K8sObject,
  OVERLAYS,
  overlayDir,
  parseYamlObjects,
  renderKustomization,
} from "./manifests.ts";
export { GENERATE_NATS_COMMAND, renderAuthorization, renderHelmValues } from "./nats-config.ts";
export {
  DEFAULT_INSTALLATION,
  isAllowed,
  NATS_ROLES,
  type NatsInstallation,
  type NatsRole,
  nkeyVariable,
  operatorPermissions,
  PUBLISHER_INBOX_PREFIX,
  publisherPermissions,
  rolePermissions,
  type SubjectRules,
  servicePermissions,
  setupPermissions,
  subjectMatches,
  type UserPermissions,
} from "./nats-permissions.ts";
