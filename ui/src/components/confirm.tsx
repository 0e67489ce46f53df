import { createSignal, Show } from 'solid-js';
import { t } from '../i18n/i18n';

interface Pending {
  message: string;
  confirmLabel: string;
  isDanger: boolean;
  resolve: (ok: boolean) => void;
}
const [pending, setPending] = createSignal<Pending | null>(null);

/** Asks the user to confirm in a modal dialog; resolves true when they do. */
export function confirmAction(message: string, confirmLabel: string, isDanger = true): Promise<boolean> {
  return new Promise((resolve) => setPending({ message, confirmLabel, isDanger, resolve }));
}

/** The single confirmation dialog, mounted once by the app shell. */
export function ConfirmHost() {
  let dialog!: HTMLDialogElement;
  const close = (ok: boolean) => {
    const p = pending();
    setPending(null);
    if (dialog.open) dialog.close();
    p?.resolve(ok);
  };
  return (
    <dialog
      ref={(el) => {
        dialog = el;
      }}
      class="dialog"
      aria-labelledby="confirm-message"
      onCancel={(event) => {
        event.preventDefault();
        close(false);
      }}
    >
      <Show when={pending()}>
        {(p) => {
          queueMicrotask(() => !dialog.open && dialog.showModal());
          return (
            <form
              method="dialog"
              onSubmit={(event) => {
                event.preventDefault();
                close(true);
              }}
            >
              <p id="confirm-message">{p().message}</p>
              <div class="actions">
                <button type="button" class="button" onClick={() => close(false)}>
                  {t('common.cancel')}
                </button>
                <button type="submit" class="button" classList={{ danger: p().isDanger, primary: !p().isDanger }} autofocus>
                  {p().confirmLabel}
                </button>
              </div>
            </form>
          );
        }}
      </Show>
    </dialog>
  );
}
