// ansible/roles/repin/tasks/code-cache.yml on this machine, with the local
// connection and a fake installed repin: what the run makes of each answer of
// `repin code-cache` (wrote: changed; kept: ok; no code cache: ok and shown;
// a non-zero exit: failed), for the hook the role installed, whatever its name.
// The real command on real hosts is in test/ansible/run.sh, which runs this.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROLE = resolve('ansible/roles/repin');
const CACHE = '/var/cache/repin/hook-0123456789abcdef.v8';

/** What each fake `repin` prints and how it exits, by host. */
const ANSWERS: Record<string, { hook: string; out: string; rc: number }> = {
  wrote: { hook: '/etc/libvirt/hooks/qemu.d/50-repin', out: `echo 'wrote code cache ${CACHE} (251 KiB, for node /usr/bin/node)'`, rc: 0 },
  kept: { hook: '/etc/libvirt/hooks/qemu', out: `echo 'kept code cache ${CACHE}'`, rc: 0 },
  refused: { hook: '/etc/libvirt/hooks/qemu', out: "echo 'no code cache for /etc/libvirt/hooks/qemu: its node would not use it (rejected)'", rc: 0 },
  failing: { hook: '/etc/libvirt/hooks/qemu', out: "echo 'repin: no repin hook in /etc/libvirt/hooks' >&2", rc: 2 },
  renamed: { hook: '/etc/libvirt/hooks/qemu.d/60-repin', out: `echo 'wrote code cache ${CACHE} (251 KiB, for node /usr/bin/node)'`, rc: 0 },
};

interface HostResult {
  changed?: boolean;
  failed?: boolean;
  skipped?: boolean;
  msg?: unknown;
}

interface JsonRun {
  plays: { tasks: { task: { name: string }; hosts: Record<string, HostResult> }[] }[];
}

describe('ansible/roles/repin/tasks/code-cache.yml', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'repin-ansible-cache-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a change only when a cache was written, shows why there is none, fails only on a failing command', () => {
    const hosts = Object.entries(ANSWERS).map(([host, { hook, out, rc }]) => {
      const fake = join(dir, `repin-${host}`);
      writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$*" >'${dir}/argv-${host}'\n${out}\nexit ${rc}\n`, { mode: 0o755 });
      return `        ${host}: {fake_repin: '${fake}', hook: '${hook}'}`;
    });
    const inventory = join(dir, 'inventory.yml');
    writeFileSync(
      inventory,
      `all:\n  vars: {ansible_connection: local, ansible_python_interpreter: python3}\n  children:\n    hypervisors:\n      hosts:\n${hosts.join('\n')}\n`,
    );
    const playbook = join(dir, 'play.yml');
    writeFileSync(
      playbook,
      `- hosts: hypervisors\n  gather_facts: false\n  vars_files: ['${ROLE}/vars/main.yml']\n  tasks:\n` +
        `    - ansible.builtin.include_tasks: '${ROLE}/tasks/code-cache.yml'\n` +
        `      vars: {__repin_script_path: '{{ fake_repin }}', __repin_hook_path: '{{ hook }}'}\n`,
    );
    const run = spawnSync('ansible-playbook', ['-i', inventory, playbook], {
      env: { ...process.env, ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.json', ANSIBLE_LOCALHOST_WARNING: 'false', ANSIBLE_NOCOLOR: '1' },
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).to.equal(2); // the failing host
    const tasks = (JSON.parse(run.stdout) as JsonRun).plays[0]?.tasks ?? [];
    const task = (name: string): Record<string, HostResult> => tasks.find((t) => t.task.name === name)?.hosts ?? {};

    const made = task("Make the hook's code cache");
    expect(made.wrote).to.include({ changed: true });
    expect(made.wrote?.failed).to.not.equal(true);
    expect(made.kept).to.include({ changed: false });
    expect(made.kept?.failed).to.not.equal(true);
    expect(made.refused).to.include({ changed: false });
    expect(made.refused?.failed).to.not.equal(true);
    expect(made.failing).to.include({ failed: true });
    expect(made.renamed).to.include({ changed: true });
    expect(readFileSync(join(dir, 'argv-wrote'), 'utf8')).to.equal('code-cache --hook /etc/libvirt/hooks/qemu.d/50-repin --cache-dir /var/cache/repin\n');
    expect(readFileSync(join(dir, 'argv-renamed'), 'utf8')).to.equal('code-cache --hook /etc/libvirt/hooks/qemu.d/60-repin --cache-dir /var/cache/repin\n');

    const why = task('Say why the hook has no code cache');
    expect(why.refused?.msg).to.deep.equal([
      'no code cache for /etc/libvirt/hooks/qemu: its node would not use it (rejected)',
      'The hook works without it, only slower.',
    ]);
    for (const host of ['wrote', 'kept', 'renamed']) expect(why[host], host).to.include({ skipped: true });

  });
});
