// libvirt runs <hooks dir>/qemu and every file in <hooks dir>/qemu.d/.
// Kept tiny and free of imports beyond node:path: src/bundle/hook.ts asks the
// second question before anything else of repin is compiled.
import { basename, dirname } from 'node:path';

/** Ops whose `begin` is a filter: libvirt uses the hook's stdout as the domain XML. */
export const FILTER_OPS: ReadonlySet<string> = new Set(['migrate', 'restore']);

/** True when this script was started by libvirt as a QEMU hook. */
export function isHookInvocation(scriptPath: string): boolean {
  return basename(scriptPath) === 'qemu' || basename(dirname(scriptPath)) === 'qemu.d';
}

/** True for `<domain> migrate|restore begin …`; every other hook call passes through untouched. */
export function isFilterCall(argv: readonly string[]): boolean {
  const [, op, subop] = argv;
  return op !== undefined && FILTER_OPS.has(op) && subop === 'begin';
}
