// io/host/view.ts: the one assembly of "this host as the planner sees it",
// the same for the hook, the CLI and reconcile.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hookHostSource, hostView, type HostViewSource } from '../../../src/io/host/view.js';
import { addRunningDomain } from '../../support/fake-running.js';
import { fakeHostDirs } from '../../support/fake-sysfs.js';

const SELF = { name: 'incoming', uuid: '99999999-0000-4000-8000-000000000000' };
const PROFILE = 'examples/hosts/small.json';

describe('host view: one assembly of the host a plan sees', () => {
  const { make, removeAll } = fakeHostDirs();
  after(removeAll);
  let root: string;
  let withHeld: string;
  before(() => {
    root = make({ sockets: 1, coresPerSocket: 8, threadsPerCore: 1, nodes: 1 });
    addRunningDomain(root, { name: 'db', uuid: '11111111-0000-4000-8000-000000000000', pid: 4000, vcpus: ['2', '3'], emulator: '0-1' });
    // A profile saved with occupancy (`repin host --json` on a busy host): a frozen what-if.
    withHeld = join(root, 'held.json');
    const profile = JSON.parse(readFileSync(PROFILE, 'utf8')) as Record<string, unknown>;
    writeFileSync(withHeld, JSON.stringify({ ...profile, occupancy: { exclusive: '5', floating: '', holders: { saved: '5' } } }));
  });

  // [who uses it, source, other guests read here?, exclusive CPUs a plan sees]
  const cases: [string, () => HostViewSource, boolean, string][] = [
    ['CLI, this machine (a sysfs tree)', () => ({ root }), true, '2-3'],
    ['CLI --host: another host', () => ({ profile: PROFILE, root }), false, ''],
    ['CLI --host-cpus: a what-if', () => ({ cpus: '0-7', root }), false, ''],
    ['hook, REPIN_HOST_ROOT', () => hookHostSource({ REPIN_HOST_ROOT: root }), true, '2-3'],
    ['hook, REPIN_HOST profile standing for this machine', () => hookHostSource({ REPIN_HOST: PROFILE, REPIN_HOST_ROOT: root }), true, '2-3'],
    ['hook, a profile that carries occupancy: kept as saved', () => hookHostSource({ REPIN_HOST: withHeld, REPIN_HOST_ROOT: root }), true, '5'],
    ['CLI, a profile that carries occupancy', () => ({ profile: withHeld, root }), false, '5'],
  ];
  for (const [who, source, others, exclusive] of cases) {
    it(`${who}: ${others ? 'adds other guests' : 'no other guests read'}, exclusive ${exclusive || 'none'}`, () => {
      const view = hostView(source(), '/nonexistent', { REPIN_RUN_DIR: join(root, 'run-repin') });
      expect(view.withOthers !== undefined, 'withOthers').to.equal(others);
      const host = view.read();
      const seen = view.withOthers ? view.withOthers(SELF, host) : host;
      expect(seen.occupancy?.exclusive.toString() ?? '').to.equal(exclusive);
    });
  }

  it('the guest being planned is not its own neighbour', () => {
    const view = hostView({ root }, '/nonexistent', { REPIN_RUN_DIR: join(root, 'run-repin') });
    const db = { name: 'db', uuid: '11111111-0000-4000-8000-000000000000' };
    expect(view.withOthers?.(db, view.read()).occupancy?.exclusive.toString()).to.equal('');
  });
});
