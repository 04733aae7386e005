// The only place repin talks to libvirt: `virsh` run with execa, no shell,
// arguments as an array, one timeout per call. Used by `repin reconcile`,
// never by the hook (libvirt forbids hooks from calling back into libvirt).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { printable } from '../core/cpuset.js';
import { VirshError } from '../core/errors.js';
import { MAX_XML_BYTES } from '../core/xml/limits.js';

export const DEFAULT_CONNECT = 'qemu:///system';

export interface VirshOptions {
  /** libvirt URI for `--connect`. */
  readonly connect: string;
  /** Milliseconds per virsh call. */
  readonly timeoutMs: number;
  /** Environment for virsh (PATH decides which virsh runs). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface Virsh {
  /** UUIDs (lower case) of every persistent domain, running or not. */
  listPersistent(): Promise<string[]>;
  /** UUIDs (lower case) of every domain, persistent or transient. */
  listAll(): Promise<string[]>;
  /** The saved definition, secrets included so a redefinition loses nothing. */
  dumpInactiveXml(uuid: string): Promise<string>;
  /** The definition the guest runs with (the saved one when it is shut off); no secrets, only its pins are read. */
  dumpLiveXml(uuid: string): Promise<string>;
  /** Replace the saved definition (a running guest keeps its live one). */
  defineXml(xml: string): Promise<void>;
  /** `virsh domstate --reason`, e.g. `running (migrated)`; undefined when the domain is not here. */
  domState(uuid: string): Promise<string | undefined>;
  /** A domain's metadata element in namespace `uri`, or undefined when it has none. */
  getMetadata(domain: string, uri: string): Promise<string | undefined>;
  /** Set (or, with undefined, remove) it in the live and the saved definition, whichever exist. */
  setMetadata(domain: string, uri: string, key: string, xml: string | undefined): Promise<void>;
}

function oneLine(text: string): string {
  return printable(text.trim().replace(/\s+/g, ' '), 300);
}

export function virsh(options: VirshOptions): Virsh {
  const run = async (args: readonly string[]): Promise<string> => {
    const argv = ['--connect', options.connect, '--quiet', ...args];
    const shown = `virsh ${args.join(' ')}`;
    const result = await execa('virsh', argv, {
      env: { ...options.env, LC_ALL: 'C' },
      extendEnv: false,
      timeout: options.timeoutMs,
      reject: false,
      stdin: 'ignore',
      maxBuffer: MAX_XML_BYTES + 65536,
      stripFinalNewline: false,
    });
    if (result.timedOut) throw new VirshError(`${shown}: no answer within ${options.timeoutMs} ms (is libvirtd/virtqemud running? --connect ${options.connect})`);
    if (result.failed) {
      const message = (result as { shortMessage?: string }).shortMessage ?? '';
      const detail = oneLine(result.stderr || result.stdout || message);
      const why = result.exitCode === undefined ? (message.includes('ENOENT') ? 'virsh not found on PATH' : detail) : `exit ${result.exitCode}: ${detail}`;
      throw new VirshError(`${shown} failed (${why})`);
    }
    return result.stdout;
  };

  const uuids = async (args: readonly string[]): Promise<string[]> =>
    (await run(args))
      .split('\n')
      .map((line) => line.trim().toLowerCase())
      .filter(Boolean);

  return {
    listPersistent: () => uuids(['list', '--all', '--persistent', '--uuid']),
    listAll: () => uuids(['list', '--all', '--uuid']),
    dumpInactiveXml: (uuid) => run(['dumpxml', '--inactive', '--security-info', uuid]),
    dumpLiveXml: (uuid) => run(['dumpxml', uuid]),
    async domState(uuid) {
      try {
        return (await run(['domstate', '--reason', uuid])).trim();
      } catch (error) {
        if (error instanceof VirshError && /failed to get domain|not found/i.test(error.message)) return undefined;
        throw error;
      }
    },
    async getMetadata(domain, uri) {
      try {
        return await run(['metadata', domain, '--uri', uri]);
      } catch (error) {
        if (error instanceof VirshError && /metadata not found|no metadata/i.test(error.message)) return undefined;
        throw error;
      }
    },
    async setMetadata(domain, uri, key, xml) {
      const change = xml === undefined ? ['--remove'] : ['--key', key, '--set', xml];
      // A running persistent guest has both definitions; a shut-off one only the saved, a transient one only the live.
      let last: unknown;
      for (const scope of [['--live', '--config'], ['--config'], ['--live']]) {
        try {
          await run(['metadata', domain, '--uri', uri, ...change, ...scope]);
          return;
        } catch (error) {
          last = error;
        }
      }
      throw last;
    },
    async defineXml(xml) {
      // The XML carries secrets: a private directory, a 0600 file, removed whatever happens.
      const dir = mkdtempSync(join(tmpdir(), 'repin-define-'));
      try {
        const file = join(dir, 'domain.xml');
        writeFileSync(file, xml, { mode: 0o600 });
        await run(['define', file]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
