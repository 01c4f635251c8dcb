import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { createMetrics } from "../packages/infra/src/metrics/metrics.ts";
import { helmBinary } from "./testing/helm-binary.ts";

const CHART = join(import.meta.dir, "fractal");
const CI = join(CHART, "ci");
const helm = helmBinary();
if (!helm.path) process.stderr.write(`chart checks SKIPPED: ${helm.reason}\n`);

type Manifest = {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
};
type Container = {
  name: string;
  args?: string[];
  command?: string[];
  resources?: { requests?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  livenessProbe?: { httpGet: { path: string } };
  readinessProbe?: { httpGet: { path: string } };
  startupProbe?: { httpGet: { path: string } };
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
};
type PodSpec = {
  containers: Container[];
  securityContext?: Record<string, unknown>;
  terminationGracePeriodSeconds?: number;
};

function run(args: string[]) {
  const proc = Bun.spawnSync([helm.path as string, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: proc.exitCode, out: proc.stdout.toString(), err: proc.stderr.toString() };
}

/** Renders the chart with a ci/ values file (or none) and --set pairs; throws with helm's message. */
function render(valuesFile?: string, set: string[] = []): Manifest[] {
  const args = ["template", "rel", CHART, ...(valuesFile ? ["-f", join(CI, valuesFile)] : [])];
  const result = run([...args, ...set.flatMap((s) => ["--set", s])]);
  if (result.code !== 0) throw new Error(result.err);
  return (Bun.YAML.parse(result.out) as (Manifest | null)[]).filter((m): m is Manifest => m !== null);
}

const one = (manifests: Manifest[], kind: string, name: string) => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${manifests.map((m) => `${m.kind}/${m.metadata.name}`)}`);
  return found;
};
const podOf = (m: Manifest) => (m.spec as { template: { spec: PodSpec } }).template.spec;
const podAnnotations = (m: Manifest) =>
  (m.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations;

describe.skipIf(!helm.path)("helm chart (helm v3 from npm)", () => {
  test("helm lint --strict passes with each ci/ values file, and fails on the defaults alone (no database URL)", () => {
    const files = readdirSync(CI).sort();
    expect(files).toEqual(["default-values.yaml", "minimal-values.yaml", "production-values.yaml"]);
    for (const file of files) {
      const result = run(["lint", "--strict", CHART, "-f", join(CI, file)]);
      expect({ file, code: result.code, out: result.out }).toMatchObject({ file, code: 0 });
    }
    const bare = run(["lint", "--strict", CHART]);
    expect(bare.code).not.toBe(0);
    expect(bare.out).toContain("database");
  });

  test("the default values: API and worker Deployments with probes, non-root read-only pods, resources, drain grace", () => {
    const manifests = render("default-values.yaml");
    for (const [name, args] of [
      ["rel-fractal-api", ["serve", "--no-worker", "--no-migrate"]],
      ["rel-fractal-worker", ["worker", "--no-migrate"]],
    ] as const) {
      const deployment = one(manifests, "Deployment", name);
      const pod = podOf(deployment);
      const [container] = pod.containers;
      expect(container?.args).toEqual([...args]);
      expect(container?.livenessProbe?.httpGet.path).toBe("/ok");
      expect(container?.startupProbe?.httpGet.path).toBe("/ok");
      expect(container?.readinessProbe?.httpGet.path).toBe("/ok?check_db=1");
      expect(container?.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(container?.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
      });
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(pod.terminationGracePeriodSeconds).toBe(10 + 15);
      expect(podAnnotations(deployment)).toMatchObject({
        "checksum/config": expect.stringMatching(/^[0-9a-f]{64}$/),
        "checksum/secret": expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.valueFrom?.secretKeyRef]));
      expect(env.DATABASE_URL).toEqual({ name: "rel-fractal", key: "DATABASE_URL" });
      expect(env.REDIS_URL).toEqual({ name: "rel-fractal", key: "REDIS_URL" });
    }
    expect(one(manifests, "Deployment", "rel-fractal-api").spec?.replicas).toBe(2);
    expect(manifests.filter((m) => m.kind === "PodDisruptionBudget").map((m) => m.metadata.name)).toEqual([
      "rel-fractal-api",
      "rel-fractal-worker",
    ]);
    expect(manifests.some((m) => m.kind === "HorizontalPodAutoscaler" || m.kind === "Ingress")).toBe(false);
  });

  test("the migration Job is a pre-install/pre-upgrade hook, after the Secret, ConfigMap and ServiceAccount it uses", () => {
    const manifests = render("default-values.yaml");
    const job = one(manifests, "Job", "rel-fractal-migrate");
    expect(job.metadata.annotations?.["helm.sh/hook"]).toBe("pre-install,pre-upgrade");
    expect(podOf(job).containers[0]?.args).toEqual(["migrate"]);
    const jobWeight = Number(job.metadata.annotations?.["helm.sh/hook-weight"]);
    for (const kind of ["Secret", "ConfigMap", "ServiceAccount"]) {
      const dependency = one(manifests, kind, "rel-fractal");
      expect(dependency.metadata.annotations?.["helm.sh/hook"]).toBe("pre-install,pre-upgrade");
      expect(Number(dependency.metadata.annotations?.["helm.sh/hook-weight"])).toBeLessThan(jobWeight);
    }
    const test = one(manifests, "Pod", "rel-fractal-test");
    expect(test.metadata.annotations?.["helm.sh/hook"]).toBe("test");
  });

  test("production values: HPAs instead of fixed replicas, Ingress, ServiceMonitor, URLs from an existing Secret", () => {
    const manifests = render("production-values.yaml");
    const hpas = manifests.filter((m) => m.kind === "HorizontalPodAutoscaler");
    expect(hpas.map((h) => [h.metadata.name, h.spec?.minReplicas, h.spec?.maxReplicas])).toEqual([
      ["rel-fractal-api", 3, 12],
      ["rel-fractal-worker", 2, 30],
    ]);
    for (const name of ["rel-fractal-api", "rel-fractal-worker"]) {
      const deployment = one(manifests, "Deployment", name);
      expect(deployment.spec?.replicas).toBeUndefined();
      const env = Object.fromEntries((podOf(deployment).containers[0]?.env ?? []).map((e) => [e.name, e]));
      expect(env.DATABASE_URL?.valueFrom?.secretKeyRef).toEqual({ name: "fractal-prod", key: "DATABASE_URL" });
      expect(podOf(deployment).terminationGracePeriodSeconds).toBe(30 + 15);
      expect(podOf(deployment).containers[0]?.resources).toBeDefined();
    }
    expect(JSON.stringify(one(manifests, "Ingress", "rel-fractal").spec)).toContain("agents.example.com");
    expect(one(manifests, "ServiceMonitor", "rel-fractal").spec).toMatchObject({
      endpoints: [{ port: "http", path: "/metrics", interval: "15s" }],
    });
    const secret = one(manifests, "Secret", "rel-fractal") as unknown as { stringData: Record<string, string> | null };
    expect(secret.stringData?.DATABASE_URL).toBeUndefined();
    expect(podOf(one(manifests, "Deployment", "rel-fractal-worker")).containers[0]?.image).toBe(
      "ghcr.io/example/fractal-agents-runtime:0.1.0",
    );
  });

  test("production values: alert rules and a dashboard on metrics the runtime exports, traces to the collector", async () => {
    const manifests = render("production-values.yaml");
    const exported = new Set(
      (await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => n.startsWith("fractal_")),
    );
    expect(exported.size).toBeGreaterThan(10);
    const used = (text: string) =>
      [...text.matchAll(/\b(fractal_\w+?)(?:_bucket|_count|_sum)?\b/g)].map((m) => m[1] as string);
    const rule = one(manifests, "PrometheusRule", "rel-fractal") as unknown as {
      metadata: { labels: Record<string, string> };
      spec: { groups: { rules: { alert: string; expr: string }[] }[] };
    };
    expect(rule.metadata.labels.release).toBe("prometheus");
    const rules = rule.spec.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual([
      "FractalQueueWaitHigh",
      "FractalRunErrorRateHigh",
      "FractalHttpErrorRateHigh",
      "FractalLeaseExpiries",
    ]);
    expect(rules[0]?.expr).toContain('fractal_run_queue_wait_seconds_bucket{job=~"rel-fractal.*"}');
    expect(rules[0]?.expr).toEndWith("> 20");
    for (const r of rules)
      for (const name of used(r.expr)) expect([r.alert, name, exported.has(name)]).toEqual([r.alert, name, true]);
    const dashboard = one(manifests, "ConfigMap", "rel-fractal-dashboard") as unknown as {
      metadata: { labels: Record<string, string> };
      data: Record<string, string>;
    };
    expect(dashboard.metadata.labels.grafana_dashboard).toBe("1");
    const json = JSON.parse(dashboard.data["fractal-agents-runtime.json"] as string) as {
      panels: { targets: { expr: string }[] }[];
    };
    const names = json.panels.flatMap((p) => p.targets.flatMap((t) => used(t.expr)));
    expect(new Set(names).size).toBeGreaterThan(10);
    for (const name of names) expect([name, exported.has(name)]).toEqual([name, true]);
    const config = one(manifests, "ConfigMap", "rel-fractal") as unknown as { data: Record<string, string> };
    expect(config.data.OTEL_EXPORTER_OTLP_ENDPOINT).toBe("http://otel-collector.observability:4318");
    expect(config.data.OTEL_SERVICE_NAME).toBe("agents-prod");
    expect(render("default-values.yaml").some((m) => m.kind === "PrometheusRule")).toBe(false);
  });

  test("minimal values: one API pod that executes runs itself, no worker, no Redis, no hook Job", () => {
    const manifests = render("minimal-values.yaml");
    expect(manifests.filter((m) => m.kind === "Deployment").map((m) => m.metadata.name)).toEqual(["rel-fractal-api"]);
    expect(manifests.some((m) => m.kind === "Job")).toBe(false);
    const [api] = podOf(one(manifests, "Deployment", "rel-fractal-api")).containers;
    expect(api?.args).toEqual(["serve"]);
    expect(api?.env?.map((e) => e.name)).toEqual(["DATABASE_URL", "N_JOBS_PER_WORKER"]);
  });

  test("a changed setting changes the pods' checksum (so they roll)", () => {
    const checksum = (set: string[]) =>
      podAnnotations(one(render("default-values.yaml", set), "Deployment", "rel-fractal-worker"))["checksum/config"];
    expect(checksum([])).toBe(checksum([]));
    expect(checksum(["env.LOG_LEVEL=debug"])).not.toBe(checksum([]));
  });

  test("the schema rejects bad values", () => {
    for (const set of [
      "api.replicas=0",
      "image.pullPolicy=Sometimes",
      "redis.url=http://cache:6379",
      "database.url=mysql://db/x",
      "worker.jobsPerWorker=0",
      "api.service.port=70000",
      "redis.keyPrefix=has space",
      "metrics.serviceMonitor.interval=soon",
      "tracing.otlpEndpoint=collector:4318",
      "metrics.prometheusRule.runErrorRatio=2",
    ]) {
      expect(() => render("default-values.yaml", [set])).toThrow("schema");
    }
  });

  test("impossible combinations fail with what to set", () => {
    const fails = (set: string[], message: string) => expect(() => render(undefined, set)).toThrow(message);
    const db = "database.url=postgres://u:p@db/x";
    fails([db, "worker.enabled=false", "api.inProcessWorker=true", "api.replicas=2"], "more than one API replica");
    fails([db, "worker.enabled=false", "api.replicas=1"], "nothing would execute runs");
    fails(
      [
        db,
        "redis.url=redis://r",
        "worker.autoscaling.enabled=true",
        "worker.autoscaling.minReplicas=5",
        "worker.autoscaling.maxReplicas=2",
      ],
      "worker.autoscaling.minReplicas (5) is above maxReplicas (2)",
    );
    fails([db, "redis.url=redis://r", "api.ingress.enabled=true"], "api.ingress.hosts");
    fails([db, "database.existingSecret.name=s", "redis.url=redis://r"], "not both");
    expect(
      render(undefined, [db, "worker.enabled=false", "api.inProcessWorker=true", "api.replicas=1"]).length,
    ).toBeGreaterThan(3);
  });
});
