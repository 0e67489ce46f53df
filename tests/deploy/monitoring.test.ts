import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { documentedMetrics, jobflowMetricsIn, queriedMetrics } from './metric-names';
import { repoPath, requireCommand, run } from './tools';

/** The shipped Prometheus rules, scrape configuration and Grafana dashboard, checked with Debian's promtool. */
const monitoring = (file: string) => repoPath('deploy/monitoring', file);
const scratch = mkdtempSync(join(tmpdir(), 'jobflow-monitoring-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; datasource?: { uid: string } }[];
}
const dashboard = JSON.parse(readFileSync(monitoring('grafana-dashboard.json'), 'utf8'));
const panels: Panel[] = dashboard.panels;

/** Checks PromQL expressions by loading them as recording rules into promtool. */
async function checkExpressions(expressions: string[]) {
  const file = join(scratch, `expressions-${Math.random().toString(36).slice(2)}.yml`);
  const rules = expressions.map((expr, i) => ({ record: `jobflow:check:${i}`, expr }));
  writeFileSync(file, stringify({ groups: [{ name: 'check', rules }] }));
  return run('promtool', ['check', 'rules', file]);
}

describe('Prometheus alert rules', () => {
  it('pass promtool check rules', async (ctx) => {
    requireCommand(ctx, 'promtool', 'prometheus');
    const result = await run('promtool', ['check', 'rules', monitoring('alerts.rules.yml')]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('fire when they should and stay quiet otherwise (promtool test rules)', async (ctx) => {
    requireCommand(ctx, 'promtool', 'prometheus');
    const result = await run('promtool', ['test', 'rules', monitoring('alerts.test.yml')], { cwd: monitoring('.') });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('SUCCESS');
  });

  it('alert on failing runs, queue age, missing workers, event lag, pool saturation, Redis errors and 5xx, each tested', () => {
    const rules = parse(readFileSync(monitoring('alerts.rules.yml'), 'utf8')).groups.flatMap((g: any) => g.rules);
    const names = rules.map((r: any) => r.alert);
    expect(names).toEqual(
      expect.arrayContaining([
        'JobflowRunFailureRatioHigh',
        'JobflowQueueBacklog',
        'JobflowNoReadyWorkers',
        'JobflowEventLagHigh',
        'JobflowDbPoolSaturated',
        'JobflowRedisErrors',
        'JobflowServerErrors',
      ]),
    );
    for (const rule of rules) expect(rule.labels?.severity, rule.alert).toMatch(/^(warning|critical)$/);
    const tests = parse(readFileSync(monitoring('alerts.test.yml'), 'utf8')).tests;
    const fired = new Set(tests.flatMap((t: any) => t.alert_rule_test.filter((a: any) => a.exp_alerts.length).map((a: any) => a.alertname)));
    expect(names.filter((name: string) => !fired.has(name) && name !== 'JobflowNoServers')).toEqual([]);
  });
});

describe('Prometheus scrape configuration', () => {
  it('passes promtool check config, with the rules it loads', async (ctx) => {
    requireCommand(ctx, 'promtool', 'prometheus');
    const tokenFile = join(scratch, 'jobflow-metrics-token');
    writeFileSync(tokenFile, 'token\n');
    const config = readFileSync(monitoring('prometheus.yml'), 'utf8').replaceAll('/etc/prometheus/jobflow-metrics-token', tokenFile);
    writeFileSync(join(scratch, 'prometheus.yml'), config);
    copyFileSync(monitoring('alerts.rules.yml'), join(scratch, 'alerts.rules.yml'));
    const result = await run('promtool', ['check', 'config', join(scratch, 'prometheus.yml')]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const jobs = parse(config).scrape_configs.map((s: any) => s.job_name);
    // The names the alert rules select on.
    expect(jobs).toEqual(['jobflow-server', 'jobflow-worker']);
  });
});

describe('Grafana dashboard', () => {
  it('is importable anywhere: a Prometheus data source variable that every panel and query uses', () => {
    expect(dashboard).toMatchObject({ id: null, uid: expect.any(String), title: 'Jobflow', schemaVersion: expect.any(Number) });
    const variable = dashboard.templating.list.find((v: any) => v.type === 'datasource');
    expect(variable).toMatchObject({ name: 'datasource', query: 'prometheus' });
    const graphs = panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThanOrEqual(15);
    for (const panel of graphs) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const target of panel.targets ?? []) expect(target.datasource?.uid, panel.title).toBe('${datasource}');
    }
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
  });

  it('lays panels out on the 24-column grid without overlap', () => {
    const overlaps: string[] = [];
    for (const [i, a] of panels.entries()) {
      expect(a.gridPos.x + a.gridPos.w, a.title).toBeLessThanOrEqual(24);
      for (const b of panels.slice(i + 1)) {
        const apart =
          a.gridPos.x + a.gridPos.w <= b.gridPos.x ||
          b.gridPos.x + b.gridPos.w <= a.gridPos.x ||
          a.gridPos.y + a.gridPos.h <= b.gridPos.y ||
          b.gridPos.y + b.gridPos.h <= a.gridPos.y;
        if (!apart) overlaps.push(`${a.title} / ${b.title}`);
      }
    }
    expect(overlaps).toEqual([]);
  });

  it('queries in valid PromQL (promtool), as does the worker autoscaler', async (ctx) => {
    requireCommand(ctx, 'promtool', 'prometheus');
    const expressions = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr.replaceAll('$__rate_interval', '1m')));
    const keda = parse(readFileSync(repoPath('deploy/kubernetes/components/keda-autoscaling/worker-scaledobject.yaml'), 'utf8'));
    expressions.push(...keda.spec.triggers.map((t: any) => t.metadata.query));
    const result = await checkExpressions(expressions);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`SUCCESS: ${expressions.length} rules found`);
  });
});

describe('metric names', () => {
  it('are all documented in docs/operations.md, and the dashboard shows every one', () => {
    const documented = documentedMetrics();
    expect(documented.size).toBeGreaterThanOrEqual(15);
    const undocumented = [...queriedMetrics()].filter(([name]) => !documented.has(name)).map(([name, where]) => `${name} (${where.join(', ')})`);
    expect(undocumented, 'queried but not documented (a typo never fires)').toEqual([]);
    const shown = jobflowMetricsIn(JSON.stringify(dashboard));
    expect([...documented].filter((name) => !shown.has(name))).toEqual([]);
  });
});
