// The bundle's start. Most libvirt hook calls (prepare, start, started,
// stopped, release, reconnect…) are not filters: they exit 0 here, having
// compiled nothing else and read no stdin. A filter call loads the hook and
// nothing of the CLI; anything else loads the CLI. In the bundle each import
// is a payload kept out of the parser's way until then (scripts/build.mjs).
import { EXIT } from './cli/exit.js';
import { isFilterCall, isHookInvocation } from './hook/is-hook.js';
import { processIo } from './io/process-io.js';

const stubAt = process.uptime() * 1000; // for REPIN_TIMING's split
const hook = isHookInvocation(process.argv[1] ?? '');
// The hook writes stdout and stderr with write(2): making them streams costs a filter call ~6 ms.
const io = processIo(hook);
if (hook && io.argv[1] === 'release') {
  // Ends this guest's CPU reservation (the hook payload's release path: once per guest stop,
  // so its code rides in that payload rather than adding to the file every call reads); exit 0
  // whatever happens.
  import('./hook/entry.js').then(({ hookMain }) => hookMain(io)).then(
    () => (process.exitCode = 0),
    () => (process.exitCode = 0),
  );
} else if (hook && !isFilterCall(io.argv)) {
  process.exitCode = 0;
} else {
  // A reader that goes away (EPIPE) is its business, not a crash with a stack trace.
  // (The CLI's streams only: the hook's sinks handle EPIPE themselves.)
  if (!hook) {
    for (const stream of [process.stdout, process.stderr]) {
      stream.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error;
      });
    }
  }
  (hook ? import('./hook/entry.js').then(({ hookMain }) => hookMain(io, { stub: stubAt, loaded: process.uptime() * 1000 })) : import('./entry.js').then(({ main }) => main(io))).then(
    (code) => {
      // Everything the hook writes is written synchronously by now: leave without tearing the
      // heap down (~6 ms after a 512-vCPU rewrite). The CLI's streams may still be flushing.
      if (hook) process.exit(code);
      process.exitCode = code;
    },
    (error: unknown) => {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      if (hook) {
        // The hook's code itself could not load (a damaged install): keep libvirt's XML, as onError keep would.
        io.stderr.write(`repin: internal error, domain XML kept unchanged: ${text.split('\n')[0] ?? ''}\n`);
        process.exitCode = 0;
        return;
      }
      // A damaged install or the hook copy run as the CLI (the loader's REPIN_PAYLOAD): its message says it all.
      const damaged = (error as { code?: unknown } | undefined)?.code === 'REPIN_PAYLOAD';
      io.stderr.write(damaged ? `repin: ${(error as Error).message}\n` : `repin: internal error: ${text}\n`);
      process.exitCode = EXIT.internal;
    },
  );
}
