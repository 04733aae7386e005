// A reconcile test bed: a temp dir with a fake `virsh` first on PATH, its
// state (domains, recorded calls, defines), a config, spool and journal; and
// `repin` run in-process through main(io).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { runCli, type Result } from '../support/fake-io.js';

export const SMALL = resolve('examples/hosts/small.json');
export const LARGE = resolve('examples/hosts/large.json');
const FAKE = resolve('test/reconcile/fake-virsh.mjs');

export type { Result };

const lines = <T>(path: string): T[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as T)
    : [];

export class Bed {
  readonly dir = mkdtempSync(join(tmpdir(), 'repin-reconcile-'));
  readonly state = join(this.dir, 'virsh');
  readonly spool = join(this.dir, 'spool', 'pending');
  readonly journal = join(this.dir, 'journal');
  readonly config = join(this.dir, 'repin.json');
  readonly bin = join(this.dir, 'bin');
  /** This host's /run/libvirt/qemu and /proc, where other running guests are found (test/support/fake-running.ts). */
  readonly root = join(this.dir, 'root');

  constructor(config: object = {}) {
    mkdirSync(join(this.state, 'domains'), { recursive: true });
    mkdirSync(this.bin);
    writeFileSync(join(this.bin, 'virsh'), `#!/bin/sh\nexec '${process.execPath}' '${FAKE}' "$@"\n`);
    chmodSync(join(this.bin, 'virsh'), 0o755);
    this.writeConfig(config);
  }

  writeConfig(config: object): void {
    writeFileSync(this.config, JSON.stringify({ journal: { dir: this.journal }, spoolDir: this.spool, ...config }));
  }

  /** A domain libvirt knows, with per-domain fake behaviour (see fake-virsh.mjs). */
  domain(uuid: string, xml: string, options: { appearAfter?: number; transient?: boolean; mutate?: boolean; live?: string } = {}): void {
    const base = join(this.state, 'domains', uuid);
    writeFileSync(`${base}.xml`, xml);
    if (options.live !== undefined) writeFileSync(`${base}.live.xml`, options.live);
    if (options.appearAfter !== undefined) writeFileSync(`${base}.appear-after`, String(options.appearAfter));
    if (options.transient) writeFileSync(`${base}.transient`, '');
    if (options.mutate) writeFileSync(`${base}.mutate`, '');
  }

  savedXml(uuid: string): string {
    return readFileSync(join(this.state, 'domains', `${uuid}.xml`), 'utf8');
  }

  calls(): string[][] {
    return lines<string[]>(join(this.state, 'calls.jsonl'));
  }

  defined(): { uuid: string; xml: string }[] {
    return lines(join(this.state, 'defined.jsonl'));
  }

  entries(): Record<string, unknown>[] {
    return lines(join(this.journal, 'journal.jsonl'));
  }

  env(): Record<string, string> {
    return {
      PATH: `${this.bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      REPIN_CONFIG: this.config,
      REPIN_HOST: SMALL,
      REPIN_HOST_ROOT: this.root,
      REPIN_RUN_DIR: join(this.dir, 'run'),
      FAKE_VIRSH_STATE: this.state,
    };
  }

  /** repin in process, as an operator runs it, against this bed's fake virsh and config. */
  repin(...argv: string[]): Promise<Result> {
    return runCli(argv, { env: this.env() });
  }

  /** The built bundle as a child process (npm test builds it first), as the systemd service runs it. */
  repinChild(...argv: string[]): Promise<Result> {
    const child = spawn(process.execPath, [resolve('dist/repin'), ...argv], { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    return new Promise((done, fail) => {
      child.on('error', fail);
      child.on('close', (code) => done({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    });
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
