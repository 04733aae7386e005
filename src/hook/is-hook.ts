// libvirt runs <hooks dir>/qemu and every file in <hooks dir>/qemu.d/.
import { basename, dirname } from 'node:path';

/** True when this script was started by libvirt as a QEMU hook. */
export function isHookInvocation(scriptPath: string): boolean {
  return basename(scriptPath) === 'qemu' || basename(dirname(scriptPath)) === 'qemu.d';
}
