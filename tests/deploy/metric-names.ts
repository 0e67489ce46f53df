import { readFileSync } from 'node:fs';
import { repoPath } from './tools';

const HISTOGRAM_SERIES = /_(bucket|sum|count)$/;

/** The Jobflow metric names (histograms by their base name) mentioned in `text`. */
export function jobflowMetricsIn(text: string): Set<string> {
  return new Set([...text.matchAll(/\bjobflow_[a-z0-9_]+/g)].map(([name]) => name.replace(HISTOGRAM_SERIES, '')));
}

/** Every Jobflow metric the shipped alerts, dashboard and autoscaler query. */
export function queriedMetrics(): Map<string, string[]> {
  const sources = [
    'deploy/monitoring/alerts.rules.yml',
    'deploy/monitoring/grafana-dashboard.json',
    'deploy/kubernetes/components/keda-autoscaling/worker-scaledobject.yaml',
  ];
  const byName = new Map<string, string[]>();
  for (const source of sources) {
    for (const name of jobflowMetricsIn(readFileSync(repoPath(source), 'utf8'))) byName.set(name, [...(byName.get(name) ?? []), source]);
  }
  return byName;
}

/** The metrics docs/operations.md lists (its table rows start with the name in backticks). */
export function documentedMetrics(): Set<string> {
  const doc = readFileSync(repoPath('docs/operations.md'), 'utf8');
  return new Set([...doc.matchAll(/^\| `(jobflow_[a-z0-9_]+)(?:\{[^`]*\})?` \|/gm)].map(([, name]) => name!));
}

/** The metric families a Prometheus text exposition declares (`# TYPE name kind`). */
export function exposedMetrics(exposition: string): Set<string> {
  return new Set([...exposition.matchAll(/^# TYPE (\S+) \S+$/gm)].map(([, name]) => name!));
}
