import { For, Show } from 'solid-js';
import { Link } from '../app/router';
import { formatDuration, t } from '../i18n/i18n';
import { runs } from '../stores/runs.store';
import { StartedBy } from './started-by';
import { StatusBadge } from './status';
import { Time } from './time';
import type { RunSummaryDto } from '@jobflow/shared/client';

const duration = (run: RunSummaryDto, now: number): string | null => {
  if (run.durationMs !== null) return formatDuration(run.durationMs);
  if (run.startedAt && run.status === 'running') return formatDuration(now - Date.parse(run.startedAt));
  return null;
};

/** Which rows are picked for a bulk action, where the table offers it. */
export interface RunSelection {
  isSelected(id: string): boolean;
  toggle(id: string, isOn: boolean): void;
  /** Picks or drops every row shown. */
  toggleAll(isOn: boolean): void;
}

/** Runs as a table; rows follow the runs store, so live changes show at once. */
export function RunsTable(props: { ids: readonly string[]; now: number; showJob?: boolean; caption: string; selection?: RunSelection }) {
  const isAllSelected = () => props.ids.length > 0 && props.ids.every((id) => props.selection?.isSelected(id));
  return (
    <div class="table-wrap">
      <table class="table">
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            <Show when={props.selection}>
              {(selection) => (
                <th scope="col" class="select-cell">
                  <input
                    type="checkbox"
                    aria-label={t('runs.selectAll')}
                    checked={isAllSelected()}
                    onChange={(e) => selection().toggleAll(e.currentTarget.checked)}
                  />
                </th>
              )}
            </Show>
            <th scope="col">{t('runs.status')}</th>
            <Show when={props.showJob}>
              <th scope="col">{t('runs.job')}</th>
            </Show>
            <th scope="col">{t('runs.run')}</th>
            <th scope="col">{t('runs.trigger')}</th>
            <th scope="col">{t('runs.queuedAt')}</th>
            <th scope="col" class="num">
              {t('runs.duration')}
            </th>
          </tr>
        </thead>
        <tbody>
          <For each={props.ids}>
            {(id) => (
              <Show when={runs[id]}>
                {(run) => (
                  <tr data-run-id={id} classList={{ selected: props.selection?.isSelected(id) ?? false }}>
                    <Show when={props.selection}>
                      {(selection) => (
                        <td class="select-cell">
                          <input
                            type="checkbox"
                            aria-label={t('runs.selectRun', { job: run().jobName, id: id.slice(0, 8) })}
                            checked={selection().isSelected(id)}
                            onChange={(e) => selection().toggle(id, e.currentTarget.checked)}
                          />
                        </td>
                      )}
                    </Show>
                    <td data-label={t('runs.status')}>
                      <StatusBadge status={run().status} />
                      <Show when={run().status === 'running' && run().progress !== null}>
                        <span class="inline-progress" title={t('runs.progress')}>
                          {' '}
                          {Math.round((run().progress ?? 0) * 100)}%
                        </span>
                      </Show>
                    </td>
                    <Show when={props.showJob}>
                      <td data-label={t('runs.job')}>
                        <Link href={`/jobs/${encodeURIComponent(run().jobId)}`}>{run().jobName}</Link>
                      </td>
                    </Show>
                    <td data-label={t('runs.run')}>
                      <Link href={`/runs/${encodeURIComponent(id)}`} class="mono">
                        {t('runs.runLink', { id: id.slice(0, 8) })}
                      </Link>
                      <Show when={run().maxAttempts > 1}>
                        <span class="muted"> · {t('runs.attemptShort', { n: run().attempt, m: run().maxAttempts })}</span>
                      </Show>
                    </td>
                    <td data-label={t('runs.trigger')}>
                      <span class="trigger-cell">
                        <span>{t(`trigger.${run().trigger.kind}`)}</span>
                        <StartedBy trigger={run().trigger} />
                        <Show when={run().paramsChanged}>
                          <span class="tag tag-changed" title={t('runs.paramsChangedHint')}>
                            <span aria-hidden="true">✎ </span>
                            {t('runs.paramsChanged')}
                          </span>
                        </Show>
                      </span>
                    </td>
                    <td data-label={t('runs.queuedAt')}>
                      <Time iso={run().queuedAt} />
                    </td>
                    <td class="num" data-label={t('runs.duration')}>
                      {duration(run(), props.now) ?? '—'}
                    </td>
                  </tr>
                )}
              </Show>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}
