import { createSignal, Show } from 'solid-js';
import { t } from '../i18n/i18n';

interface Pending {
  message: string;
  confirmLabel: string;
  isDanger: boolean;
  /** The label of the choice that does nothing ("Keep running"); "Cancel" by default. */
  keepLabel?: string;
  resolve: (ok: boolean) => void;
}
const [pending, setPending] = createSignal<Pending | null>(null);

/**
 * Asks the user to confirm in a modal dialog; resolves true when they do. A
 * dangerous action starts with focus on the choice that does nothing, so a
 * stray Enter never destroys anything.
 */
export function confirmAction(message: string, confirmLabel: string, isDanger = true, keepLabel?: string): Promise<boolean> {
  return new Promise((resolve) => setPending({ message, confirmLabel, isDanger, keepLabel, resolve }));
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
                <button type="button" class="button" onClick={() => close(false)} autofocus={p().isDanger}>
                  {p().keepLabel ?? t('common.cancel')}
                </button>
                <button type="submit" class="button" classList={{ danger: p().isDanger, primary: !p().isDanger }} autofocus={!p().isDanger}>
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
