// An in-process Io for calling main() the way the process would.
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/entry.js';
import type { Io } from '../../src/io/process-io.js';

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(argv: string[], options: { stdin?: string; env?: Record<string, string>; scriptPath?: string } = {}): Promise<Result> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const io: Io = {
    argv,
    scriptPath: options.scriptPath ?? '/usr/local/bin/repin',
    stdin: Readable.from([Buffer.from(options.stdin ?? '')]),
    stdout,
    stderr,
    env: { REPIN_CONFIG: '/nonexistent/repin.json', ...options.env },
    fsRoot: '/',
  };
  const code = await main(io);
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}
