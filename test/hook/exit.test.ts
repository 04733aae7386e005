// The hook's exit codes (src/hook/exit.ts): libvirt fails the operation on any non-zero exit.
import { expect } from 'chai';
import { ConfigError, UnsafePath } from '../../src/core/errors.js';
import { describeFault, filterExit, HOOK_EXIT, type FilterEnd } from '../../src/hook/exit.js';

describe('hook: exit codes', () => {
  const cases: [FilterEnd, 'keep' | 'fail', number][] = [
    ['printed', 'keep', HOOK_EXIT.proceed],
    ['printed', 'fail', HOOK_EXIT.proceed],
    ['kept', 'keep', HOOK_EXIT.proceed],
    ['kept', 'fail', HOOK_EXIT.proceed],
    ['refused', 'keep', HOOK_EXIT.fail],
    ['refused', 'fail', HOOK_EXIT.fail],
    ['fault', 'keep', HOOK_EXIT.proceed],
    ['fault', 'fail', HOOK_EXIT.fail],
    ['cut-short', 'keep', HOOK_EXIT.fail],
    ['cut-short', 'fail', HOOK_EXIT.fail],
  ];
  for (const [end, onError, code] of cases) it(`${end} with onError ${onError} → ${code}`, () => expect(filterExit(end, onError)).to.equal(code));

  const faults: [string, unknown, string][] = [
    ['a refusal of a path', new UnsafePath('/var/log/libvirt/repin is a symlink; refused'), '/var/log/libvirt/repin is a symlink; refused'],
    ['a config error', new ConfigError('bad key'), 'bad key'],
    ['a bug', new TypeError('x is undefined'), 'internal error: x is undefined'],
    ['a thrown string', 'odd', 'odd'],
  ];
  for (const [what, error, said] of faults) it(`describes ${what} as '${said}'`, () => expect(describeFault(error)).to.equal(said));
});
