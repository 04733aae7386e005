// The hook's exit codes, decided here and nowhere else. libvirt tells only
// zero from non-zero (virHookCall, src/util/virhook.c): non-zero fails the
// operation and shows the hook's stderr in virsh's error. So the hook fails a
// call only where going on would be worse; src/bundle/hook.ts keeps libvirt's
// XML (exit 0) when the hook's code itself cannot load.
import type { OnError } from '../core/config.js';
import { RepinError } from '../core/errors.js';
import { isOutputCutShort } from '../io/process-io.js';

export const HOOK_EXIT = {
  /** libvirt goes on: with the printed XML, or its own when nothing was printed. */
  proceed: 0,
  /** libvirt fails the migration or restore; the guest keeps running on the source. */
  fail: 1,
} as const;

/** How a filter call ended. */
export type FilterEnd = 'printed' | 'kept' | 'refused' | 'fault' | 'cut-short';

/**
 * The exit code of a filter call: a refusal fails it (the policy says the
 * guest must not run here as it is); a fault fails it only with onError
 * `fail`; output cut short fails it, since libvirt would parse the half
 * document it got. Every other op, release included, always proceeds: a
 * failing `reconnect` hook makes libvirt kill the running guest.
 */
export function filterExit(end: FilterEnd, onError: OnError): number {
  if (end === 'refused' || end === 'cut-short') return HOOK_EXIT.fail;
  if (end === 'fault') return onError === 'fail' ? HOOK_EXIT.fail : HOOK_EXIT.proceed;
  return HOOK_EXIT.proceed;
}

/** What the hook says about an error, before it is cut to one line: repin's own errors as they are, anything else marked internal. */
export function describeFault(error: unknown): string {
  if (error instanceof RepinError || isOutputCutShort(error)) return error.message;
  if (error instanceof Error) return `internal error: ${error.message}`;
  return String(error);
}
