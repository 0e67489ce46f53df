import { render } from 'solid-js/web';
import { afterEach, describe, expect, test } from 'vitest';
import { makeLines } from '../test-fixtures';
import { createLogModel } from './log-model';
import { LogViewer } from './log-viewer';

let dispose: (() => void) | undefined;
afterEach(() => {
  dispose?.();
  document.body.innerHTML = '';
});

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve(undefined)));

describe('log viewer', () => {
  test('keeps only the rows in view in the DOM, with seq line numbers and stream marks, at 200,000 lines', async () => {
    const model = createLogModel();
    const root = document.createElement('div');
    document.body.append(root);
    dispose = render(() => <LogViewer runId="r1" model={model} isLive />, root);
    const lines = makeLines(1, 200_000);
    (lines[1] as { stream: string }).stream = 'stderr';
    model.append(lines);
    await nextFrame();
    const rows = root.querySelectorAll('.log-row');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(150);
    const spacer = root.querySelector('.log-spacer') as HTMLElement;
    expect(spacer.style.height).toBe(`${200_000 * 20}px`);
    expect(root.querySelector('#log-title')?.textContent).toContain('200,000');
  });

  test('stderr and system lines are told apart by a mark, not only colour', async () => {
    const model = createLogModel();
    const root = document.createElement('div');
    document.body.append(root);
    dispose = render(() => <LogViewer runId="r1" model={model} isLive={false} />, root);
    model.append([...makeLines(1, 1), ...makeLines(2, 2, 'stderr'), ...makeLines(3, 3, 'system')]);
    await nextFrame();
    // With no layout (happy-dom), the viewer starts at the top.
    const rows = [...root.querySelectorAll('.log-row')];
    expect(rows.map((r) => r.getAttribute('data-seq'))).toEqual(['1', '2', '3']);
    expect(rows.map((r) => r.querySelector('.log-stream')?.textContent)).toEqual(['', 'ERR', 'SYS']);
    expect(rows[1]?.classList.contains('log-stderr')).toBe(true);
  });

  test('find counts matches and marks the current line', async () => {
    const model = createLogModel();
    const root = document.createElement('div');
    document.body.append(root);
    dispose = render(() => <LogViewer runId="r1" model={model} isLive={false} />, root);
    model.append(makeLines(1, 50));
    const input = root.querySelector('#log-find') as HTMLInputElement;
    input.value = 'line 4';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    (root.querySelector('form.log-find') as HTMLFormElement).dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await nextFrame();
    expect(root.querySelector('.find-status')?.textContent).toBe('1 of 11');
    expect(root.querySelector('.log-current')?.getAttribute('data-seq')).toBe('4');
    expect(root.querySelector('.log-current mark')?.textContent).toBe('line 4');
  });
});
