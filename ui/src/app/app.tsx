import { createEffect, createMemo, createSignal, For, lazy, Match, on, Show, Suspense, Switch, type JSX } from 'solid-js';
import { ConfirmHost } from '../components/confirm';
import { ConnectionIndicator, isShowingStale, StaleBanner } from '../components/connection';
import DashboardScreen from '../dashboard/dashboard.screen';
import { LOCALES, locale, setLocale, t } from '../i18n/i18n';
import SignInScreen from '../session/sign-in.screen';
import { isAdmin, isRestoring, signOut, user } from '../session/session';
import { announcement } from './announce';
import { Shortcuts } from './shortcuts';
import { useTitle } from './title';
import { Link, location, match, navigate, safeNext } from './router';

const JobScreen = lazy(() => import('../jobs/job.screen'));
const JobFormScreen = lazy(() => import('../jobs/job-form.screen'));
const RunScreen = lazy(() => import('../runs/run.screen'));
const RunsScreen = lazy(() => import('../runs/runs.screen'));
const UsersScreen = lazy(() => import('../users/users.screen'));
const TokensScreen = lazy(() => import('../tokens/tokens.screen'));
const AuditScreen = lazy(() => import('../audit/audit.screen'));
const WorkersScreen = lazy(() => import('../workers/workers.screen'));
const SearchScreen = lazy(() => import('../logs/search.screen'));

const LANGUAGE_NAMES = { en: 'English', ja: '日本語' } as const;

/** The shell: header, navigation, the current screen, and the shared live region. */
export function App() {
  const path = createMemo(() => location().path);
  // On a phone the navigation folds into a menu; going anywhere folds it again.
  const [isMenuOpen, setMenuOpen] = createSignal(false);
  createEffect(on(path, () => setMenuOpen(false), { defer: true }));

  createEffect(() => {
    if (isRestoring()) return;
    const signedIn = user() !== null;
    if (!signedIn && path() !== '/signin') {
      const next =
        location().path +
        location()
          .query.toString()
          .replace(/^(?=.)/, '?') +
        window.location.hash;
      navigate(`/signin${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`, { replace: true });
    } else if (signedIn && path() === '/signin') {
      // Back to where the user was heading (a notification's "Open run" link, a bookmark).
      navigate(safeNext(location().query.get('next')), { replace: true });
    }
  });

  return (
    <>
      <a class="skip-link" href="#main">
        {t('nav.skip')}
      </a>
      <header class="topbar" classList={{ 'menu-open': isMenuOpen() }}>
        <Link href="/" class="brand">
          <span class="brand-mark" aria-hidden="true">
            ◆
          </span>{' '}
          Jobflow
        </Link>
        <Show when={user()}>
          <span class="topbar-live">
            <ConnectionIndicator />
          </span>
          <button
            type="button"
            class="button small menu-button"
            aria-expanded={isMenuOpen()}
            aria-controls="topbar-menu"
            onClick={() => setMenuOpen((v) => !v)}
          >
            <span aria-hidden="true">☰</span> {t('nav.menu')}
          </button>
        </Show>
        <div class="topbar-menu" id="topbar-menu">
          <Show when={user()}>
            <nav aria-label={t('nav.main')} class="nav">
              <NavLink href="/">{t('nav.dashboard')}</NavLink>
              <NavLink href="/runs" exact>
                {t('nav.runs')}
              </NavLink>
              <NavLink href="/jobs/new">{t('nav.newJob')}</NavLink>
              <NavLink href="/workers">{t('nav.workers')}</NavLink>
              <NavLink href="/search">{t('nav.search')}</NavLink>
              <NavLink href="/tokens">{t('nav.tokens')}</NavLink>
              <Show when={isAdmin()}>
                <NavLink href="/users">{t('nav.users')}</NavLink>
                <NavLink href="/audit">{t('nav.audit')}</NavLink>
              </Show>
            </nav>
          </Show>
          <div class="topbar-end">
            <label class="lang">
              <span class="visually-hidden">{t('nav.language')}</span>
              <select value={locale()} onChange={(e) => setLocale(e.currentTarget.value as (typeof LOCALES)[number])}>
                <For each={LOCALES}>{(l) => <option value={l}>{LANGUAGE_NAMES[l]}</option>}</For>
              </select>
            </label>
            <Show when={user()}>
              {(u) => (
                <span class="who">
                  <span class="who-name" title={u().email}>
                    {u().name || u().email}
                  </span>
                  <button type="button" class="button small" onClick={() => void signOut()}>
                    {t('nav.signOut')}
                  </button>
                </span>
              )}
            </Show>
          </div>
        </div>
      </header>
      <Show when={user()}>
        <StaleBanner />
      </Show>
      <main id="main" tabindex="-1" classList={{ 'is-stale': isShowingStale() && user() !== null }}>
        <Show when={!isRestoring()} fallback={<p class="muted center">{t('common.loading')}</p>}>
          <Suspense fallback={<p class="muted center">{t('common.loading')}</p>}>
            <Switch fallback={<NotFound />}>
              <Match when={path() === '/signin'}>
                <SignInScreen />
              </Match>
              <Match when={!user()}>{null}</Match>
              <Match when={path() === '/'}>
                <DashboardScreen />
              </Match>
              <Match when={path() === '/jobs/new'}>
                <JobFormScreen />
              </Match>
              <Match when={match('/jobs/:id/edit', path())}>{(params) => <JobFormScreen jobId={params().id ?? ''} />}</Match>
              <Match when={match('/jobs/:id', path())}>
                {(params) => (
                  <Keyed value={params().id ?? ''}>
                    <JobScreen jobId={params().id ?? ''} />
                  </Keyed>
                )}
              </Match>
              <Match when={path() === '/runs'}>
                <RunsScreen />
              </Match>
              <Match when={match('/runs/:id', path())}>
                {(params) => (
                  <Keyed value={params().id ?? ''}>
                    <RunScreen runId={params().id ?? ''} />
                  </Keyed>
                )}
              </Match>
              <Match when={path() === '/workers'}>
                <WorkersScreen />
              </Match>
              <Match when={path() === '/search'}>
                <SearchScreen />
              </Match>
              <Match when={path() === '/tokens'}>
                <TokensScreen />
              </Match>
              <Match when={path() === '/users' && isAdmin()}>
                <UsersScreen />
              </Match>
              <Match when={path() === '/audit' && isAdmin()}>
                <AuditScreen />
              </Match>
              <Match when={path() === '/users'}>
                <AdminOnly title={t('users.title')} text={t('users.adminOnly')} />
              </Match>
            </Switch>
          </Suspense>
        </Show>
      </main>
      <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">
        {announcement()}
      </div>
      <ConfirmHost />
      <Show when={user()}>
        <Shortcuts />
      </Show>
    </>
  );
}

/** Re-creates its children when `value` changes (a new id means a new screen). */
function Keyed(props: { value: string; children: JSX.Element }) {
  const key = createMemo(() => props.value);
  return (
    <Show when={key()} keyed>
      {(k: string) => (k ? props.children : null)}
    </Show>
  );
}

function NavLink(props: { href: string; exact?: boolean; children: JSX.Element }) {
  const isCurrent = () => (props.href === '/' || props.exact ? location().path === props.href : location().path.startsWith(props.href));
  return (
    <Link href={props.href} class="nav-link" aria-current={isCurrent() ? 'page' : undefined}>
      {props.children}
    </Link>
  );
}

/** A screen that exists but is for admins: says so, instead of pretending it does not exist. */
function AdminOnly(props: { title: string; text: string }) {
  useTitle(() => [props.title]);
  return (
    <div class="panel">
      <h1>{props.title}</h1>
      <p>{props.text}</p>
      <p>
        <Link href="/">{t('common.backToDashboard')}</Link>
      </p>
    </div>
  );
}

function NotFound() {
  useTitle(() => [t('common.notFound')]);
  return (
    <div class="panel">
      <h1>{t('common.notFound')}</h1>
      <p>
        <Link href="/">{t('common.backToDashboard')}</Link>
      </p>
    </div>
  );
}
