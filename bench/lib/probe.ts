import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** What one process cost over a measured window. */
export interface ProcessStats {
  /** User + system CPU time in the window. */
  cpuMs: number;
  /** CPU time as a share of one core over the window's wall time. */
  cpuPct: number;
  eventLoopDelayP50Ms: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** RSS at the end of the window, and the highest RSS sampled in it. */
  rssMb: number;
  rssMaxMb: number;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;

/** Wall-clock time in milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export const wallMs = () => performance.timeOrigin + performance.now();

/**
 * Measures this process between `mark()` and `read()`: CPU, event-loop delay
 * (perf_hooks histogram at 10 ms resolution) and RSS sampled every 100 ms.
 */
export function createProbe() {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  let rssMax = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    rssMax = Math.max(rssMax, process.memoryUsage.rss());
  }, 100);
  sampler.unref();
  return {
    mark() {
      delay.reset();
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      rssMax = process.memoryUsage.rss();
    },
    read(): ProcessStats {
      const cpu = process.cpuUsage(cpu0);
      const wall = performance.now() - t0;
      const rss = process.memoryUsage.rss();
      rssMax = Math.max(rssMax, rss);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      const hasSamples = delay.count > 0;
      return {
        cpuMs: Math.round(cpuMs),
        cpuPct: wall > 0 ? Math.round((cpuMs / wall) * 1000) / 10 : 0,
        eventLoopDelayP50Ms: hasSamples ? ms(delay.percentile(50)) : 0,
        eventLoopDelayP99Ms: hasSamples ? ms(delay.percentile(99)) : 0,
        eventLoopDelayMaxMs: hasSamples ? ms(delay.max) : 0,
        rssMb: mb(rss),
        rssMaxMb: mb(rssMax),
      };
    },
    stop() {
      clearInterval(sampler);
      delay.disable();
    },
  };
}
