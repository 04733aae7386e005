// The filter warm: the hook's filter (from source, through tsx) called again and again in
// the bench's own process, so what remains is its work with no code left to compile. The
// gap between this and a case's overhead is what cold code costs a fresh hook process.
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { tsImport } from 'tsx/esm/api';
import { median } from './median.mjs';

const { runFilter } = await tsImport('../src/hook/filter-call.ts', import.meta.url);

/** Per case id: median, min and max ms of `calls` filter calls after `warmup` unmeasured ones. */
export async function measureWarm(cases, { work, scriptPath, env, warmup, calls }) {
  const out = {};
  const discard = { write: () => true };
  for (const c of cases) {
    const input = join(work, `${c.id}.warm.xml`);
    writeFileSync(input, c.input);
    const times = [];
    for (let i = 0; i < warmup + calls; i++) {
      const fd = openSync(input, 'r');
      try {
        const io = { argv: [...c.args, '-'], scriptPath, stdin: Readable.from([]), stdinFd: fd, stdout: discard, stderr: discard, env: { ...env, ...c.env }, fsRoot: '/' };
        const started = process.hrtime.bigint();
        await runFilter(io, c.args[1]);
        if (i >= warmup) times.push(Number(process.hrtime.bigint() - started) / 1e6);
      } finally {
        closeSync(fd);
      }
    }
    out[c.id] = { medianMs: +median(times).toFixed(2), minMs: +Math.min(...times).toFixed(2), maxMs: +Math.max(...times).toFixed(2), calls };
  }
  return out;
}
