// libvirt's QEMU hook: `qemu <domain> <op> <subop> <extra>`, XML on stdin.
// Only `migrate begin` and `restore begin` are filters whose output libvirt
// uses; every other op returns 0 at once without reading stdin or loading
// anything (a failing `reconnect` hook makes libvirt kill the running guest).
import type { Io } from '../io/process-io.js';
import { HOOK_EXIT } from './exit.js';
import { isFilterCall } from './is-hook.js';

/** When the hook's bundle had loaded (process.uptime() in ms). */
export interface StartMarks {
  /** Whether hook-run.js was compiled from V8's code cache (src/bundle/load-hook-run.ts). */
  readonly codeCache?: string;
  readonly loaded: number;
}

export async function hookMain(io: Io, marks?: StartMarks): Promise<number> {
  const op = io.argv[1];
  if (op === 'release') {
    try {
      (await import('./release-call.js')).hookRelease(io);
    } catch {
      // a release hook never fails
    }
    return HOOK_EXIT.proceed;
  }
  if (op === undefined || !isFilterCall(io.argv)) return HOOK_EXIT.proceed;
  try {
    const { runFilter } = await import('./filter-call.js');
    return await runFilter(io, op, marks);
  } catch (error) {
    // Last resort: a fault outside the filter's own handling. Keep libvirt's XML.
    io.stderr.write(`repin: internal error, domain XML kept unchanged: ${error instanceof Error ? error.message : String(error)}\n`);
    return HOOK_EXIT.proceed;
  }
}
