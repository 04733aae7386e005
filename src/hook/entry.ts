// libvirt's QEMU hook: `qemu <domain> <op> <subop> <extra>`, XML on stdin.
// Only `migrate begin` and `restore begin` are filters whose output libvirt
// uses; every other op returns 0 at once without reading stdin or loading
// anything (a failing `reconnect` hook makes libvirt kill the running guest).
import type { Io } from '../io/process-io.js';

export const FILTER_OPS: ReadonlySet<string> = new Set(['migrate', 'restore']);

export async function hookMain(io: Io): Promise<number> {
  const [, op, subop] = io.argv;
  if (op === undefined || !FILTER_OPS.has(op) || subop !== 'begin') return 0;
  try {
    const { runFilter } = await import('./filter.js');
    return await runFilter(io, op);
  } catch (error) {
    // Last resort: a fault outside the filter's own handling. Keep libvirt's XML.
    io.stderr.write(`repin: internal error, domain XML kept unchanged: ${error instanceof Error ? error.message : String(error)}\n`);
    return 0;
  }
}
