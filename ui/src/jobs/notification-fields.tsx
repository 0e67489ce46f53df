import { For, Index, Match, Show, Switch, type JSX } from 'solid-js';
import { NOTIFICATION_EVENTS } from '@jobflow/shared/client';
import { t } from '../i18n/i18n';
import { errorsUnder, generateSecret, MAX_TARGETS, MIN_SECRET_CHARS, newTarget, type TargetDraft, type TargetKind } from './job-draft';
import type { FieldErrors } from './params-form';

const KINDS: readonly TargetKind[] = ['webhook', 'slack', 'email'];

type Patch = Partial<{ url: string; secret: string; isReplacing: boolean; to: string; on: TargetDraft['on'] }>;

/**
 * The Notifications section of the job form: targets of each kind, the run
 * events each is sent, and stored secrets shown masked, kept unless replaced.
 */
export function NotificationFields(props: {
  value: readonly TargetDraft[];
  onChange: (targets: TargetDraft[]) => void;
  errors: FieldErrors;
  isDisabled: boolean;
}) {
  const update = (key: number, patch: Patch) => props.onChange(props.value.map((d) => (d.key === key ? ({ ...d, ...patch } as TargetDraft) : d)));
  const remove = (key: number) => props.onChange(props.value.filter((d) => d.key !== key));
  const add = (kind: TargetKind) => {
    const target = newTarget(kind);
    props.onChange([...props.value, target]);
    queueMicrotask(() => document.getElementById(`notify-${target.key}-${kind === 'email' ? 'to' : 'url'}`)?.focus());
  };

  return (
    <fieldset class="fieldset notification-fields" aria-describedby="notify-intro">
      <legend>
        <span class="label">{t('notify.title')}</span>
      </legend>
      <span class="hint" id="notify-intro">
        {t('notify.intro')}
      </span>
      <Show when={props.errors['/notifications']}>
        <span class="field-error" data-error-path="/notifications">
          {props.errors['/notifications']?.join(' ')}
        </span>
      </Show>
      <Show when={props.value.length === 0}>
        <p class="muted">{t('notify.none')}</p>
      </Show>
      <Index each={props.value}>
        {(target, i) => (
          <TargetFields
            target={target()}
            index={i}
            errors={props.errors}
            isDisabled={props.isDisabled}
            onChange={(patch) => update(target().key, patch)}
            onRemove={() => remove(target().key)}
          />
        )}
      </Index>
      <div class="actions">
        <For each={KINDS}>
          {(kind) => (
            <button type="button" class="button small" disabled={props.isDisabled || props.value.length >= MAX_TARGETS} onClick={() => add(kind)}>
              {t(`notify.add.${kind}`)}
            </button>
          )}
        </For>
      </div>
    </fieldset>
  );
}

function TargetFields(props: {
  target: TargetDraft;
  index: number;
  errors: FieldErrors;
  isDisabled: boolean;
  onChange: (patch: Patch) => void;
  onRemove: () => void;
}) {
  const base = () => `notify-${props.target.key}`;
  const path = () => `/notifications/${props.index}`;
  const title = () => t('notify.targetTitle', { n: props.index + 1, kind: t(`notify.kind.${props.target.kind}`) });
  const error = (field: string) => errorsUnder(props.errors, `${path()}/${field}`).join(' ');
  /** Problems the server names at the target itself (or a field this form has no control for). */
  const targetError = () =>
    Object.entries(props.errors)
      .filter(([key]) => key === path() || key === `${path()}/id` || key === `${path()}/kind`)
      .flatMap(([, messages]) => messages)
      .join(' ');
  const errorNode = (field: string): JSX.Element => (
    <Show when={error(field)}>
      <span class="field-error" id={`${base()}-${field}-error`} data-error-path={`${path()}/${field}`}>
        {error(field)}
      </span>
    </Show>
  );
  const invalid = (field: string) => (error(field) ? ('true' as const) : undefined);
  const describedBy = (field: string, hint?: string) => [hint, error(field) ? `${base()}-${field}-error` : ''].filter(Boolean).join(' ') || undefined;

  const textInput = (field: 'url' | 'secret', label: string, hint: string, value: string, extra: JSX.InputHTMLAttributes<HTMLInputElement> = {}) => (
    <div class="field" classList={{ invalid: !!error(field) }}>
      <label class="label" for={`${base()}-${field}`}>
        {label}
      </label>
      <span class="hint" id={`${base()}-${field}-hint`}>
        {hint}
      </span>
      <input
        id={`${base()}-${field}`}
        value={value}
        autocomplete="off"
        spellcheck={false}
        disabled={props.isDisabled}
        aria-invalid={invalid(field)}
        aria-describedby={describedBy(field, `${base()}-${field}-hint`)}
        onInput={(e) => props.onChange({ [field]: e.currentTarget.value })}
        {...extra}
      />
      {errorNode(field)}
    </div>
  );

  /** A stored secret: its mask, and a button to type a new one. */
  const stored = (label: string, mask: string, replaceLabel: string, field: 'secret' | 'url') => (
    <div class="field">
      <span class="label" id={`${base()}-${field}-label`}>
        {label}
      </span>
      <span class="stored-secret">
        <code class="masked" aria-labelledby={`${base()}-${field}-label`} title={t('notify.maskedHint')}>
          {mask}
        </code>
        <button type="button" class="button small" disabled={props.isDisabled} onClick={() => props.onChange({ isReplacing: true, [field]: '' })}>
          {replaceLabel}
        </button>
      </span>
      <span class="hint">{t('notify.keptHint')}</span>
      {errorNode(field)}
    </div>
  );

  return (
    <fieldset class="fieldset target" classList={{ invalid: !!targetError() }} data-target-kind={props.target.kind}>
      <legend class="target-legend">
        <span class="label">{title()}</span>
        <button
          type="button"
          class="button small danger"
          disabled={props.isDisabled}
          onClick={() => props.onRemove()}
          aria-label={t('notify.removeTarget', { name: title() })}
        >
          {t('form.remove')}
        </button>
      </legend>
      <Show when={targetError()}>
        <span class="field-error" data-error-path={path()}>
          {targetError()}
        </span>
      </Show>
      <Switch>
        <Match when={props.target.kind === 'webhook' && props.target}>
          {(w) => (
            <>
              {textInput('url', t('notify.url'), t('notify.webhookUrlHint'), w().url, {
                type: 'url',
                inputmode: 'url',
                placeholder: 'https://example.com/hooks/jobflow',
              })}
              <Show
                when={w().isReplacing || w().storedSecret === null}
                fallback={stored(t('notify.secret'), w().storedSecret ?? '', t('notify.replaceSecret'), 'secret')}
              >
                <div class="field" classList={{ invalid: !!error('secret') }}>
                  <label class="label" for={`${base()}-secret`}>
                    {t('notify.secret')}
                  </label>
                  <span class="hint" id={`${base()}-secret-hint`}>
                    {t('notify.secretHint', { n: MIN_SECRET_CHARS })}
                  </span>
                  <span class="secret-row">
                    <input
                      id={`${base()}-secret`}
                      class="mono"
                      value={w().secret}
                      autocomplete="off"
                      spellcheck={false}
                      disabled={props.isDisabled}
                      aria-invalid={invalid('secret')}
                      aria-describedby={describedBy('secret', `${base()}-secret-hint`)}
                      onInput={(e) => props.onChange({ secret: e.currentTarget.value })}
                    />
                    <button type="button" class="button small" disabled={props.isDisabled} onClick={() => props.onChange({ secret: generateSecret() })}>
                      {t('notify.generate')}
                    </button>
                    <Show when={w().storedSecret !== null}>
                      <button type="button" class="button small" disabled={props.isDisabled} onClick={() => props.onChange({ isReplacing: false, secret: '' })}>
                        {t('notify.keepSecret')}
                      </button>
                    </Show>
                  </span>
                  {errorNode('secret')}
                </div>
              </Show>
            </>
          )}
        </Match>
        <Match when={props.target.kind === 'slack' && props.target}>
          {(s) => (
            <Show when={s().isReplacing || s().storedUrl === null} fallback={stored(t('notify.slackUrl'), s().storedUrl ?? '', t('notify.replaceUrl'), 'url')}>
              {textInput('url', t('notify.slackUrl'), t('notify.slackUrlHint'), s().url, {
                type: 'url',
                inputmode: 'url',
                placeholder: 'https://hooks.slack.com/services/…',
              })}
              <Show when={s().storedUrl !== null}>
                <button
                  type="button"
                  class="button small keep-button"
                  disabled={props.isDisabled}
                  onClick={() => props.onChange({ isReplacing: false, url: '' })}
                >
                  {t('notify.keepUrl')}
                </button>
              </Show>
            </Show>
          )}
        </Match>
        <Match when={props.target.kind === 'email' && props.target}>
          {(m) => (
            <div class="field" classList={{ invalid: !!error('to') }}>
              <label class="label" for={`${base()}-to`}>
                {t('notify.to')}
              </label>
              <span class="hint" id={`${base()}-to-hint`}>
                {t('notify.toHint')}
              </span>
              <textarea
                id={`${base()}-to`}
                rows={2}
                value={m().to}
                spellcheck={false}
                disabled={props.isDisabled}
                aria-invalid={invalid('to')}
                aria-describedby={describedBy('to', `${base()}-to-hint`)}
                onInput={(e) => props.onChange({ to: e.currentTarget.value })}
              />
              {errorNode('to')}
            </div>
          )}
        </Match>
      </Switch>
      <fieldset class="choice-group inline" aria-describedby={error('on') ? `${base()}-on-error` : undefined}>
        <legend class="label">{t('notify.on')}</legend>
        <For each={NOTIFICATION_EVENTS}>
          {(event) => (
            <label class="check-row">
              <input
                type="checkbox"
                checked={props.target.on.includes(event)}
                disabled={props.isDisabled}
                aria-invalid={invalid('on')}
                onChange={(e) => {
                  const rest = props.target.on.filter((x) => x !== event);
                  props.onChange({ on: e.currentTarget.checked ? NOTIFICATION_EVENTS.filter((x) => x === event || rest.includes(x)) : rest });
                }}
              />
              {t(`notify.event.${event}`)}
            </label>
          )}
        </For>
        {errorNode('on')}
      </fieldset>
    </fieldset>
  );
}
