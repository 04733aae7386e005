// `main(io)`: the one testable entry. Hook or CLI by invocation name; each
// path loads only what it needs (the hook's pass-through ops load nothing).
import { isHookInvocation } from './hook/is-hook.js';
import type { Io } from './io/process-io.js';

export async function main(io: Io): Promise<number> {
  if (isHookInvocation(io.scriptPath)) {
    const { hookMain } = await import('./hook/hook-main.js');
    return hookMain(io);
  }
  const { cliMain } = await import('./cli/main.js');
  return cliMain(io);
}
