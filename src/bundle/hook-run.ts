// The hook's filter and release calls (`<build>/hook-run.js`), loaded by
// hook.js only for them.
import { hookMain } from '../hook/hook-main.js';
import { processIo } from '../io/process-io.js';
import type { CodeCacheUse } from './load-hook-run.js';

/** Run this filter or release call; `loaded`: when the process had loaded hook.js (ms since start). */
export function runHook(loaded: number, codeCache: CodeCacheUse): void {
  // write(2) on the descriptors: making stdout and stderr streams costs a filter call ~6 ms.
  const io = processIo(true);
  hookMain(io, { loaded, codeCache }).then(
    // All output is written synchronously by now: leave without tearing the heap down.
    (code) => process.exit(code),
    (error: unknown) => {
      // The hook's own code failed outside its handlers: keep libvirt's XML.
      io.stderr.write(`repin: internal error, domain XML kept unchanged: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(0);
    },
  );
}
