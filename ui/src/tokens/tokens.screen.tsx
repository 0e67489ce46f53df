import { createSignal, For, onMount, Show } from 'solid-js';
import type { CreatedTokenDto, TokenDto } from '@jobflow/shared/client';
import { client } from '../app/client';
import { errorDetails, errorMessage, localizeValidation } from '../app/errors';
import { confirmAction } from '../components/confirm';
import { Time } from '../components/time';
import { t } from '../i18n/i18n';
import { useTitle } from '../app/title';

/** Personal API tokens: create (shown once, with copy), list, revoke. */
export default function TokensScreen() {
  useTitle(() => [t('tokens.title')]);
  const [tokens, setTokens] = createSignal<TokenDto[]>([]);
  const [isLoaded, setLoaded] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const [created, setCreated] = createSignal<CreatedTokenDto | null>(null);
  const [isCopied, setCopied] = createSignal(false);
  const [name, setName] = createSignal('');
  const [expires, setExpires] = createSignal('');
  const [nameError, setNameError] = createSignal<string | null>(null);
  const [isBusy, setBusy] = createSignal(false);
  let secretField!: HTMLInputElement;

  const load = async () => {
    try {
      const all: TokenDto[] = [];
      let cursor: string | null = null;
      do {
        const page = await client.tokens.list({ limit: 200, cursor });
        all.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      setTokens(all);
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setLoaded(true);
    }
  };
  onMount(() => void load());

  const create = async (e: SubmitEvent) => {
    e.preventDefault();
    setNameError(null);
    setError(null);
    if (name().trim() === '') {
      setNameError(t('validation.required'));
      return;
    }
    setBusy(true);
    try {
      // The date input gives a local day; the token works until the end of it.
      const expiresAt = expires() ? new Date(`${expires()}T23:59:59.999`).toISOString() : null;
      const token = await client.tokens.create({ name: name().trim(), expiresAt });
      setCreated(token);
      setCopied(false);
      setName('');
      setExpires('');
      setTokens((list) => [token, ...list.filter((other) => other.id !== token.id)]);
      queueMicrotask(() => secretField?.select());
    } catch (err) {
      const detail = errorDetails(err).find((d) => d.path === '/name');
      if (detail) setNameError(localizeValidation(detail.message));
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const copy = async () => {
    const secret = created()?.token;
    if (!secret) return;
    try {
      await navigator.clipboard.writeText(secret);
    } catch {
      secretField.select();
      document.execCommand('copy');
    }
    setCopied(true);
  };

  const revoke = async (token: TokenDto) => {
    if (!(await confirmAction(t('tokens.confirmRevoke', { name: token.name }), t('tokens.revoke')))) return;
    try {
      await client.tokens.delete(token.id);
      setTokens((list) => list.filter((other) => other.id !== token.id));
      if (created()?.id === token.id) setCreated(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const today = () => {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };

  return (
    <div class="stack narrow">
      <div class="page-head">
        <h1>{t('tokens.title')}</h1>
      </div>
      <p class="muted">{t('tokens.intro')}</p>
      <Show when={error()}>
        <p class="error" role="alert">
          {error()}
        </p>
      </Show>
      <form class="panel" onSubmit={create} aria-labelledby="new-token-title" novalidate>
        <h2 id="new-token-title">{t('tokens.create')}</h2>
        <div class="grid-2">
          <div class="field" classList={{ invalid: !!nameError() }}>
            <label class="label" for="token-name">
              {t('tokens.name')}
            </label>
            <input
              id="token-name"
              value={name()}
              maxLength={200}
              placeholder={t('tokens.namePlaceholder')}
              aria-invalid={nameError() ? 'true' : undefined}
              aria-describedby={nameError() ? 'token-name-error' : undefined}
              onInput={(e) => setName(e.currentTarget.value)}
            />
            <Show when={nameError()}>
              <span class="field-error" id="token-name-error">
                {nameError()}
              </span>
            </Show>
          </div>
          <div class="field">
            <label class="label" for="token-expires">
              {t('tokens.expires')}
            </label>
            <span class="hint" id="token-expires-hint">
              {t('tokens.expiresHint')}
            </span>
            <input
              id="token-expires"
              type="date"
              min={today()}
              value={expires()}
              aria-describedby="token-expires-hint"
              onInput={(e) => setExpires(e.currentTarget.value)}
            />
          </div>
        </div>
        <div class="actions">
          <button type="submit" class="button primary" disabled={isBusy()}>
            {t('tokens.create')}
          </button>
        </div>
      </form>
      <Show when={created()}>
        {(token) => (
          <section class="panel secret" aria-labelledby="secret-title">
            <h2 id="secret-title">{t('tokens.createdTitle', { name: token().name })}</h2>
            <p class="warning">{t('tokens.copyOnce')}</p>
            <div class="secret-row">
              <label class="visually-hidden" for="token-secret">
                {t('tokens.secret')}
              </label>
              <input id="token-secret" ref={secretField} class="mono" readOnly value={token().token} onFocus={(e) => e.currentTarget.select()} />
              <button type="button" class="button primary" onClick={() => void copy()}>
                {isCopied() ? t('tokens.copied') : t('tokens.copy')}
              </button>
              <button type="button" class="button" onClick={() => setCreated(null)}>
                {t('tokens.done')}
              </button>
            </div>
            <p class="visually-hidden" aria-live="polite">
              {isCopied() ? t('tokens.copied') : ''}
            </p>
          </section>
        )}
      </Show>
      <section class="panel" aria-labelledby="tokens-list-title">
        <h2 id="tokens-list-title">{t('tokens.list')}</h2>
        <Show when={isLoaded() && tokens().length === 0}>
          <p class="muted">{t('tokens.none')}</p>
        </Show>
        <Show when={tokens().length > 0}>
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">{t('tokens.name')}</th>
                  <th scope="col">{t('tokens.createdAt')}</th>
                  <th scope="col">{t('tokens.expires')}</th>
                  <th scope="col">{t('tokens.lastUsed')}</th>
                  <th scope="col">
                    <span class="visually-hidden">{t('common.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                <For each={tokens()}>
                  {(token) => (
                    <tr data-token-id={token.id}>
                      <td>{token.name}</td>
                      <td>
                        <Time iso={token.createdAt} />
                      </td>
                      <td>
                        <Time iso={token.expiresAt} fallback={t('tokens.never')} />
                      </td>
                      <td>
                        <Time iso={token.lastUsedAt} fallback={t('tokens.neverUsed')} />
                      </td>
                      <td class="row-actions">
                        <button
                          type="button"
                          class="button small danger"
                          onClick={() => void revoke(token)}
                          aria-label={t('tokens.revokeNamed', { name: token.name })}
                        >
                          {t('tokens.revoke')}
                        </button>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        </Show>
      </section>
    </div>
  );
}
