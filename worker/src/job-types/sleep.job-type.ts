import type { ParamsOf, sleepInfo } from '@jobflow/shared';
import { NonRetryableError, type JobHandler } from './job-handler';

/** Waits `seconds`, logging a line and progress each second; stops at once on abort. */
export const sleepHandler: JobHandler<ParamsOf<typeof sleepInfo>> = async (ctx) => {
  const totalMs = ctx.params.seconds * 1000;
  const started = Date.now();
  ctx.log(`sleeping ${ctx.params.seconds} s`, 'stdout');
  while (Date.now() - started < totalMs) {
    const wait = Math.min(1000, totalMs - (Date.now() - started));
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(ctx.signal.reason);
      };
      const timer = setTimeout(() => {
        ctx.signal.removeEventListener('abort', onAbort);
        resolve();
      }, wait);
      if (ctx.signal.aborted) onAbort();
      else ctx.signal.addEventListener('abort', onAbort, { once: true });
    });
    const elapsedMs = Date.now() - started;
    ctx.progress(Math.min(1, elapsedMs / totalMs));
    ctx.log(`${Math.round(elapsedMs / 1000)} of ${ctx.params.seconds} s`);
  }
  if (ctx.params.fail) throw new NonRetryableError('asked to fail');
  return { sleptMs: Date.now() - started };
};
