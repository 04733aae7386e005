// The journal: one JSON line per filter call in <dir>/journal.jsonl, and the
// incoming XML kept as a capture for replay in <dir>/captures/. The XML holds
// secrets (graphics passwords), so everything is 0600 in 0700 directories,
// whatever the umask. Domain names never become path components. A journal
// failure is reported to the caller, never allowed to fail a migration.
import { closeSync, constants, fchmodSync, fstatSync, lstatSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Change, Outcome } from '../../core/plan/plan.js';
import { ensurePrivateDir } from '../fs/private-dir.js';
import { openRegularFile, writeAll, writeNewFile } from '../fs/regular-file.js';

export type JournalOutcome = Outcome | 'error' | 'shadow' | 'expired' | 'skipped';

export interface JournalEntry {
  readonly time: string;
  readonly op: string;
  readonly domain: string;
  readonly uuid: string;
  readonly policy: string;
  readonly outcome: JournalOutcome;
  readonly changes: readonly Change[];
  readonly durationMs: number;
  /** Whether the hook's code came from V8's code cache ('used'), V8 refused it ('rejected') or there was none ('none'). */
  readonly codeCache?: string;
  readonly capture?: string;
  /** Why the capture could not be kept (a full disk): the line is written all the same. */
  readonly captureError?: string;
  readonly refusal?: string;
  readonly skipped?: string;
  readonly error?: string;
  readonly notes?: readonly string[];
}

const JOURNAL_FILE = 'journal.jsonl';
const CAPTURES = 'captures';
const ROTATE_BYTES = 4 * 1024 * 1024;

/** Append one whole line to the journal, a regular file of ours (never a FIFO, a link or another user's file). */
function appendLine(path: string, line: string): void {
  const fd = openRegularFile(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, { mode: 0o600, owner: process.getuid?.() });
  try {
    fchmodSync(fd, 0o600);
    writeAll(fd, line, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

/** 64-bit FNV-1a of the name, in hex: a file-name tag, not a security boundary (and no node:crypto to load). */
function fnv1a(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  return hash.toString(16).padStart(16, '0');
}

/** A capture file name that says when (`time` as toISOString writes it) and what, built only from safe characters. */
export function captureName(time: string, uuid: string, name: string, pid: number): string {
  const stamp = time.replace(/[-:]/g, '').replace('.', '');
  const id = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)
    ? uuid.toLowerCase()
    : `name-${fnv1a(name)}`;
  return `${stamp}-${pid}-${id}.xml`;
}

/** What captureName makes, and the only names prune may remove. */
const CAPTURE_NAME = /^\d{8}T\d{9}Z-\d+-(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|name-[0-9a-f]{16})\.xml$/;

/** Keep the newest `keep` captures (names sort by time); files repin did not name are left alone. */
function prune(dir: string, keep: number): void {
  const names = readdirSync(dir).filter((n) => CAPTURE_NAME.test(n)).sort();
  for (const old of names.slice(0, Math.max(0, names.length - keep))) {
    try {
      unlinkSync(join(dir, old));
    } catch {
      // another hook pruned it first
    }
  }
}

export interface JournalTarget {
  readonly dir: string;
  readonly keep: number;
}

/** Write the capture (when given) and append the entry; returns the entry as written. */
export function record(target: JournalTarget, entry: JournalEntry, xml?: string, pid = process.pid): JournalEntry {
  ensurePrivateDir(target.dir);
  let written = entry;
  if (xml !== undefined && target.keep > 0) {
    // A capture that cannot be kept (full disk, a name taken) still leaves the decision's line.
    try {
      const captures = join(target.dir, CAPTURES);
      ensurePrivateDir(captures);
      const name = captureName(entry.time, entry.uuid, entry.domain, pid);
      writeNewFile(join(captures, name), xml);
      written = { ...entry, capture: `${CAPTURES}/${name}` };
      prune(captures, target.keep);
    } catch (error) {
      written = { ...entry, captureError: (error as Error).message };
    }
  }
  const file = join(target.dir, JOURNAL_FILE);
  try {
    if (lstatSync(file).size > ROTATE_BYTES) renameSync(file, `${file}.1`);
  } catch {
    // no journal yet
  }
  // JSON.stringify escapes newlines and control characters: a hostile domain name cannot forge a line.
  appendLine(file, `${JSON.stringify(written)}\n`);
  return written;
}

export function journalFile(dir: string): string {
  return join(dir, JOURNAL_FILE);
}
