import { For, Index } from 'solid-js';
import { inSteps } from '../app/in-steps';
import { formatHour, formatNumber, t } from '../i18n/i18n';
import type { HourBucket } from './run-stats';

const W = 720;
const H = 180;
const PAD = { top: 12, right: 8, bottom: 24, left: 32 };
const SERIES = ['succeeded', 'failed', 'cancelled'] as const;
/** Hours drawn per task on the first render: a whole day of bars at once held a phone's main thread too long. */
const HOURS_PER_TASK = 8;

/** Finished runs per hour over the last 24 h, stacked by outcome, drawn as plain SVG. */
export function RunsChart(props: { buckets: HourBucket[] }) {
  // Drawn a few hours per task the first time, then kept by position (Index): a new hour or count updates
  // the bars in place instead of drawing the whole day again.
  const bars = inSteps(() => props.buckets, HOURS_PER_TASK);
  const max = () => Math.max(1, ...props.buckets.map((b) => b.succeeded + b.failed + b.cancelled));
  const niceMax = () => {
    const m = max();
    const step = 10 ** Math.floor(Math.log10(m));
    return Math.ceil(m / step) * step;
  };
  /** Fractions of the axis to label: whole numbers only. */
  const ticks = () => (niceMax() % 2 === 0 ? [0, 0.5, 1] : [0, 1]);
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const slot = () => innerW / Math.max(1, props.buckets.length);
  const y = (value: number) => PAD.top + innerH - (value / niceMax()) * innerH;
  const total = () => props.buckets.reduce((sum, b) => sum + b.succeeded + b.failed + b.cancelled, 0);
  const label = (key: (typeof SERIES)[number]) => t(`status.${key}`);

  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="chart-title chart-desc" preserveAspectRatio="none">
        <title id="chart-title">{t('chart.title')}</title>
        <desc id="chart-desc">{t('chart.summary', { n: formatNumber(total()) })}</desc>
        <For each={ticks()}>
          {(f) => (
            <g class="chart-grid">
              <line x1={PAD.left} x2={W - PAD.right} y1={y(niceMax() * f)} y2={y(niceMax() * f)} />
              <text x={PAD.left - 4} y={y(niceMax() * f) + 4} text-anchor="end">
                {formatNumber(Math.round(niceMax() * f))}
              </text>
            </g>
          )}
        </For>
        <Index each={bars.shown()}>
          {(bucket, i) => {
            const x = () => PAD.left + i * slot() + slot() * 0.15;
            const width = () => slot() * 0.7;
            const sum = () => bucket().succeeded + bucket().failed + bucket().cancelled;
            const segments = () => {
              let base = 0;
              return SERIES.map((key) => {
                const value = bucket()[key];
                const segment = { key, y0: base, y1: base + value };
                base += value;
                return segment;
              }).filter((s) => s.y1 > s.y0);
            };
            return (
              <g>
                <title>
                  {`${formatHour(bucket().start)} — ${t('chart.runs', { n: sum() })}: ` + SERIES.map((key) => `${label(key)} ${bucket()[key]}`).join(', ')}
                </title>
                <rect class="chart-hit" x={PAD.left + i * slot()} y={PAD.top} width={slot()} height={innerH} />
                <Index each={segments()}>
                  {(s) => <rect class={`bar bar-${s().key}`} x={x()} width={width()} y={y(s().y1)} height={Math.max(0, y(s().y0) - y(s().y1))} />}
                </Index>
                {i % 3 === 0 && (
                  <text class="chart-axis" x={x() + width() / 2} y={H - 6} text-anchor="middle">
                    {formatHour(bucket().start)}
                  </text>
                )}
              </g>
            );
          }}
        </Index>
      </svg>
      <figcaption class="legend">
        <For each={SERIES}>
          {(key) => (
            <span class="legend-item">
              <span class={`swatch bar-${key}`} aria-hidden="true" />
              {label(key)}
            </span>
          )}
        </For>
      </figcaption>
    </figure>
  );
}
