import { createSignal, For, onMount, Show } from 'solid-js';
import { createStore } from 'solid-js/store';
import { AUDIT_ACTIONS, AUDIT_TARGET_TYPES, type AuditAction, type AuditEntryDto, type AuditTargetType } from '@jobflow/shared/client';
import { client } from '../app/client';
import { Link, location, setQuery } from '../app/router';
import { ListFooter } from '../components/list-footer';
import { Time } from '../components/time';
import { t } from '../i18n/i18n';
import { createPagedList } from '../stores/paged-list';
import { loadUsers, userIds, users } from '../stores/users.store';

/** A local day (yyyy-mm-dd) as the ISO instant it starts at, or undefined. */
const dayStart = (day: string | null, addDays = 0): string | undefined => {
  if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const at = new Date(`${day}T00:00:00`);
  at.setDate(at.getDate() + addDays);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
};

/** Admins: the append-only audit log, newest first, filtered by who, what and when (kept in the URL). */
export default function AuditScreen() {
  const [entries, setEntries] = createStore<Record<string, AuditEntryDto>>({});
  const query = () => location().query;
  const filter = () => ({
    actor: query().get('actor') ?? undefined,
    action: (query().get('action') ?? undefined) as AuditAction | undefined,
    targetType: (query().get('targetType') ?? undefined) as AuditTargetType | undefined,
    targetId: query().get('targetId') ?? undefined,
    since: dayStart(query().get('since')),
    until: dayStart(query().get('until'), 1),
  });
  const list = createPagedList<AuditEntryDto>({
    fetchPage: (cursor, limit) => client.audit.list({ ...filter(), cursor, limit }),
    store: (items) => {
      for (const item of items) setEntries(item.id, item);
    },
  });
  const [lastQuery, setLastQuery] = createSignal<string | null>(null);
  const refresh = () => {
    const key = query().toString();
    if (key === lastQuery()) return;
    setLastQuery(key);
    void list.reload();
  };
  onMount(() => {
    refresh();
    void loadUsers().catch(() => undefined);
  });
  const set = (patch: Record<string, string>) => {
    setQuery(patch);
    refresh();
  };

  const actorName = (entry: AuditEntryDto) => {
    const id = entry.actor.userId;
    const known = id ? users[id] : undefined;
    return known ? known.name || known.email : (entry.actor.email ?? id ?? t('audit.unknownActor'));
  };
  const targetLink = (entry: AuditEntryDto) =>
    entry.target.id && (entry.target.type === 'job' || entry.target.type === 'run') ? `/${entry.target.type}s/${entry.target.id}` : null;

  return (
    <div class="stack">
      <div class="page-head">
        <h1>{t('audit.title')}</h1>
      </div>
      <p class="muted">{t('audit.intro')}</p>
      <section class="panel" aria-labelledby="audit-list-title">
        <div class="panel-head">
          <h2 id="audit-list-title" class="visually-hidden">
            {t('audit.title')}
          </h2>
          <div class="filters" role="group" aria-label={t('audit.filters')}>
            <label class="field-inline">
              <span>{t('audit.actor')}</span>
              <select value={query().get('actor') ?? ''} onChange={(e) => set({ actor: e.currentTarget.value })}>
                <option value="">{t('audit.anyone')}</option>
                <For each={userIds()}>{(id) => <option value={id}>{users[id]?.email ?? id}</option>}</For>
              </select>
            </label>
            <label class="field-inline">
              <span>{t('audit.action')}</span>
              <select value={query().get('action') ?? ''} onChange={(e) => set({ action: e.currentTarget.value })}>
                <option value="">{t('audit.allActions')}</option>
                <For each={AUDIT_ACTIONS}>{(action) => <option value={action}>{t(`auditAction.${action}`)}</option>}</For>
              </select>
            </label>
            <label class="field-inline">
              <span>{t('audit.targetType')}</span>
              <select value={query().get('targetType') ?? ''} onChange={(e) => set({ targetType: e.currentTarget.value })}>
                <option value="">{t('audit.allTargets')}</option>
                <For each={AUDIT_TARGET_TYPES}>{(type) => <option value={type}>{t(`auditTarget.${type}`)}</option>}</For>
              </select>
            </label>
            <label class="field-inline">
              <span>{t('audit.since')}</span>
              <input type="date" value={query().get('since') ?? ''} onChange={(e) => set({ since: e.currentTarget.value })} />
            </label>
            <label class="field-inline">
              <span>{t('audit.until')}</span>
              <input type="date" value={query().get('until') ?? ''} onChange={(e) => set({ until: e.currentTarget.value })} />
            </label>
          </div>
        </div>
        <div class="table-wrap">
          <table class="table audit-table">
            <caption class="visually-hidden">{t('audit.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('audit.at')}</th>
                <th scope="col">{t('audit.actor')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.targetType')}</th>
                <th scope="col">{t('audit.from')}</th>
                <th scope="col">{t('audit.changes')}</th>
              </tr>
            </thead>
            <tbody>
              <For each={list.ids()}>
                {(id) => (
                  <Show when={entries[id]}>
                    {(entry) => (
                      <tr data-audit-id={id} data-action={entry().action}>
                        <td>
                          <Time iso={entry().at} />
                        </td>
                        <td>
                          {actorName(entry())}
                          <Show when={entry().actor.tokenId}>
                            <span class="tag">{t('audit.viaToken')}</span>
                          </Show>
                        </td>
                        <td>{t(`auditAction.${entry().action}`)}</td>
                        <td>
                          {t(`auditTarget.${entry().target.type}`)}{' '}
                          <Show when={targetLink(entry())} fallback={<span class="mono">{entry().target.id?.slice(0, 8) ?? ''}</span>}>
                            {(href) => (
                              <Link href={href()} class="mono">
                                {entry().target.id?.slice(0, 8)}
                              </Link>
                            )}
                          </Show>
                        </td>
                        <td>
                          <span class="mono" title={entry().userAgent ?? ''}>
                            {entry().ip ?? '—'}
                          </span>
                        </td>
                        <td>
                          <Show when={entry().changes} fallback="—">
                            {(changes) => (
                              <details>
                                <summary>{t('audit.showChanges')}</summary>
                                <pre class="audit-changes">{JSON.stringify(changes(), null, 2)}</pre>
                              </details>
                            )}
                          </Show>
                        </td>
                      </tr>
                    )}
                  </Show>
                )}
              </For>
            </tbody>
          </table>
        </div>
        <ListFooter list={list} emptyText={t('audit.empty')} />
      </section>
    </div>
  );
}
