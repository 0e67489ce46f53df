import { createSignal, For, onCleanup, onMount, Show } from 'solid-js';
import { t } from '../i18n/i18n';
import type { MessageKey } from '../i18n/en';
import { navigate } from './router';

/** How long after `g` the second key of a "go to" shortcut counts. */
const SEQUENCE_MS = 1500;

const GO_TO: Record<string, string> = { d: '/', r: '/runs', w: '/workers' };

const LIST: { keys: string[]; label: MessageKey }[] = [
  { keys: ['/'], label: 'shortcuts.search' },
  { keys: ['g', 'd'], label: 'shortcuts.dashboard' },
  { keys: ['g', 'r'], label: 'shortcuts.runs' },
  { keys: ['g', 'w'], label: 'shortcuts.workers' },
  { keys: ['?'], label: 'shortcuts.help' },
];

/** Keys typed into a field are the user's text, never shortcuts. */
const isTyping = (target: EventTarget | null): boolean =>
  target instanceof HTMLElement &&
  (target.isContentEditable || target.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]') !== null);

/** The first visible search box of the screen (marked `data-search`). */
const searchBox = (): HTMLInputElement | null =>
  [...document.querySelectorAll<HTMLInputElement>('input[data-search]')].find((el) => el.offsetParent !== null) ?? null;

/**
 * Keyboard shortcuts for the signed-in app: `/` focuses the screen's search
 * (the runs page's when the screen has none), `g d` / `g r` / `g w` go to the
 * dashboard, runs and workers, `?` lists them in a dialog.
 */
export function Shortcuts() {
  const [isOpen, setOpen] = createSignal(false);
  let dialog: HTMLDialogElement | undefined;
  let pendingG = 0;

  const focusSearch = () => {
    const box = searchBox();
    if (box) {
      box.focus();
      box.select();
      return;
    }
    navigate('/runs');
    // The runs screen loads on demand: focus its search once it is there.
    const started = Date.now();
    const poll = () => {
      const found = searchBox();
      if (found) found.focus();
      else if (Date.now() - started < 3000) requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  };

  const onKey = (event: KeyboardEvent) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target) || isOpen()) return;
    if (event.key === 'g') {
      pendingG = Date.now();
      return;
    }
    const afterG = Date.now() - pendingG < SEQUENCE_MS;
    pendingG = 0;
    if (afterG && GO_TO[event.key]) {
      event.preventDefault();
      navigate(GO_TO[event.key]!);
    } else if (event.key === '/') {
      event.preventDefault();
      focusSearch();
    } else if (event.key === '?') {
      event.preventDefault();
      setOpen(true);
      queueMicrotask(() => dialog && !dialog.open && dialog.showModal());
    }
  };
  onMount(() => document.addEventListener('keydown', onKey));
  onCleanup(() => document.removeEventListener('keydown', onKey));

  const close = () => {
    setOpen(false);
    if (dialog?.open) dialog.close();
  };
  return (
    <dialog
      ref={(el) => (dialog = el)}
      class="dialog shortcuts"
      aria-labelledby="shortcuts-title"
      onCancel={(event) => {
        event.preventDefault();
        close();
      }}
    >
      <Show when={isOpen()}>
        <h2 id="shortcuts-title">{t('shortcuts.title')}</h2>
        <dl class="shortcut-list">
          <For each={LIST}>
            {(item) => (
              <div>
                <dt>
                  <For each={item.keys}>
                    {(key, i) => (
                      <>
                        {i() > 0 && <span class="muted"> {t('shortcuts.then')} </span>}
                        <kbd>{key}</kbd>
                      </>
                    )}
                  </For>
                </dt>
                <dd>{t(item.label)}</dd>
              </div>
            )}
          </For>
        </dl>
        <div class="actions">
          <button type="button" class="button primary" autofocus onClick={close}>
            {t('shortcuts.close')}
          </button>
        </div>
      </Show>
    </dialog>
  );
}
