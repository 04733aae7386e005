// The hook's bundle (`<build>/hook.js`), required by the hook launcher that
// libvirt runs. Every call but a filter (`migrate|restore begin`) or a
// `release` exits 0 here, having compiled nothing else and read no stdin (a
// failing `reconnect` would make libvirt kill a running guest). The rest is
// a bundle of its own: compiling it would cost every call ~2.5% (see
// docs/performance.md).
import { isFilterCall } from '../hook/is-hook.js';

const argv = process.argv.slice(2);
if (argv[1] === 'release' || isFilterCall(argv)) {
  const loaded = process.uptime() * 1000; // for REPIN_TIMING's split
  import('./hook-run.js')
    .then(({ runHook }) => runHook(loaded))
    .catch((error: unknown) => {
      // A damaged install (hook-run.js missing, cut short, not repin's): keep libvirt's XML, as onError keep would.
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`repin: internal error, domain XML kept unchanged: ${message.split('\n')[0] ?? ''}\n`);
      process.exitCode = 0;
    });
}
