import { createSignal, For, onMount, Show } from 'solid-js';
import type { Role, UserDto } from '@jobflow/shared/client';
import { client } from '../app/client';
import { errorDetails, errorMessage, localizeValidation } from '../app/errors';
import { confirmAction } from '../components/confirm';
import { Time } from '../components/time';
import { t } from '../i18n/i18n';
import { useTitle } from '../app/title';
import { user as me } from '../session/session';
import { loadUsers, removeUser, upsertUser, userIds, users } from '../stores/users.store';
import { whileBusy } from '../app/busy';

/** Admins: list, create, change role, disable, reset password, delete. */
export default function UsersScreen() {
  useTitle(() => [t('users.title')]);
  const [error, setError] = createSignal<string | null>(null);
  const [notice, setNotice] = createSignal<string | null>(null);
  const [resetting, setResetting] = createSignal<UserDto | null>(null);

  const reload = () =>
    loadUsers().then(
      () => setError(null),
      (e: unknown) => setError(errorMessage(e)),
    );
  onMount(() => void reload());

  const act = async (work: () => Promise<void>, done: string) => {
    setError(null);
    setNotice(null);
    try {
      await work();
      setNotice(done);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <div class="stack">
      <div class="page-head">
        <h1>{t('users.title')}</h1>
      </div>
      <div aria-live="polite">
        <Show when={notice()}>
          <p class="notice">{notice()}</p>
        </Show>
      </div>
      <Show when={error()}>
        <p class="error" role="alert">
          {error()}
        </p>
      </Show>
      <section class="panel" aria-labelledby="users-list-title">
        <h2 id="users-list-title">{t('users.list')}</h2>
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">{t('users.email')}</th>
                <th scope="col">{t('users.name')}</th>
                <th scope="col">{t('users.role')}</th>
                <th scope="col">{t('users.state')}</th>
                <th scope="col">{t('users.created')}</th>
                <th scope="col">
                  <span class="visually-hidden">{t('common.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <For each={userIds()}>
                {(id) => (
                  <Show when={users[id]}>
                    {(u) => (
                      <tr data-user-id={id}>
                        <td>
                          {u().email}
                          <Show when={u().id === me()?.id}>
                            <span class="tag">{t('common.you')}</span>
                          </Show>
                        </td>
                        <td>{u().name || '—'}</td>
                        <td>
                          <label class="visually-hidden" for={`role-${id}`}>
                            {t('users.roleOf', { email: u().email })}
                          </label>
                          <select
                            id={`role-${id}`}
                            value={u().role}
                            onChange={(e) => {
                              const role = e.currentTarget.value as Role;
                              const select = e.currentTarget;
                              void act(
                                async () => {
                                  try {
                                    upsertUser(await client.users.update(id, { role }));
                                  } catch (err) {
                                    select.value = u().role;
                                    throw err;
                                  }
                                },
                                t('users.roleChanged', { email: u().email }),
                              );
                            }}
                          >
                            <option value="user">{t('role.user')}</option>
                            <option value="admin">{t('role.admin')}</option>
                          </select>
                        </td>
                        <td>
                          <span class={u().disabled ? 'tag tag-off' : 'tag tag-on'}>{u().disabled ? t('users.disabled') : t('users.enabled')}</span>
                        </td>
                        <td>
                          <Time iso={u().createdAt} />
                        </td>
                        <td class="row-actions">
                          <button
                            type="button"
                            class="button small"
                            onClick={() =>
                              void act(
                                async () => upsertUser(await client.users.update(id, { disabled: !u().disabled })),
                                u().disabled ? t('users.enabledNotice', { email: u().email }) : t('users.disabledNotice', { email: u().email }),
                              )
                            }
                          >
                            {u().disabled ? t('users.enable') : t('users.disable')}
                          </button>
                          <button type="button" class="button small" onClick={() => setResetting(u())}>
                            {t('users.resetPassword')}
                          </button>
                          <button
                            type="button"
                            class="button small danger"
                            onClick={async () => {
                              if (!(await confirmAction(t('users.confirmDelete', { email: u().email }), t('users.delete')))) return;
                              const email = u().email;
                              await act(
                                async () => {
                                  await client.users.delete(id);
                                  removeUser(id);
                                },
                                t('users.deleted', { email }),
                              );
                            }}
                          >
                            {t('users.delete')}
                          </button>
                        </td>
                      </tr>
                    )}
                  </Show>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </section>
      <Show when={resetting()}>
        {(u) => (
          <ResetPassword
            user={u()}
            onDone={(message) => {
              setResetting(null);
              if (message) setNotice(message);
            }}
          />
        )}
      </Show>
      <CreateUser onCreated={(u) => setNotice(t('users.createdNotice', { email: u.email }))} />
    </div>
  );
}

function ResetPassword(props: { user: UserDto; onDone: (message: string | null) => void }) {
  const [password, setPassword] = createSignal('');
  const [isRevokingTokens, setRevokingTokens] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const [isBusy, setBusy] = createSignal(false);
  let input!: HTMLInputElement;
  onMount(() => input.focus());
  return (
    <form
      class="panel"
      aria-labelledby="reset-title"
      novalidate
      onSubmit={async (e) => {
        e.preventDefault();
        if (password().length < 8) {
          setError(t('validation.minLength', { n: 8 }));
          return;
        }
        await whileBusy(
          setBusy,
          async () => {
            await client.users.update(props.user.id, { password: password(), ...(isRevokingTokens() ? { revokeTokens: true } : {}) });
            props.onDone(t(isRevokingTokens() ? 'users.passwordResetRevoked' : 'users.passwordReset', { email: props.user.email }));
          },
          (err) => {
            setError(errorDetails(err)[0]?.message ? localizeValidation(errorDetails(err)[0]?.message ?? '') : errorMessage(err));
          },
        );
      }}
    >
      <h2 id="reset-title">{t('users.resetFor', { email: props.user.email })}</h2>
      <div class="field" classList={{ invalid: !!error() }}>
        <label class="label" for="reset-password">
          {t('users.newPassword')}
        </label>
        <input
          id="reset-password"
          ref={input}
          type="password"
          autocomplete="new-password"
          value={password()}
          aria-invalid={error() ? 'true' : undefined}
          aria-describedby={error() ? 'reset-password-error' : undefined}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <Show when={error()}>
          <span class="field-error" id="reset-password-error">
            {error()}
          </span>
        </Show>
      </div>
      <div class="field">
        <label class="check-row">
          <input
            type="checkbox"
            checked={isRevokingTokens()}
            aria-describedby="reset-revoke-hint"
            onChange={(e) => setRevokingTokens(e.currentTarget.checked)}
          />
          <span>{t('users.revokeTokens')}</span>
        </label>
        <span class="hint" id="reset-revoke-hint">
          {t('users.revokeTokensHint')}
        </span>
      </div>
      <div class="actions">
        <button type="button" class="button" onClick={() => props.onDone(null)}>
          {t('common.cancel')}
        </button>
        <button type="submit" class="button primary" disabled={isBusy()}>
          {t('users.setPassword')}
        </button>
      </div>
    </form>
  );
}

function CreateUser(props: { onCreated: (user: UserDto) => void }) {
  const empty = { email: '', name: '', password: '', role: 'user' as Role };
  const [form, setForm] = createSignal(empty);
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [failure, setFailure] = createSignal<string | null>(null);
  const [isBusy, setBusy] = createSignal(false);
  const set = (key: keyof typeof empty, value: string) => setForm((f) => ({ ...f, [key]: value }));

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const f = form();
    const found: Record<string, string> = {};
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(f.email.trim())) found['/email'] = t('validation.email');
    if (f.password.length < 8) found['/password'] = t('validation.minLength', { n: 8 });
    setErrors(found);
    setFailure(null);
    if (Object.keys(found).length > 0) return;
    await whileBusy(
      setBusy,
      async () => {
        const created = await client.users.create({ email: f.email.trim(), name: f.name.trim() || undefined, password: f.password, role: f.role });
        upsertUser(created);
        setForm(empty);
        props.onCreated(created);
      },
      (err) => {
        const byPath: Record<string, string> = {};
        for (const d of errorDetails(err)) byPath[d.path] = localizeValidation(d.message);
        setErrors(byPath);
        setFailure(errorMessage(err));
      },
    );
  };

  const input = (key: 'email' | 'name' | 'password', type: string, label: string, autocomplete: string) => (
    <div class="field" classList={{ invalid: !!errors()[`/${key}`] }}>
      <label class="label" for={`new-user-${key}`}>
        {label}
      </label>
      <input
        id={`new-user-${key}`}
        type={type}
        autocomplete={autocomplete}
        value={form()[key]}
        aria-invalid={errors()[`/${key}`] ? 'true' : undefined}
        aria-describedby={errors()[`/${key}`] ? `new-user-${key}-error` : undefined}
        onInput={(e) => set(key, e.currentTarget.value)}
      />
      <Show when={errors()[`/${key}`]}>
        <span class="field-error" id={`new-user-${key}-error`}>
          {errors()[`/${key}`]}
        </span>
      </Show>
    </div>
  );

  return (
    <form class="panel" onSubmit={submit} aria-labelledby="new-user-title" novalidate>
      <h2 id="new-user-title">{t('users.create')}</h2>
      <div class="grid-2">
        {input('email', 'email', t('users.email'), 'off')}
        {input('name', 'text', t('users.name'), 'off')}
        {input('password', 'password', t('users.password'), 'new-password')}
        <div class="field">
          <label class="label" for="new-user-role">
            {t('users.role')}
          </label>
          <select id="new-user-role" value={form().role} onChange={(e) => set('role', e.currentTarget.value)}>
            <option value="user">{t('role.user')}</option>
            <option value="admin">{t('role.admin')}</option>
          </select>
        </div>
      </div>
      <Show when={failure()}>
        <p class="error" role="alert">
          {failure()}
        </p>
      </Show>
      <div class="actions">
        <button type="submit" class="button primary" disabled={isBusy()}>
          {t('users.create')}
        </button>
      </div>
    </form>
  );
}
