import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it, type TestContext } from 'vitest';
import { schemaErrors, unknownFields, type KubeContainer, type KubeObject, type KubePodTemplate } from './kubernetes-schemas';
import { repoPath, requireCommand, run } from './tools';

/**
 * Every overlay in deploy/kubernetes/overlays, rendered with `kubectl
 * kustomize` and checked offline: each object against its API schema (the
 * `kubernetes-models` packages: Kubernetes itself, KEDA, the Prometheus
 * Operator) with no unknown field, then what a cluster would only reveal at
 * run time: references between objects, probes, grace periods, security.
 */
const overlaysDir = repoPath('deploy/kubernetes/overlays');
const overlays = readdirSync(overlaysDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

const rendered = new Map<string, Promise<KubeObject[]>>();

async function render(ctx: TestContext, overlay: string): Promise<KubeObject[]> {
  requireCommand(ctx, 'kubectl', 'kubectl');
  if (!rendered.has(overlay)) {
    rendered.set(
      overlay,
      (async () => {
        const version = JSON.parse((await run('kubectl', ['version', '--client', '-o', 'json'])).stdout);
        const major = Number(/^v(\d+)/.exec(version.kustomizeVersion ?? '')?.[1] ?? 0);
        if (major < 5)
          throw new Error(`kubectl's kustomize is ${version.kustomizeVersion ?? 'missing'}: the overlays need kustomize v5 (kubectl 1.27 or later)`);
        // Rendered from a copy, where an overlay's own script makes the files it leaves out of the repository.
        const copy = mkdtempSync(join(tmpdir(), 'jobflow-kustomize-'));
        cpSync(repoPath('deploy/kubernetes'), copy, { recursive: true });
        const generate = join(copy, 'overlays', overlay, 'generate-secrets.sh');
        if (existsSync(generate)) {
          const made = await run('bash', [generate]);
          if (made.code) throw new Error(`${overlay}/generate-secrets.sh failed:\n${made.stderr}`);
        }
        const out = await run('kubectl', ['kustomize', join(copy, 'overlays', overlay)]);
        rmSync(copy, { recursive: true, force: true });
        if (out.code) throw new Error(`kubectl kustomize ${overlay} failed:\n${out.stderr}`);
        return parseAllDocuments(out.stdout).map((doc) => doc.toJSON() as KubeObject);
      })(),
    );
  }
  return rendered.get(overlay)!;
}

const byKind = (objects: KubeObject[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: KubeObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} (have: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`);
  return found;
};
const podTemplate = (o: KubeObject) => o.spec.template;
const workloads = (objects: KubeObject[]) => objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));
const isJobflow = (o: KubeObject) => o.metadata.labels?.['app.kubernetes.io/name'] === 'jobflow';
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const envOf = (container: KubeContainer): Record<string, string | undefined> => Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));

/** Pod Security Standards, "restricted" profile: what the production namespace enforces. */
function restrictedViolations(name: string, pod: KubePodTemplate): string[] {
  const spec = pod.spec;
  const out: string[] = [];
  const allowedVolumes = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
  for (const volume of spec.volumes ?? []) {
    const type = Object.keys(volume).find((k) => k !== 'name');
    if (!allowedVolumes.includes(type!)) out.push(`${name}: volume ${volume.name} is ${type}`);
  }
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) out.push(`${name}: host namespaces`);
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    const sc = c.securityContext ?? {};
    const where = `${name}/${c.name}`;
    if (sc.privileged) out.push(`${where}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${where}: allowPrivilegeEscalation is not false`);
    if (!sc.capabilities?.drop?.includes('ALL')) out.push(`${where}: capabilities not dropped`);
    if ((sc.capabilities?.add ?? []).some((cap: string) => cap !== 'NET_BIND_SERVICE')) out.push(`${where}: adds capabilities`);
    if ((sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot) !== true) out.push(`${where}: runAsNonRoot is not true`);
    if ((sc.runAsUser ?? spec.securityContext?.runAsUser) === 0) out.push(`${where}: runs as root`);
    if (!['RuntimeDefault', 'Localhost'].includes(sc.seccompProfile?.type ?? spec.securityContext?.seccompProfile?.type ?? ''))
      out.push(`${where}: no seccomp profile`);
    if ((c.ports ?? []).some((p) => p.hostPort)) out.push(`${where}: hostPort`);
  }
  return out;
}

describe.each(overlays)('deploy/kubernetes/overlays/%s', (overlay) => {
  it('renders objects that match the Kubernetes, KEDA and Prometheus Operator schemas, with no unknown field', async (ctx) => {
    const objects = await render(ctx, overlay);
    expect(objects.length).toBeGreaterThan(5);
    const errors: string[] = [];
    for (const object of objects) {
      // The API server decodes Secret data as base64 with line breaks (kustomize wraps long values).
      const candidate =
        object.kind === 'Secret'
          ? { ...object, data: Object.fromEntries(Object.entries(object.data ?? {}).map(([k, v]) => [k, String(v).replace(/\s/g, '')])) }
          : object;
      for (const error of await schemaErrors(candidate)) errors.push(`${object.kind}/${object.metadata.name}: ${error}`);
    }
    expect(errors).toEqual([]);
    expect(unknownFields(objects)).toEqual([]);
  });

  it('puts every object in the overlay namespace, which it creates', async (ctx) => {
    const objects = await render(ctx, overlay);
    const [namespace] = byKind(objects, 'Namespace');
    expect(namespace, 'Namespace').toBeDefined();
    for (const o of objects.filter((o) => o.kind !== 'Namespace')) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(namespace!.metadata.name);
  });

  it('runs the server, the worker and the migration from the compiled entry points under the image entrypoint', async (ctx) => {
    const objects = await render(ctx, overlay);
    const args = Object.fromEntries(
      workloads(objects)
        .filter(isJobflow)
        .map((w) => [w.metadata.name, podTemplate(w).spec.containers.map((c) => c.args)]),
    );
    expect(args).toEqual({
      'jobflow-server': [['node', 'server/dist/main.js']],
      'jobflow-worker': [['node', 'worker/dist/main.js']],
      'jobflow-migrate': [['node', 'server/dist/migrate.js']],
    });
    for (const w of workloads(objects).filter(isJobflow)) {
      for (const c of podTemplate(w).spec.containers) {
        // `command` would replace tini, the image's init process.
        expect(c.command, `${w.metadata.name}/${c.name}`).toBeUndefined();
        expect((c.envFrom ?? []).map((e) => e.secretRef?.name ?? e.configMapRef?.name)).toHaveLength(2);
      }
    }
  });

  it('probes the server and the worker on ports their containers declare', async (ctx) => {
    const objects = await render(ctx, overlay);
    const probes: Record<string, string[]> = {};
    for (const name of ['jobflow-server', 'jobflow-worker']) {
      const container = podTemplate(named(objects, 'Deployment', name)).spec.containers[0]!;
      const ports = (container.ports ?? []).map((p) => p.name);
      probes[name] = (['startupProbe', 'livenessProbe', 'readinessProbe'] as const).map((probe) => {
        const get = container[probe]?.httpGet;
        expect(ports, `${name} ${probe} port`).toContain(get?.port);
        return `${probe} ${get?.path} ${get?.port}`;
      });
    }
    expect(probes).toEqual({
      'jobflow-server': ['startupProbe /healthz http', 'livenessProbe /healthz http', 'readinessProbe /readyz http'],
      'jobflow-worker': ['startupProbe /healthz health', 'livenessProbe /healthz health', 'readinessProbe /readyz health'],
    });
    const worker = podTemplate(named(objects, 'Deployment', 'jobflow-worker')).spec.containers[0]!;
    expect(worker.ports?.find((p) => p.name === 'health')?.containerPort).toBe(Number(envOf(worker).HEALTH_PORT));
  });

  it('stops pods within their grace: the server after SHUTDOWN_DELAY_MS, the worker after SHUTDOWN_GRACE_MS', async (ctx) => {
    const objects = await render(ctx, overlay);
    const server = podTemplate(named(objects, 'Deployment', 'jobflow-server')).spec;
    const delayMs = Number(envOf(server.containers[0]!).SHUTDOWN_DELAY_MS);
    expect(delayMs).toBeGreaterThan(0);
    // The delay replaces a preStop sleep; both would add up.
    expect(server.containers[0]!.lifecycle?.preStop).toBeUndefined();
    expect(server.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(delayMs + 20_000);

    const worker = podTemplate(named(objects, 'Deployment', 'jobflow-worker')).spec;
    const graceMs = Number(envOf(worker.containers[0]!).SHUTDOWN_GRACE_MS);
    expect(graceMs).toBeGreaterThan(0);
    expect(worker.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(graceMs + 15_000);
  });

  it('gives every container requests and limits, and runs Jobflow non-root with a read-only root filesystem', async (ctx) => {
    const objects = await render(ctx, overlay);
    const problems: string[] = [];
    for (const w of workloads(objects)) {
      for (const c of podTemplate(w).spec.containers) {
        const where = `${w.metadata.name}/${c.name}`;
        if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) problems.push(`${where}: no cpu/memory request`);
        if (!c.resources?.limits?.memory) problems.push(`${where}: no memory limit`);
      }
      if (isJobflow(w)) {
        problems.push(...restrictedViolations(w.metadata.name, podTemplate(w)));
        const spec = podTemplate(w).spec;
        if (spec.automountServiceAccountToken !== false) problems.push(`${w.metadata.name}: mounts a service account token`);
        for (const c of spec.containers)
          if (c.securityContext?.readOnlyRootFilesystem !== true) problems.push(`${w.metadata.name}/${c.name}: writable root filesystem`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('connects Services, the Ingress, disruption budgets and autoscalers to what exists', async (ctx) => {
    const objects = await render(ctx, overlay);
    const pods = workloads(objects).map((w) => ({ name: w.metadata.name, labels: podTemplate(w).metadata.labels, spec: podTemplate(w).spec }));
    for (const service of byKind(objects, 'Service')) {
      const targets = pods.filter((p) => matches(service.spec.selector, p.labels));
      expect(targets.length, `pods of Service ${service.metadata.name}`).toBe(1);
      const portNames = targets[0]!.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name));
      for (const port of service.spec.ports) expect(portNames, `Service ${service.metadata.name} port ${port.name}`).toContain(port.targetPort);
    }
    for (const ingress of byKind(objects, 'Ingress')) {
      for (const path of ingress.spec.rules.flatMap((r) => r.http.paths)) {
        const service = named(objects, 'Service', path.backend.service.name);
        expect(service.spec.ports.map((p) => p.name)).toContain(path.backend.service.port.name);
      }
      // Live connections stay open beyond Socket.IO's 25 s ping; bodies up to BODY_LIMIT_BYTES (1 MiB) pass.
      const annotations = ingress.metadata.annotations ?? {};
      expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(60);
      expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(60);
      expect(annotations['nginx.ingress.kubernetes.io/proxy-body-size']).toMatch(/^[2-9]m|\d{2,}m$/);
    }
    const budgets = byKind(objects, 'PodDisruptionBudget');
    expect(budgets.map((b) => b.metadata.name).sort()).toEqual(['jobflow-server', 'jobflow-worker']);
    for (const budget of budgets)
      expect(pods.filter((p) => matches(budget.spec.selector.matchLabels, p.labels)).map((p) => p.name)).toEqual([budget.metadata.name]);
    for (const scaler of [...byKind(objects, 'HorizontalPodAutoscaler'), ...byKind(objects, 'ScaledObject')]) {
      const target = named(objects, 'Deployment', scaler.spec.scaleTargetRef.name);
      // The autoscaler owns the replica count: applying again must not reset it.
      expect(target.spec.replicas, `${target.metadata.name} replicas under ${scaler.kind}`).toBeUndefined();
    }
  });

  it('uses one Secret name everywhere, generated here or created beforehand', async (ctx) => {
    const objects = await render(ctx, overlay);
    const referenced = new Set<string>();
    for (const w of workloads(objects)) {
      for (const c of podTemplate(w).spec.containers) {
        for (const e of c.envFrom ?? []) if (e.secretRef) referenced.add(e.secretRef.name);
        for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) referenced.add(e.valueFrom.secretKeyRef.name);
      }
    }
    for (const monitor of byKind(objects, 'ServiceMonitor')) {
      for (const endpoint of monitor.spec.endpoints) referenced.add(endpoint.authorization.credentials.name);
    }
    expect(referenced.size).toBe(1);
    const secrets = byKind(objects, 'Secret');
    if (secrets.length) {
      expect(secrets.map((s) => s.metadata.name)).toEqual([...referenced]);
      // Generated Secrets hold fresh random values, never one written in the repository.
      const published = readFileSync(repoPath(`deploy/kubernetes/overlays/${overlay}/kustomization.yaml`), 'utf8');
      const data = secrets[0]!.data as Record<string, string>;
      expect(Object.keys(data).sort()).toEqual(['DATABASE_URL', 'JWT_SECRET', 'POSTGRES_PASSWORD', 'REDIS_PASSWORD', 'REDIS_URL', 'SECRETS_KEY']);
      const jwtSecret = Buffer.from(data.JWT_SECRET!, 'base64').toString();
      expect(jwtSecret).toMatch(/^[0-9a-f]{64}$/);
      for (const value of Object.values(data)) expect(published).not.toContain(Buffer.from(value, 'base64').toString());
    } else {
      expect([...referenced]).toEqual(['jobflow-secrets']);
    }
  });
});

describe('deploy/kubernetes/overlays/production', () => {
  it('enforces the restricted Pod Security Standard on its namespace, and every pod meets it', async (ctx) => {
    const objects = await render(ctx, 'production');
    expect(byKind(objects, 'Namespace')[0]!.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    expect(workloads(objects).flatMap((w) => restrictedViolations(w.metadata.name, podTemplate(w)))).toEqual([]);
    expect(byKind(objects, 'Secret'), 'secrets come from outside the repository').toEqual([]);
  });

  it('scales workers on the queue with KEDA, never to zero, and scrapes servers and workers with the metrics token', async (ctx) => {
    const objects = await render(ctx, 'production');
    const scaled = named(objects, 'ScaledObject', 'jobflow-worker');
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    expect(scaled.spec.triggers).toHaveLength(1);
    expect(scaled.spec.triggers[0]).toMatchObject({ type: 'prometheus', metadata: { query: expect.stringContaining('jobflow_queue_depth') } });
    expect(scaled.spec.triggers[0]!.metadata.query).toContain('namespace="jobflow"');

    const services = byKind(objects, 'Service');
    const scraped = byKind(objects, 'ServiceMonitor').map((monitor) => {
      const [service] = services.filter((s) => matches(monitor.spec.selector.matchLabels, s.metadata.labels));
      const ports = monitor.spec.endpoints.map((e) => {
        expect(service!.spec.ports.map((p) => p.name)).toContain(e.port);
        expect(e.authorization.credentials.key).toBe('METRICS_TOKEN');
        return `${e.port}${e.path}`;
      });
      return `${service!.metadata.name} ${ports.join(' ')}`;
    });
    expect(scraped.sort()).toEqual(['jobflow-server http/metrics', 'jobflow-worker health/metrics']);
  });

  it('documents every key of the Secret it expects', () => {
    const example = readFileSync(repoPath('deploy/kubernetes/overlays/production/secrets.env.example'), 'utf8');
    const keys = [...example.matchAll(/^([A-Z_]+)=/gm)].map(([, key]) => key).sort();
    expect(keys).toEqual(['DATABASE_URL', 'JWT_SECRET', 'METRICS_TOKEN', 'MIGRATE_DATABASE_URL', 'REDIS_URL', 'SECRETS_KEY']);
  });
});
