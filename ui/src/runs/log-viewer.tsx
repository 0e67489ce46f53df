import { createEffect, createMemo, createSignal, Index, on, onCleanup, onMount, Show } from 'solid-js';
import type { LogLineDto } from '@jobflow/shared/client';
import { client } from '../app/client';
import { errorMessage } from '../app/errors';
import { formatDateTime, formatNumber, t } from '../i18n/i18n';
import { findMatches, stepMatch, type LogModel } from './log-model';
import { whileBusy } from '../app/busy';

/** Row height in px; the CSS gives `.log-row` exactly this height. */
export const ROW_PX = 20;
const OVERSCAN = 20;
const STREAM_MARK = { stdout: '', stderr: 'ERR', system: 'SYS' } as const;

/**
 * A virtualised log: only the rows in view are in the DOM, so 200,000 lines
 * scroll as smoothly as 20. Follows the tail until the user scrolls up.
 */
export function LogViewer(props: { runId: string; model: LogModel; isLive: boolean }) {
  let viewport!: HTMLDivElement;
  let findInput!: HTMLInputElement;
  const [scrollTop, setScrollTop] = createSignal(0);
  const [height, setHeight] = createSignal(480);
  const [isFollowing, setFollowing] = createSignal(true);
  const [query, setQuery] = createSignal('');
  const [appliedQuery, setAppliedQuery] = createSignal('');
  const [matches, setMatches] = createSignal<number[]>([], { equals: false });
  const [current, setCurrent] = createSignal<number | null>(null);
  const [downloadError, setDownloadError] = createSignal<string | null>(null);
  const [isDownloading, setDownloading] = createSignal(false);
  let scannedUpTo = 0;

  const count = () => props.model.count();
  const range = createMemo(() => {
    const first = Math.max(0, Math.floor(scrollTop() / ROW_PX) - OVERSCAN);
    const last = Math.min(count(), Math.ceil((scrollTop() + height()) / ROW_PX) + OVERSCAN);
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
    on(count, () => {
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
    const observer = new ResizeObserver(() => setHeight(viewport.clientHeight));
    observer.observe(viewport);
    setHeight(viewport.clientHeight || 480);
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
    const target = Math.max(0, index * ROW_PX - (viewport.clientHeight - ROW_PX) / 2);
    viewport.scrollTop = target;
    setScrollTop(viewport.scrollTop);
  };
  const step = (direction: 1 | -1) => {
    if (query() !== appliedQuery()) applyQuery(query());
    const from =
      current() ?? (direction === 1 ? Math.floor(viewport.scrollTop / ROW_PX) - 1 : Math.ceil((viewport.scrollTop + viewport.clientHeight) / ROW_PX));
    const next = stepMatch(matches(), from, direction);
    if (next !== null) goTo(next);
  };
  const matchPosition = () => {
    const c = current();
    if (c === null) return 0;
    return matches().indexOf(c) + 1;
  };

  const download = async () => {
    setDownloadError(null);
    await whileBusy(
      setDownloading,
      async () => {
        const blob = await client.runs.logsText(props.runId);
        const url = URL.createObjectURL(blob);
        const a = document.createElement('a');
        a.href = url;
        a.download = `run-${props.runId}.log`;
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      },
      (e) => {
        setDownloadError(errorMessage(e));
      },
    );
  };

  const highlight = (text: string) => {
    const q = appliedQuery();
    if (!q) return text;
    const at = text.toLowerCase().indexOf(q.toLowerCase());
    if (at < 0) return text;
    return (
      <>
        {text.slice(0, at)}
        <mark>{text.slice(at, at + q.length)}</mark>
        {text.slice(at + q.length)}
      </>
    );
  };

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
        <div class="actions">
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
          <button type="button" class="button small" onClick={() => void download()} disabled={isDownloading()}>
            {isDownloading() ? t('common.loading') : t('log.download')}
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
        <Show when={count() > 0} fallback={<p class="log-empty muted">{props.isLive ? t('log.waiting') : t('log.empty')}</p>}>
          <div class="log-spacer" style={{ height: `${count() * ROW_PX}px` }}>
            <div class="log-rows" style={{ transform: `translateY(${range().first * ROW_PX}px)` }}>
              <Index each={visible()}>
                {(row) => (
                  <div
                    class={`log-row log-${row().line.stream}`}
                    classList={{ 'log-current': current() === row().index }}
                    title={formatDateTime(row().line.ts)}
                    data-seq={row().line.seq}
                  >
                    <span class="log-seq">{row().line.seq}</span>
                    <span class="log-stream">{STREAM_MARK[row().line.stream]}</span>
                    <span class="log-text">{highlight(row().line.text)}</span>
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
