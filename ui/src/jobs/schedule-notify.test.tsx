import { createSignal, type JSX } from 'solid-js';
import { render } from 'solid-js/web';
import { afterEach, describe, expect, test } from 'vitest';
import { SCHEDULE_FIRE_OUTCOMES } from '@jobflow/shared/client';
import { Owner } from '../components/owner';
import { setLocale } from '../i18n/i18n';
import { scheduleDraftOf, targetDraftOf, type ScheduleDraft, type TargetDraft } from './job-draft';
import { NotificationFields } from './notification-fields';
import type { FieldErrors } from './params-form';
import { ScheduleFields } from './schedule-fields';
import { OutcomeBadge } from './schedule-panel';

let dispose: (() => void) | undefined;
afterEach(() => {
  dispose?.();
  document.body.innerHTML = '';
  setLocale('en');
});

function mount(view: () => JSX.Element): HTMLElement {
  const root = document.createElement('div');
  document.body.append(root);
  dispose = render(view, root);
  return root;
}

const byLabel = (root: HTMLElement, text: string) => {
  const label = [...root.querySelectorAll('label')].find((l) => l.textContent?.trim() === text);
  const id = label?.getAttribute('for');
  return (id ? root.querySelector(`#${id}`) : null) as HTMLInputElement | null;
};
const button = (root: HTMLElement, text: string) => [...root.querySelectorAll('button')].find((b) => b.textContent?.trim() === text) as HTMLButtonElement;
const type = (el: HTMLInputElement | HTMLTextAreaElement, text: string) => {
  el.value = text;
  el.dispatchEvent(new Event('input', { bubbles: true }));
};

describe('notification targets in the job form', () => {
  function mountTargets(initial: TargetDraft[]) {
    const [targets, setTargets] = createSignal(initial);
    const [errors, setErrors] = createSignal<FieldErrors>({});
    const root = mount(() => <NotificationFields value={targets()} onChange={setTargets} errors={errors()} isDisabled={false} />);
    return { root, targets, setErrors };
  }

  test('a stored webhook secret is shown masked and kept until the user replaces it', () => {
    const { root, targets } = mountTargets([
      targetDraftOf({ id: 'wh1', kind: 'webhook', on: ['failed'], url: 'https://example.com/hook', secret: '****abcd' }),
    ]);
    expect(root.querySelector('.masked')?.textContent).toBe('****abcd');
    expect(byLabel(root, 'Signing secret')).toBeNull();
    button(root, 'Replace secret').click();
    const secret = byLabel(root, 'Signing secret') as HTMLInputElement;
    expect(secret.value).toBe('');
    button(root, 'Generate').click();
    expect((byLabel(root, 'Signing secret') as HTMLInputElement).value.length).toBeGreaterThanOrEqual(16);
    expect(targets()[0]).toMatchObject({ isReplacing: true });
    button(root, 'Keep the stored secret').click();
    expect(targets()[0]).toMatchObject({ isReplacing: false, secret: '' });
    expect(root.querySelector('.masked')?.textContent).toBe('****abcd');
  });

  test('adds targets of each kind, ticks events, removes one, and shows the server’s errors at their fields', () => {
    const { root, targets, setErrors } = mountTargets([]);
    expect(root.textContent).toContain('No notifications.');
    button(root, 'Add webhook').click();
    button(root, 'Add email').click();
    expect(targets().map((d) => d.kind)).toEqual(['webhook', 'email']);
    type(byLabel(root, 'URL') as HTMLInputElement, 'https://example.com/in');
    type(root.querySelector('textarea') as HTMLTextAreaElement, 'ops@example.com');
    const starts = [...root.querySelectorAll<HTMLLabelElement>('fieldset[data-target-kind="email"] label')].find((l) => l.textContent === 'starts');
    const box = starts?.querySelector('input') as HTMLInputElement;
    box.checked = true;
    box.dispatchEvent(new Event('change', { bubbles: true }));
    expect(targets()[1]).toMatchObject({ kind: 'email', to: 'ops@example.com', on: ['started', 'failed'] });
    expect(targets()[0]).toMatchObject({ kind: 'webhook', url: 'https://example.com/in' });

    setErrors({ '/notifications/0/secret': ['must have at least 16 characters'], '/notifications/1/to/0': ['Invalid email address'] });
    expect(root.querySelector('[data-error-path="/notifications/0/secret"]')?.textContent).toContain('16');
    expect(root.querySelector('[data-error-path="/notifications/1/to"]')?.textContent).toContain('Invalid email address');
    expect(byLabel(root, 'Signing secret')?.getAttribute('aria-invalid')).toBe('true');

    (root.querySelector('[aria-label="Remove 1. Webhook"]') as HTMLButtonElement).click();
    expect(targets().map((d) => d.kind)).toEqual(['email']);
  });

  test('a stored Slack URL is shown masked; replacing it asks for the full URL', () => {
    const { root, targets } = mountTargets([targetDraftOf({ id: 'sl1', kind: 'slack', on: ['failed'], url: 'https://hooks.slack.com/****wxyz' })]);
    expect(root.querySelector('.masked')?.textContent).toBe('https://hooks.slack.com/****wxyz');
    button(root, 'Replace URL').click();
    type(byLabel(root, 'Incoming-webhook URL') as HTMLInputElement, 'https://hooks.slack.com/services/T/B/x');
    expect(targets()[0]).toMatchObject({ isReplacing: true, url: 'https://hooks.slack.com/services/T/B/x' });
  });
});

describe('schedule fields in the job form', () => {
  test('cron, a searchable zone list, policies and paused; errors at their fields', () => {
    const [value, setValue] = createSignal<ScheduleDraft>(scheduleDraftOf(null));
    const [errors, setErrors] = createSignal<FieldErrors>({});
    const root = mount(() => (
      <ScheduleFields value={value()} onChange={(patch) => setValue((v) => ({ ...v, ...patch }))} errors={errors()} isDisabled={false} />
    ));
    expect(byLabel(root, 'Cron expression')).toBeNull();
    const on = byLabel(root, 'Run on a schedule') as HTMLInputElement;
    on.checked = true;
    on.dispatchEvent(new Event('change', { bubbles: true }));
    type(byLabel(root, 'Cron expression') as HTMLInputElement, '*/5 * * * *');
    const zone = byLabel(root, 'Time zone') as HTMLInputElement;
    expect(zone.getAttribute('list')).toBe('job-timezone-list');
    const options = [...root.querySelectorAll('#job-timezone-list option')].map((o) => o.getAttribute('value'));
    expect(options).toContain('Asia/Tokyo');
    type(zone, 'Asia/Tokyo');
    const skip = [...root.querySelectorAll<HTMLInputElement>('input[name="job-overlap"]')].find((r) => r.value === 'skip') as HTMLInputElement;
    skip.checked = true;
    skip.dispatchEvent(new Event('change', { bubbles: true }));
    const paused = byLabel(root, 'Paused') as HTMLInputElement;
    paused.checked = true;
    paused.dispatchEvent(new Event('change', { bubbles: true }));
    expect(value()).toMatchObject({ isOn: true, cron: '*/5 * * * *', timezone: 'Asia/Tokyo', overlap: 'skip', missed: 'skip', isPaused: true });

    setErrors({ '/schedule/cron': ['The cron expression needs 5 fields.'] });
    expect(root.querySelector('[data-error-path="/schedule/cron"]')?.textContent).toContain('5 fields');
    expect(root.querySelectorAll('.field-error')).toHaveLength(1);
    expect(byLabel(root, 'Cron expression')?.getAttribute('aria-invalid')).toBe('true');
    expect(byLabel(root, 'Cron expression')?.getAttribute('aria-describedby')).toContain('job-cron-error');
  });
});

describe('due-time outcomes and owners', () => {
  test('every outcome badge carries an icon and words, in each language', () => {
    const root = mount(() => (
      <>
        {SCHEDULE_FIRE_OUTCOMES.map((outcome) => (
          <OutcomeBadge outcome={outcome} />
        ))}
      </>
    ));
    const texts = [...root.querySelectorAll('.outcome')].map((b) => b.textContent);
    expect(texts).toEqual(['▶Started', '↷Skipped: still running', '⚠Missed', '↺Caught up', '⏸Paused: owner disabled']);
    expect([...root.querySelectorAll('.outcome')].every((b) => (b.getAttribute('title') ?? '').length > 0)).toBe(true);
    setLocale('ja');
    expect(root.querySelector('.outcome-missed')?.textContent).toBe('⚠見逃し');
    expect(root.querySelector('.outcome-paused-owner-disabled')?.textContent).toBe('⏸一時停止:所有者が無効');
  });

  test('a job’s owner is shown by the name the server sends', () => {
    const root = mount(() => <Owner id="0b6f5c1e-0000-4000-8000-000000000001" name="Hanako Yamada" />);
    expect(root.textContent).toBe('Hanako Yamada');
    expect(root.querySelector('span')?.getAttribute('title')).toBe('0b6f5c1e-0000-4000-8000-000000000001');
  });
});
