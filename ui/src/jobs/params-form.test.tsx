import { jobTypeInfos, shellInfo } from '@jobflow/shared';
import { createSignal } from 'solid-js';
import { render } from 'solid-js/web';
import { afterEach, describe, expect, test } from 'vitest';
import { setLocale } from '../i18n/i18n';
import { ParamsForm, type FieldErrors } from './params-form';
import type { Schema } from './schema';
import { validateJobParams } from './validate';

const shell = shellInfo.paramsSchema as unknown as Schema;
const httpInfo = jobTypeInfos.http;
const http = httpInfo.paramsSchema as unknown as Schema;
const httpType = { type: 'http', title: 'HTTP', description: '', adminOnly: false, paramsSchema: httpInfo.paramsSchema as unknown as Record<string, unknown> };
let dispose: (() => void) | undefined;
afterEach(() => {
  dispose?.();
  document.body.innerHTML = '';
});

function mount(schema: Schema, initial: Record<string, unknown>, baseline?: Record<string, unknown>) {
  const [value, setValue] = createSignal(initial);
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const root = document.createElement('div');
  document.body.append(root);
  dispose = render(
    () => <ParamsForm schema={schema} value={value} onChange={setValue} errors={errors} baseline={baseline ? () => baseline : undefined} />,
    root,
  );
  const byLabel = (text: string) => {
    const label = [...root.querySelectorAll('label')].find((l) => l.textContent?.trim() === text);
    const id = label?.getAttribute('for');
    return (id ? root.querySelector(`#${id}`) : null) as HTMLInputElement | HTMLTextAreaElement | null;
  };
  const type = (el: HTMLInputElement | HTMLTextAreaElement, text: string) => {
    el.value = text;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  };
  return { root, value, setErrors, byLabel, type };
}

describe('generated params form', () => {
  test('renders the shell schema: multi-line script, text shell and cwd, an env map', () => {
    const { root, byLabel } = mount(shell, { shell: '/bin/sh' });
    expect(byLabel('Script')?.tagName).toBe('TEXTAREA');
    expect(byLabel('Shell')?.tagName).toBe('INPUT');
    expect((byLabel('Shell') as HTMLInputElement).value).toBe('/bin/sh');
    expect(byLabel('Working directory')?.tagName).toBe('INPUT');
    expect(root.querySelector('legend')?.textContent).toContain('Environment variables');
    expect(byLabel('Script')?.getAttribute('aria-required')).toBe('true');
  });

  test('typing updates the value; clearing an optional field removes it', () => {
    const { value, byLabel, type } = mount(shell, {});
    type(byLabel('Script') as HTMLTextAreaElement, 'echo hi');
    type(byLabel('Working directory') as HTMLInputElement, '/tmp');
    expect(value()).toEqual({ script: 'echo hi', cwd: '/tmp' });
    type(byLabel('Working directory') as HTMLInputElement, '');
    expect(value()).toEqual({ script: 'echo hi' });
  });

  test('the env map adds key/value rows and builds an object', () => {
    const { root, value, type } = mount(shell, { script: 'x' });
    const add = [...root.querySelectorAll('button')].find((b) => b.textContent === 'Add entry') as HTMLButtonElement;
    add.click();
    const key = root.querySelector('[aria-label="Key 1"]') as HTMLInputElement;
    type(key, 'GREETING');
    const val = root.querySelector('[aria-label="Value of GREETING"]') as HTMLInputElement;
    type(val, 'world');
    expect(value()).toEqual({ script: 'x', env: { GREETING: 'world' } });
  });

  test('browser validation puts Ajv’s errors at their fields', () => {
    const { root, value, setErrors, byLabel } = mount(shell, { env: { '1BAD': 'x' } });
    const errors = validateJobParams(
      { type: 'shell', title: 'Shell', description: '', adminOnly: true, paramsSchema: shellInfo.paramsSchema as unknown as Record<string, unknown> },
      value(),
    );
    expect(errors['/params/script']).toEqual(['Required.']);
    expect(errors['/params/env']?.length).toBeGreaterThan(0);
    setErrors(errors);
    expect(root.querySelector('[data-error-path="/params/script"]')?.textContent).toBe('Required.');
    expect(byLabel('Script')?.getAttribute('aria-invalid')).toBe('true');
    expect(root.querySelector('[data-error-path="/params/env"]')).not.toBeNull();
  });

  test('the http form asks for a file name to keep the body as, in English and Japanese, and refuses one that could leave a folder', () => {
    const { root, value, setErrors, byLabel, type } = mount(http, { url: 'https://example.com/report' });
    const field = byLabel('Keep the body as') as HTMLInputElement;
    expect(field.tagName).toBe('INPUT');
    type(field, 'report.json');
    expect(value()).toEqual({ url: 'https://example.com/report', saveBodyAs: 'report.json' });
    expect(validateJobParams(httpType, value())).toEqual({});
    for (const bad of ['../report.json', 'a/b.json', '..', ' padded.json', 'tab\there']) {
      expect(validateJobParams(httpType, { ...value(), saveBodyAs: bad })['/params/saveBodyAs'], bad).toEqual([
        'Use a plain file name: no / or \\, not . or .., no control characters, no space at either end.',
      ]);
    }
    setErrors(validateJobParams(httpType, { ...value(), saveBodyAs: 'a/b' }));
    expect(root.querySelector('[data-error-path="/params/saveBodyAs"]')?.textContent).toMatch(/^Use a plain file name/);
    dispose?.();
    setLocale('ja');
    try {
      const ja = mount(http, {});
      expect(ja.byLabel('本文を残すファイル名')).not.toBeNull();
      expect(ja.root.textContent).toContain('応答本文全体をこの名前');
      expect(validateJobParams(httpType, { url: 'https://example.com', saveBodyAs: 'a/b' })['/params/saveBodyAs']?.[0]).toMatch(/^ファイル名だけを/);
    } finally {
      setLocale('en');
    }
  });

  test('with a baseline, only the fields that differ are marked as changed', () => {
    const { root, byLabel, type } = mount(shell, { script: 'echo a', shell: '/bin/sh' }, { script: 'echo a', shell: '/bin/sh' });
    expect(root.querySelectorAll('.changed').length).toBe(0);
    type(byLabel('Script') as HTMLTextAreaElement, 'echo b');
    const changed = [...root.querySelectorAll('.field.changed')];
    expect(changed).toHaveLength(1);
    expect(changed[0]?.textContent).toContain('Script');
    expect(changed[0]?.querySelector('.changed-badge')?.textContent).toBe('changed');
  });

  test('numbers, booleans, enums and string lists get their own controls', () => {
    const schema: Schema = {
      type: 'object',
      properties: {
        count: { type: 'integer', title: 'Count', minimum: 1 },
        dryRun: { type: 'boolean', title: 'Dry run' },
        method: { type: 'string', title: 'Method', enum: ['GET', 'POST'] },
        tags: { type: 'array', title: 'Tags', items: { type: 'string' } },
      },
    };
    const { root, value, byLabel, type } = mount(schema, {});
    type(byLabel('Count') as HTMLInputElement, '3');
    const check = byLabel('Dry run') as HTMLInputElement;
    check.checked = true;
    check.dispatchEvent(new Event('change', { bubbles: true }));
    const select = byLabel('Method') as unknown as HTMLSelectElement;
    select.value = JSON.stringify('POST');
    select.dispatchEvent(new Event('change', { bubbles: true }));
    ([...root.querySelectorAll('button')].find((b) => b.textContent === 'Add item') as HTMLButtonElement).click();
    type(root.querySelector('[aria-label="Item 1"]') as HTMLInputElement, 'nightly');
    expect(value()).toEqual({ count: 3, dryRun: true, method: 'POST', tags: ['nightly'] });
  });
});
