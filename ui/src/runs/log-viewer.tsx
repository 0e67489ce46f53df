import { createEffect, createMemo, createSignal, For, Index, on, onCleanup, onMount, Show, type JSX } from 'solid-js';
import type { LogLineDto } from '@jobflow/shared/client';
import { client } from '../app/client';
import { errorMessage } from '../app/errors';
import { formatDateTimeZone, formatNumber, locale, t } from '../i18n/i18n';
import { parseAnsi, type AnsiSpan } from './ansi';
import { createWrapLayout, ROW_PX } from './log-layout';
import { findMatches, stepMatch, type LogModel } from './log-model';
import { systemText } from './system-text';

export { ROW_PX };
const OVERSCAN = 20;
const STREAM_MARK = { stdout: '', stderr: 'ERR', system: 'SYS' } as const;
/** The gutter before the text: seq, time (when shown), stream mark, and the row's padding (px; the CSS matches). */
const GUTTER_PX = { seq: 76, time: 104, stream: 38, padding: 16 } as const;

const remembered = (key: string, fallback: boolean): boolean => {
  try {
    const value = localStorage.getItem(key);
    return value === null ? fallback : value === '1';
  } catch {
    return fallback;
  }
};
const remember = (key: string, value: boolean) => {
  try {
    localStorage.setItem(key, value ? '1' : '0');
  } catch {
    // private mode: the choice lasts for this page
  }
};

const clockFormats = new Map<string, Intl.DateTimeFormat>();
/** `12:03:04.567` in the user's zone: when a line was written, to the millisecond. */
function clockTime(iso: string): string {
  let format = clockFormats.get(locale());
  if (!format) {
    format = new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hourCycle: 'h23' });
    clockFormats.set(locale(), format);
  }
  return format.format(new Date(iso));
}

const spanStyle = (span: AnsiSpan): JSX.CSSProperties | undefined => {
  const style: JSX.CSSProperties = {};
  if (typeof span.fg === 'string') style.color = span.fg;
  if (typeof span.bg === 'string') style['background-color'] = span.bg;
  return Object.keys(style).length ? style : undefined;
};
const spanClass = (span: AnsiSpan): string =>
  [
    typeof span.fg === 'number' ? `ansi-fg-${span.fg}` : '',
    typeof span.bg === 'number' ? `ansi-bg-${span.bg}` : '',
    span.isBold ? 'ansi-bold' : '',
    span.isDim ? 'ansi-dim' : '',
    span.isItalic ? 'ansi-italic' : '',
    span.isUnderline ? 'ansi-underline' : '',
  ]
    .filter(Boolean)
    .join(' ');

/** `text` with the find query marked (case-insensitive). */
function marked(text: string, query: string): JSX.Element {
  if (!query) return text;
  const at = text.toLowerCase().indexOf(query.toLowerCase());
  if (at < 0) return text;
  return (
    <>
      {text.slice(0, at)}
      <mark>{text.slice(at, at + query.length)}</mark>
      {text.slice(at + query.length)}
    </>
  );
}

/**
 * A virtualised log: only the rows in view are in the DOM, so 200,000 lines
 * scroll as smoothly as 20. Follows the tail until the user scrolls up. ANSI
 * colours are drawn; long lines can wrap; each line can show when it was
 * written; a line's number links to it (`#L<seq>`).
 */
export function LogViewer(props: { runId: string; model: LogModel; isLive: boolean }) {
  let viewport!: HTMLDivElement;
  let findInput!: HTMLInputElement;
  let probe!: HTMLSpanElement;
  const [scrollTop, setScrollTop] = createSignal(0);
  const [height, setHeight] = createSignal(480);
  const [width, setWidth] = createSignal(0);
  const [charPx, setCharPx] = createSignal(7.8);
  const [isFollowing, setFollowing] = createSignal(true);
  const [isWrapped, setWrapped] = createSignal(remembered('jobflow.log.wrap', true));
  const [hasTimes, setTimes] = createSignal(remembered('jobflow.log.times', true));
  const [query, setQuery] = createSignal('');
  const [appliedQuery, setAppliedQuery] = createSignal('');
  const [matches, setMatches] = createSignal<number[]>([], { equals: false });
  const [current, setCurrent] = createSignal<number | null>(null);
  const [downloadError, setDownloadError] = createSignal<string | null>(null);
  const [isDownloading, setDownloading] = createSignal(false);
  let scannedUpTo = 0;

  const count = () => props.model.count();
  const gutterPx = () => GUTTER_PX.seq + GUTTER_PX.stream + GUTTER_PX.padding + (hasTimes() ? GUTTER_PX.time : 0);
  const columns = () => Math.max(20, Math.floor((width() - gutterPx()) / charPx()));

  // Row geometry: fixed rows, or wrapped lines of several rows each.
  const wrap = createWrapLayout();
  const layout = createMemo(() => {
    const n = count();
    if (!isWrapped()) return { n, isWrapped: false as const };
    wrap.update(props.model.lines, columns());
    return { n, isWrapped: true as const, columns: columns() };
  });
  const topOf = (index: number) => (layout().isWrapped ? wrap.top(index) : index * ROW_PX);
  const heightOf = (index: number) => (layout().isWrapped ? wrap.height(index) : ROW_PX);
  const totalHeight = () => (layout().isWrapped ? wrap.total() : layout().n * ROW_PX);
  const indexAt = (y: number) => (layout().isWrapped ? wrap.indexAt(y) : Math.floor(y / ROW_PX));

  const range = createMemo(() => {
    layout();
    const first = Math.max(0, indexAt(scrollTop()) - OVERSCAN);
    const last = Math.min(count(), indexAt(scrollTop() + height()) + 1 + OVERSCAN);
    return { first, last };
  });
  const visible = createMemo(() => {
    const { first, last } = range();
    const rows: { index: number; line: LogLineDto }[] = [];
    for (let i = first; i < last; i++) rows.push({ index: i, line: props.model.lines[i] as LogLineDto });
    return rows;
  });

  const scrollToEnd = () => {
    viewport.scrollTop = viewport.scrollHeight;
    setScrollTop(viewport.scrollTop);
  };

  // Follow the tail: after each batch, stay at the bottom unless the user scrolled away.
  createEffect(
    on(layout, () => {
      if (isFollowing()) scrollToEnd();
    }),
  );

  let frame = 0;
  const onScroll = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      setScrollTop(viewport.scrollTop);
      setFollowing(viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - ROW_PX * 1.5);
    });
  };

  onMount(() => {
    const measure = () => {
      setHeight(viewport.clientHeight || 480);
      setWidth(viewport.clientWidth);
      const w = probe.getBoundingClientRect().width;
      if (w > 0) setCharPx(w / 100);
    };
    const observer = new ResizeObserver(measure);
    observer.observe(viewport);
    measure();
    onCleanup(() => {
      observer.disconnect();
      cancelAnimationFrame(frame);
    });
  });

  // Find: full scan when the query changes, then only the new lines as they arrive.
  let queryTimer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(queryTimer));
  const applyQuery = (q: string) => {
    clearTimeout(queryTimer);
    setAppliedQuery(q);
    scannedUpTo = count();
    setMatches(findMatches(props.model.lines, q, 0));
    setCurrent(null);
  };
  createEffect(
    on(count, (n) => {
      if (!appliedQuery() || n <= scannedUpTo) return;
      const list = matches();
      findMatches(props.model.lines, appliedQuery(), scannedUpTo, list);
      scannedUpTo = n;
      setMatches(list);
    }),
  );

  const goTo = (index: number) => {
    setFollowing(false);
    setCurrent(index);
    const target = Math.max(0, topOf(index) - (viewport.clientHeight - heightOf(index)) / 2);
    viewport.scrollTop = target;
    setScrollTop(viewport.scrollTop);
  };
  const step = (direction: 1 | -1) => {
    if (query() !== appliedQuery()) applyQuery(query());
    const from = current() ?? (direction === 1 ? indexAt(viewport.scrollTop) - 1 : indexAt(viewport.scrollTop + viewport.clientHeight) + 1);
    const next = stepMatch(matches(), from, direction);
    if (next !== null) goTo(next);
  };
  const matchPosition = () => {
    const c = current();
    if (c === null) return 0;
    return matches().indexOf(c) + 1;
  };

  // A link to a line (`#L42`): go there once that line has arrived.
  let linkedSeq = (() => {
    const m = /^#L(\d+)$/.exec(window.location.hash);
    return m ? Number(m[1]) : null;
  })();
  createEffect(
    on(count, (n) => {
      if (linkedSeq === null || n < linkedSeq) return;
      const index = props.model.lines[linkedSeq - 1]?.seq === linkedSeq ? linkedSeq - 1 : props.model.lines.findIndex((l) => l.seq === linkedSeq);
      linkedSeq = null;
      if (index >= 0) queueMicrotask(() => goTo(index));
    }),
  );
  const linkTo = (event: MouseEvent, index: number, seq: number) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    window.history.replaceState(window.history.state, '', `${window.location.pathname}${window.location.search}#L${seq}`);
    setFollowing(false);
    setCurrent(index);
  };

  const download = async (format: 'full' | 'text') => {
    setDownloading(true);
    setDownloadError(null);
    try {
      const blob = await client.runs.logsText(props.runId, { format });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `run-${props.runId}${format === 'text' ? '' : '-full'}.log`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setDownloadError(errorMessage(e));
    } finally {
      setDownloading(false);
    }
  };

  const lineText = (text: string) => (
    <For each={parseAnsi(text)}>
      {(span) =>
        span.fg === undefined && span.bg === undefined && !span.isBold && !span.isDim && !span.isItalic && !span.isUnderline ? (
          <span>{marked(span.text, appliedQuery())}</span>
        ) : (
          <span class={spanClass(span)} style={spanStyle(span)}>
            {marked(span.text, appliedQuery())}
          </span>
        )
      }
    </For>
  );

  return (
    <section class="log" aria-labelledby="log-title">
      <div class="log-toolbar">
        <h2 id="log-title">
          {t('log.title')} <span class="muted small">{t('log.lines', { n: formatNumber(count()) })}</span>
        </h2>
        <form
          class="log-find"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            step(1);
          }}
        >
          <label class="visually-hidden" for="log-find">
            {t('log.find')}
          </label>
          <input
            id="log-find"
            ref={findInput}
            type="search"
            placeholder={t('log.findPlaceholder')}
            value={query()}
            onInput={(e) => {
              const q = e.currentTarget.value;
              setQuery(q);
              clearTimeout(queryTimer);
              queryTimer = setTimeout(() => applyQuery(q), 200);
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && e.shiftKey) {
                e.preventDefault();
                step(-1);
              } else if (e.key === 'Escape') {
                setQuery('');
                applyQuery('');
              }
            }}
          />
          <button type="button" class="button small" onClick={() => step(-1)} disabled={!query()} aria-label={t('log.prevMatch')}>
            ↑
          </button>
          <button type="submit" class="button small" disabled={!query()} aria-label={t('log.nextMatch')}>
            ↓
          </button>
          <span class="find-status" aria-live="polite">
            {appliedQuery() ? (matches().length === 0 ? t('log.noMatches') : t('log.matchOf', { n: matchPosition(), m: formatNumber(matches().length) })) : ''}
          </span>
        </form>
        <div class="actions log-options">
          <label class="check-row small">
            <input
              type="checkbox"
              checked={isWrapped()}
              onChange={(e) => {
                setWrapped(e.currentTarget.checked);
                remember('jobflow.log.wrap', e.currentTarget.checked);
              }}
            />
            {t('log.wrap')}
          </label>
          <label class="check-row small">
            <input
              type="checkbox"
              checked={hasTimes()}
              onChange={(e) => {
                setTimes(e.currentTarget.checked);
                remember('jobflow.log.times', e.currentTarget.checked);
              }}
            />
            {t('log.times')}
          </label>
          <Show when={!isFollowing()}>
            <button
              type="button"
              class="button small"
              onClick={() => {
                setFollowing(true);
                setCurrent(null);
                scrollToEnd();
              }}
            >
              {props.isLive ? t('log.follow') : t('log.toEnd')}
            </button>
          </Show>
          <button type="button" class="button small" onClick={() => void download('full')} disabled={isDownloading()} title={t('log.downloadHint')}>
            {isDownloading() ? t('common.loading') : t('log.download')}
          </button>
          <button type="button" class="button small" onClick={() => void download('text')} disabled={isDownloading()}>
            {t('log.downloadText')}
          </button>
        </div>
      </div>
      <Show when={downloadError()}>
        <p class="error" role="alert">
          {downloadError()}
        </p>
      </Show>
      <div
        ref={viewport}
        class="log-viewport"
        classList={{ 'log-wrap': isWrapped(), 'log-no-times': !hasTimes() }}
        style={{ '--log-text-width': `${columns() * charPx()}px` }}
        tabindex="0"
        role="log"
        aria-live="off"
        aria-label={t('log.viewport')}
        onScroll={onScroll}
        onKeyDown={(e) => {
          if ((e.ctrlKey || e.metaKey) && e.key === 'f') {
            e.preventDefault();
            findInput.focus();
            findInput.select();
          } else if (e.key === 'End' && !e.ctrlKey) {
            e.preventDefault();
            setFollowing(true);
            scrollToEnd();
          } else if (e.key === 'Home' && !e.ctrlKey) {
            e.preventDefault();
            setFollowing(false);
            viewport.scrollTop = 0;
          }
        }}
      >
        <span ref={probe} class="log-probe" aria-hidden="true">
          {'M'.repeat(100)}
        </span>
        <Show when={count() > 0} fallback={<p class="log-empty muted">{props.isLive ? t('log.waiting') : t('log.empty')}</p>}>
          <div class="log-spacer" style={{ height: `${totalHeight()}px` }}>
            <div class="log-rows" style={{ transform: `translateY(${topOf(range().first)}px)` }}>
              <Index each={visible()}>
                {(row) => (
                  <div
                    class={`log-row log-${row().line.stream}`}
                    classList={{ 'log-current': current() === row().index }}
                    style={layout().isWrapped ? { height: `${heightOf(row().index)}px` } : undefined}
                    title={formatDateTimeZone(row().line.ts)}
                    data-seq={row().line.seq}
                  >
                    <a class="log-seq" href={`#L${row().line.seq}`} onClick={(e) => linkTo(e, row().index, row().line.seq)} tabindex="-1">
                      {row().line.seq}
                    </a>
                    <Show when={hasTimes()}>
                      <span class="log-ts">{clockTime(row().line.ts)}</span>
                    </Show>
                    <span class="log-stream">{STREAM_MARK[row().line.stream]}</span>
                    <span class="log-text">
                      {row().line.stream === 'system' ? marked(systemText(row().line.text), appliedQuery()) : lineText(row().line.text)}
                    </span>
                  </div>
                )}
              </Index>
            </div>
          </div>
        </Show>
      </div>
      <p class="hint">{t('log.keys')}</p>
    </section>
  );
}
