import { createSignal, For, Index, onMount, Show } from 'solid-js';
import { createStore } from 'solid-js/store';
import { RUN_STATUSES, type LogHitDto } from '@jobflow/shared/client';
import { client } from '../app/client';
import { Link, location, setQuery } from '../app/router';
import { ListFooter } from '../components/list-footer';
import { StatusBadge } from '../components/status';
import { Time } from '../components/time';
import { t } from '../i18n/i18n';
import { createPagedList } from '../stores/paged-list';

const MIN_CHARS = 3;

type Hit = LogHitDto & { id: string };

/** The line's text in pieces, each match marked. */
function pieces(hit: LogHitDto): { text: string; isMatch: boolean }[] {
  const out: { text: string; isMatch: boolean }[] = [];
  let at = 0;
  for (const [start, end] of hit.match) {
    if (start > at) out.push({ text: hit.text.slice(at, start), isMatch: false });
    out.push({ text: hit.text.slice(start, end), isMatch: true });
    at = end;
  }
  if (at < hit.text.length) out.push({ text: hit.text.slice(at), isMatch: false });
  return out;
}

/** Lines of every run's stored log that contain a text; each opens its run at that line. The search is kept in the URL. */
export default function SearchScreen() {
  const [hits, setHits] = createStore<Record<string, Hit>>({});
  const query = () => location().query;
  const q = () => query().get('q') ?? '';
  const status = () => query().get('status') ?? '';
  const [draft, setDraft] = createSignal(q());
  const [isTooShort, setTooShort] = createSignal(false);
  const list = createPagedList<Hit>({
    fetchPage: async (cursor, limit) => {
      const page = await client.logs.search({ q: q(), status: status() || undefined, cursor: cursor ?? undefined, limit });
      return { ...page, items: page.items.map((hit) => ({ ...hit, id: `${hit.run.id}:${hit.seq}` })) };
    },
    store: (items) => {
      for (const item of items) setHits(item.id, item);
    },
  });
  const run = () => {
    if (q().trim().length >= MIN_CHARS) void list.reload();
  };
  onMount(run);
  const submit = (event: Event) => {
    event.preventDefault();
    const text = draft();
    setTooShort(text.trim().length < MIN_CHARS);
    if (text.trim().length < MIN_CHARS) return;
    setQuery({ q: text });
    run();
  };

  return (
    <div class="stack">
      <div class="page-head">
        <h1>{t('search.title')}</h1>
      </div>
      <p class="muted">{t('search.intro')}</p>
      <section class="panel" aria-labelledby="search-results-title">
        <form class="panel-head filters" role="search" onSubmit={submit}>
          <label class="field-inline">
            <span>{t('search.query')}</span>
            <input
              type="search"
              name="q"
              value={draft()}
              onInput={(e) => setDraft(e.currentTarget.value)}
              aria-invalid={isTooShort() ? 'true' : undefined}
              aria-describedby={isTooShort() ? 'search-too-short' : undefined}
              maxLength={200}
            />
          </label>
          <label class="field-inline">
            <span>{t('search.status')}</span>
            <select
              value={status()}
              onChange={(e) => {
                setQuery({ status: e.currentTarget.value });
                run();
              }}
            >
              <option value="">{t('search.anyStatus')}</option>
              <For each={RUN_STATUSES}>{(s) => <option value={s}>{t(`status.${s}`)}</option>}</For>
            </select>
          </label>
          <button type="submit" class="button primary">
            {t('search.submit')}
          </button>
          <Show when={isTooShort()}>
            <p id="search-too-short" class="error" role="alert">
              {t('search.tooShort')}
            </p>
          </Show>
        </form>
        <h2 id="search-results-title" class="visually-hidden">
          {t('search.results')}
        </h2>
        <Show when={q().trim().length >= MIN_CHARS}>
          <ol class="search-hits">
            <For each={list.ids()}>
              {(id) => (
                <Show when={hits[id]}>
                  {(hit) => (
                    <li class="search-hit" data-run-id={hit().run.id} data-seq={hit().seq}>
                      <div class="search-hit-head">
                        <Link href={`/runs/${hit().run.id}#L${hit().seq}`} class="search-hit-link">
                          {hit().run.jobName} · <span class="mono">{hit().run.id.slice(0, 8)}</span> · {t('search.line', { seq: hit().seq })}
                        </Link>
                        <StatusBadge status={hit().run.status} />
                        <Time iso={hit().ts} />
                      </div>
                      <pre class="search-hit-text">
                        <Index each={pieces(hit())}>{(piece) => (piece().isMatch ? <mark>{piece().text}</mark> : piece().text)}</Index>
                      </pre>
                    </li>
                  )}
                </Show>
              )}
            </For>
          </ol>
          <ListFooter list={list} emptyText={t('search.empty')} />
        </Show>
      </section>
    </div>
  );
}
