import { createMemo, createSignal, For, Show, type JSX } from 'solid-js';
import { upcomingDueTimes } from '@jobflow/shared/schedule-rules';
import { SCHEDULE_MISSED_POLICIES, SCHEDULE_OVERLAP_POLICIES } from '@jobflow/shared/client';
import { formatDateTime, formatDateTimeIn, locale, t } from '../i18n/i18n';
import { describeCron } from './cron-text';
import { errorsUnder, liveScheduleProblems, localZone, resolveZone, timeZones, type ScheduleDraft } from './job-draft';
import type { FieldErrors } from './params-form';

const PREVIEW_COUNT = 5;

/** The Schedule section of the job form: cron, time zone, overlap and missed policies, paused. */
export function ScheduleFields(props: { value: ScheduleDraft; onChange: (patch: Partial<ScheduleDraft>) => void; errors: FieldErrors; isDisabled: boolean }) {
  const [isZoneFocused, setZoneFocused] = createSignal(false);
  // The server's rules, checked as the user types: a half-typed zone waits until the field is left.
  const live = createMemo(() => liveScheduleProblems(isZoneFocused() ? { ...props.value, timezone: '' } : props.value));
  const error = (path: string) => {
    const now = live()[path] ?? [];
    return (now.length > 0 ? now : errorsUnder(props.errors, path)).join(' ');
  };
  const preview = createMemo(() => {
    const cron = props.value.cron.trim();
    const timezone = props.value.timezone.trim();
    if (!props.value.isOn || !cron || Object.keys(liveScheduleProblems(props.value)).length > 0) return null;
    return { text: describeCron(cron, locale()), due: upcomingDueTimes({ cron, timezone }, PREVIEW_COUNT), timezone };
  });
  const errorNode = (path: string, id: string): JSX.Element => (
    <Show when={error(path)}>
      <span class="field-error" id={id} data-error-path={path}>
        {error(path)}
      </span>
    </Show>
  );
  const describedBy = (...ids: (string | false)[]) => ids.filter(Boolean).join(' ') || undefined;

  return (
    <fieldset class="fieldset schedule-fields" aria-describedby="schedule-intro">
      <legend>
        <span class="label">{t('jobForm.scheduleSection')}</span>
      </legend>
      <span class="hint" id="schedule-intro">
        {t('jobForm.scheduleIntro')}
      </span>
      <div class="field field-check">
        <span class="check-row">
          <input
            id="job-has-schedule"
            type="checkbox"
            checked={props.value.isOn}
            disabled={props.isDisabled}
            onChange={(e) => props.onChange({ isOn: e.currentTarget.checked })}
          />
          <label class="label" for="job-has-schedule">
            {t('jobForm.schedule')}
          </label>
        </span>
      </div>
      <Show when={props.errors['/schedule']}>
        {(messages) => (
          <span class="field-error" id="job-schedule-error" data-error-path="/schedule">
            {messages().join(' ')}
          </span>
        )}
      </Show>
      <Show when={props.value.isOn}>
        <div class="grid-2">
          <div class="field" classList={{ invalid: !!error('/schedule/cron') }}>
            <label class="label" for="job-cron">
              {t('jobs.cron')}
            </label>
            <span class="hint" id="job-cron-hint">
              {t('jobForm.cronHint')}
            </span>
            <input
              id="job-cron"
              class="mono"
              value={props.value.cron}
              placeholder="0 9 * * 1-5"
              autocomplete="off"
              spellcheck={false}
              disabled={props.isDisabled}
              aria-describedby={describedBy('job-cron-hint', !!error('/schedule/cron') && 'job-cron-error', !!preview() && 'job-cron-preview')}
              aria-invalid={error('/schedule/cron') ? 'true' : undefined}
              onInput={(e) => props.onChange({ cron: e.currentTarget.value })}
            />
            {errorNode('/schedule/cron', 'job-cron-error')}
            <div id="job-cron-preview" class="cron-preview" aria-live="polite">
              <Show when={preview()}>
                {(p) => (
                  <>
                    <Show when={p().text}>
                      <p class="cron-words">{p().text}</p>
                    </Show>
                    <Show when={p().due.length > 0}>
                      <span class="hint">{t('jobForm.nextDue', { zone: p().timezone })}</span>
                      <ol class="cron-due">
                        <For each={p().due}>
                          {(at) => (
                            <li>
                              <time datetime={at.toISOString()}>{formatDateTimeIn(at.toISOString(), p().timezone)}</time>
                              <Show when={p().timezone !== localZone()}>
                                <span class="muted"> · {formatDateTime(at.toISOString())}</span>
                              </Show>
                            </li>
                          )}
                        </For>
                      </ol>
                    </Show>
                  </>
                )}
              </Show>
            </div>
          </div>
          <div class="field" classList={{ invalid: !!error('/schedule/timezone') }}>
            <label class="label" for="job-timezone">
              {t('jobs.timezone')}
            </label>
            <span class="hint" id="job-timezone-hint">
              {t('jobForm.timezoneHint', { n: timeZones().length })}
            </span>
            <span class="tz-row">
              <input
                id="job-timezone"
                list="job-timezone-list"
                value={props.value.timezone}
                autocomplete="off"
                spellcheck={false}
                disabled={props.isDisabled}
                aria-describedby={describedBy('job-timezone-hint', !!error('/schedule/timezone') && 'job-timezone-error')}
                aria-invalid={error('/schedule/timezone') ? 'true' : undefined}
                onInput={(e) => props.onChange({ timezone: e.currentTarget.value })}
                onFocus={(e) => {
                  setZoneFocused(true);
                  e.currentTarget.select();
                }}
                onBlur={(e) => {
                  setZoneFocused(false);
                  const resolved = resolveZone(e.currentTarget.value);
                  if (resolved !== e.currentTarget.value) props.onChange({ timezone: resolved });
                }}
              />
              <Show when={props.value.timezone !== localZone()}>
                <button type="button" class="button small" disabled={props.isDisabled} onClick={() => props.onChange({ timezone: localZone() })}>
                  {t('jobForm.useMyZone', { zone: localZone() })}
                </button>
              </Show>
            </span>
            <datalist id="job-timezone-list">
              <For each={timeZones()}>{(zone) => <option value={zone} />}</For>
            </datalist>
            {errorNode('/schedule/timezone', 'job-timezone-error')}
          </div>
        </div>
        <div class="grid-2">
          <fieldset class="choice-group" aria-describedby={error('/schedulePolicy/overlap') ? 'job-overlap-error' : undefined}>
            <legend class="label">{t('schedule.overlap')}</legend>
            <For each={SCHEDULE_OVERLAP_POLICIES}>
              {(policy) => (
                <label class="check-row">
                  <input
                    type="radio"
                    name="job-overlap"
                    value={policy}
                    checked={props.value.overlap === policy}
                    disabled={props.isDisabled}
                    onChange={() => props.onChange({ overlap: policy })}
                  />
                  {t(`schedule.overlap.${policy}`)}
                </label>
              )}
            </For>
            {errorNode('/schedulePolicy/overlap', 'job-overlap-error')}
          </fieldset>
          <fieldset class="choice-group" aria-describedby={error('/schedulePolicy/missed') ? 'job-missed-error' : undefined}>
            <legend class="label">{t('schedule.missed')}</legend>
            <For each={SCHEDULE_MISSED_POLICIES}>
              {(policy) => (
                <label class="check-row">
                  <input
                    type="radio"
                    name="job-missed"
                    value={policy}
                    checked={props.value.missed === policy}
                    disabled={props.isDisabled}
                    onChange={() => props.onChange({ missed: policy })}
                  />
                  {t(`schedule.missed.${policy}`)}
                </label>
              )}
            </For>
            {errorNode('/schedulePolicy/missed', 'job-missed-error')}
          </fieldset>
        </div>
        <div class="field field-check">
          <span class="check-row">
            <input
              id="job-schedule-paused"
              type="checkbox"
              checked={props.value.isPaused}
              disabled={props.isDisabled}
              aria-describedby="job-schedule-paused-hint"
              onChange={(e) => props.onChange({ isPaused: e.currentTarget.checked })}
            />
            <label class="label" for="job-schedule-paused">
              {t('jobForm.paused')}
            </label>
          </span>
          <span class="hint" id="job-schedule-paused-hint">
            {t('jobForm.pausedHint')}
          </span>
          {errorNode('/schedulePaused', 'job-schedule-paused-error')}
        </div>
      </Show>
    </fieldset>
  );
}
