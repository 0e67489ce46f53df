import { For, Show } from 'solid-js';
import { formatDuration, formatNumber, t } from '../i18n/i18n';
import type { RunTrend } from './run-trend';

const W = 720;
const H = 160;
const PAD = { top: 10, right: 8, bottom: 10, left: 8 };

const percent = (rate: number) => new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 0 }).format(rate);

/**
 * A job's recent finished runs as plain SVG: one bar per run (its duration,
 * coloured by outcome), with lines at the median and
 * the 95th percentile, and the success rate and percentiles as figures.
 */
export function RunTrendChart(props: { trend: RunTrend }) {
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const scaleMax = () => Math.max(1, props.trend.maxMs);
  const slot = () => innerW / Math.max(10, props.trend.runs.length);
  const y = (ms: number) => PAD.top + innerH - (ms / scaleMax()) * innerH;
  const n = () => formatNumber(props.trend.runs.length);
  const ms = (value: number | null) => (value === null ? '—' : formatDuration(value));
  return (
    <Show when={props.trend.runs.length > 0} fallback={<p class="muted">{t('job.trendNone')}</p>}>
      <div class="trend">
        <dl class="trend-figures">
          <div>
            <dt>{t('job.successRate')}</dt>
            <dd data-figure="success-rate">{props.trend.successRate === null ? '—' : percent(props.trend.successRate)}</dd>
          </div>
          <div>
            <dt>{t('job.p50')}</dt>
            <dd data-figure="p50">{ms(props.trend.p50Ms)}</dd>
          </div>
          <div>
            <dt>{t('job.p95')}</dt>
            <dd data-figure="p95">{ms(props.trend.p95Ms)}</dd>
          </div>
        </dl>
        <figure class="chart trend-chart">
          <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="trend-title trend-desc" preserveAspectRatio="none">
            <title id="trend-title">{t('job.trendChart', { n: n() })}</title>
            <desc id="trend-desc">
              {t('job.trendSummary', {
                n: n(),
                rate: props.trend.successRate === null ? '—' : percent(props.trend.successRate),
                p50: ms(props.trend.p50Ms),
                p95: ms(props.trend.p95Ms),
              })}
            </desc>
            <For each={props.trend.runs}>
              {(run, i) => {
                const height = () => Math.max(2, PAD.top + innerH - y(run.durationMs ?? 0));
                return (
                  <g>
                    <title>{`${t(`status.${run.status}`)} · ${ms(run.durationMs)}`}</title>
                    <rect
                      class={`bar bar-${run.status}`}
                      data-run-id={run.id}
                      x={PAD.left + i() * slot() + slot() * 0.15}
                      width={slot() * 0.7}
                      y={PAD.top + innerH - height()}
                      height={height()}
                    />
                  </g>
                );
              }}
            </For>
            <Show when={props.trend.p50Ms}>{(p50) => <line class="trend-line trend-p50" x1={PAD.left} x2={W - PAD.right} y1={y(p50())} y2={y(p50())} />}</Show>
            <Show when={props.trend.p95Ms}>{(p95) => <line class="trend-line trend-p95" x1={PAD.left} x2={W - PAD.right} y1={y(p95())} y2={y(p95())} />}</Show>
          </svg>
          <figcaption class="legend">
            <For each={['succeeded', 'failed', 'cancelled'] as const}>
              {(key) => (
                <span class="legend-item">
                  <span class={`swatch bar-${key}`} aria-hidden="true" />
                  {t(`status.${key}`)}
                </span>
              )}
            </For>
            <span class="legend-item">
              <span class="swatch-line trend-p50" aria-hidden="true" />
              {t('job.p50')}
            </span>
            <span class="legend-item">
              <span class="swatch-line trend-p95" aria-hidden="true" />
              {t('job.p95')}
            </span>
          </figcaption>
        </figure>
      </div>
    </Show>
  );
}
