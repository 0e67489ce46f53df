import { createSignal, Show } from 'solid-js';
import { errorMessage } from '../app/errors';
import { t } from '../i18n/i18n';
import { useTitle } from '../app/title';
import { signIn } from './session';

/** Email + password; once signed in, the shell goes where the user was heading. */
export default function SignInScreen() {
  useTitle(() => [t('signIn.submit')]);
  const [email, setEmail] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [isBusy, setBusy] = createSignal(false);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email().trim(), password());
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="sign-in">
      <form class="card sign-in-card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">{t('signIn.title')}</h1>
        <p class="muted">{t('signIn.intro')}</p>
        <label class="field">
          <span class="label">{t('signIn.email')}</span>
          <input type="email" name="email" autocomplete="username" required value={email()} onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span class="label">{t('signIn.password')}</span>
          <input
            type="password"
            name="password"
            autocomplete="current-password"
            required
            value={password()}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <Show when={error()}>
          <p class="error" role="alert">
            {error()}
          </p>
        </Show>
        <button type="submit" class="button primary block" disabled={isBusy()}>
          {isBusy() ? t('signIn.busy') : t('signIn.submit')}
        </button>
      </form>
    </div>
  );
}
