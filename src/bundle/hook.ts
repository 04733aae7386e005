// The hook's bundle (`<build>/hook.js`), required by the hook launcher that
// libvirt runs. Every call but a filter (`migrate|restore begin`) or a
// `release` exits 0 here, having compiled nothing else and read no stdin (a
// failing `reconnect` would make libvirt kill a running guest). The rest is
// hook-run.js, loaded with V8's code cache when install made one: compiling
// it on every hook call would cost each ~2.5%, and on each filter call far
// more (docs/performance.md).
import { isFilterCall } from '../hook/is-hook.js';

const argv = process.argv.slice(2);
if (argv[1] === 'release' || isFilterCall(argv)) {
  const loaded = process.uptime() * 1000; // for REPIN_TIMING's split
  // Imported here, not at the top: node:vm and the loader are no business of a pass-through call.
  import('./load-hook-run.js')
    .then(({ loadHookRun }) => {
      const { runHook, codeCache } = loadHookRun(__dirname, require);
      runHook(loaded, codeCache);
    })
    .catch((error: unknown) => {
      // A damaged install (hook-run.js missing, cut short, not repin's): keep libvirt's XML, as onError keep would.
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`repin: internal error, domain XML kept unchanged: ${message.split('\n')[0] ?? ''}\n`);
      process.exitCode = 0;
    });
}
