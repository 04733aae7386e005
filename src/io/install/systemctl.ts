// systemctl for install and uninstall: the reconcile path unit enabled and
// started, or stopped and disabled, only when it is not so already.
import { execa } from 'execa';
import { SystemctlError } from '../../core/errors.js';
import { PATH_UNIT } from '../../core/reconcile/units.js';

type Env = Readonly<Record<string, string | undefined>>;

async function run(args: readonly string[], env: Env): Promise<{ ok: boolean; out: string }> {
  const result = await execa('systemctl', args, { env, extendEnv: false, reject: false, timeout: 60_000, stdin: 'ignore' });
  const out = (result.stdout || result.stderr || (result as { shortMessage?: string }).shortMessage || '').trim().replace(/\s+/g, ' ');
  return { ok: !result.failed, out };
}

export async function systemctl(args: readonly string[], env: Env): Promise<string> {
  const { ok, out } = await run(args, env);
  if (!ok) throw new SystemctlError(`systemctl ${args.join(' ')} failed: ${out}`);
  return `ran systemctl ${args.join(' ')}`;
}

/** Whether the path unit is enabled and active now. */
export async function pathUnitRunning(env: Env): Promise<boolean> {
  const [enabled, active] = await Promise.all([run(['is-enabled', PATH_UNIT], env), run(['is-active', PATH_UNIT], env)]);
  return enabled.out === 'enabled' && active.out === 'active';
}

export const ENABLE_ARGS = ['enable', '--now', PATH_UNIT] as const;
export const DISABLE_ARGS = ['disable', '--now', PATH_UNIT] as const;
