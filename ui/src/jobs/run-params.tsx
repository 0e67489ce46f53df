import { createEffect, createMemo, createSignal, For, on, Show } from 'solid-js';
import type { JobTypeDto, RunDto } from '@jobflow/shared/client';
import { errorDetails, errorMessage } from '../app/errors';
import { t } from '../i18n/i18n';
import { ParamsForm, type FieldErrors } from './params-form';
import { changedPaths, cloneJson, type Schema } from './schema';
import { toFieldErrors, validateJobParams } from './validate';
import { whileBusy } from '../app/busy';

/**
 * "Run with changed parameters": the params form prefilled with `baseline`,
 * each field that differs marked, validated in the browser, then started.
 */
export default function RunWithParams(props: {
  jobType: JobTypeDto;
  baseline: Record<string, unknown>;
  submitLabel: string;
  start: (params: Record<string, unknown>) => Promise<RunDto>;
  onStarted: (run: RunDto) => void;
  onCancel: () => void;
}) {
  const baseline = cloneJson(props.baseline);
  const [value, setValue] = createSignal<Record<string, unknown>>(cloneJson(baseline));
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const [failure, setFailure] = createSignal<string | null>(null);
  const [isBusy, setBusy] = createSignal(false);
  const schema = () => props.jobType.paramsSchema as Schema;
  const changed = createMemo(() => changedPaths(schema(), value(), baseline));
  let hasTried = false;
  // After a first attempt, errors follow the user's fixes as they type.
  createEffect(
    on(
      value,
      (v) => {
        if (!hasTried) return;
        const found = validateJobParams(props.jobType, v);
        setErrors(found);
        if (Object.keys(found).length === 0) setFailure(null);
      },
      { defer: true },
    ),
  );

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    hasTried = true;
    const found = validateJobParams(props.jobType, value());
    setErrors(found);
    setFailure(null);
    if (Object.keys(found).length > 0) {
      focusFirstError();
      return;
    }
    await whileBusy(
      setBusy,
      async () => {
        props.onStarted(await props.start(value()));
      },
      (e) => {
        setErrors(toFieldErrors(errorDetails(e)));
        setFailure(errorMessage(e));
        focusFirstError();
      },
    );
  };

  return (
    <form class="panel run-params" onSubmit={submit} aria-labelledby="run-params-title" novalidate>
      <h2 id="run-params-title">{t('runParams.title')}</h2>
      <p class="muted" aria-live="polite">
        {changed().length === 0 ? t('runParams.noChanges') : t('runParams.changedCount', { n: changed().length })}
      </p>
      <Show when={changed().length > 0}>
        <ul class="diff-list">
          <For each={changed()}>
            {(path) => (
              <li>
                <code>{path.slice(1).replace(/\//g, '.')}</code>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <ParamsForm schema={schema()} value={value} onChange={setValue} errors={errors} baseline={() => baseline} isDisabled={isBusy} />
      <Show when={failure()}>
        <p class="error" role="alert">
          {failure()}
        </p>
      </Show>
      <div class="actions">
        <button type="button" class="button" onClick={() => props.onCancel()}>
          {t('common.cancel')}
        </button>
        <button type="button" class="button" disabled={changed().length === 0} onClick={() => setValue(cloneJson(baseline))}>
          {t('runParams.reset')}
        </button>
        <button type="submit" class="button primary" disabled={isBusy()}>
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}

/** Moves focus to the first field with an error, so keyboard and screen-reader users land on it. */
export function focusFirstError(): void {
  queueMicrotask(() => {
    const field = document.querySelector<HTMLElement>('[aria-invalid="true"]');
    field?.focus();
  });
}
