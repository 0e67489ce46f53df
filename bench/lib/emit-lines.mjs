// Writes numbered 80-character log lines to stdout for a Jobflow shell run:
//   node emit-lines.mjs <count> <ratePerSec, 0 = as fast as possible> <go-file>
// It waits until <go-file> exists, so the bench can subscribe first and start
// its clock when it creates the file. Paced lines carry their wall-clock time.
import { existsSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const [count, rate, goFile] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const PAD = 'x'.repeat(80);
const wallMs = () => performance.timeOrigin + performance.now();
const plain = (i) => `${String(i).padStart(8, '0')} ${PAD}`.slice(0, 80);
const timed = (i, at) => `${String(i).padStart(8, '0')} ${at.toFixed(3)} ${PAD}`.slice(0, 80);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

while (goFile && !existsSync(goFile)) await sleep(2);

if (!rate) {
  for (let i = 1; i <= count; i += 1000) {
    const end = Math.min(count, i + 999);
    let chunk = '';
    for (let j = i; j <= end; j++) chunk += plain(j) + '\n';
    writeSync(1, chunk);
  }
} else {
  const start = wallMs();
  let sent = 0;
  while (sent < count) {
    const due = Math.min(count, Math.floor(((wallMs() - start) * rate) / 1000) + 1);
    let chunk = '';
    while (sent < due) chunk += timed(++sent, wallMs()) + '\n';
    if (chunk) writeSync(1, chunk);
    await sleep(1);
  }
}
