// Shared by the reliability tests: run the built hook as libvirt does (in
// parallel where a test runs several), and check the hook's contract on what
// comes back. The contract (docs/libvirt-hooks.md, issue 3): exit 0 with no
// output or one complete document, or exit 1 with exactly one stderr line;
// never a stack trace, never partial XML.
import { DOMParser, XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hookCopy } from '../support/run-built.js';
import { canonicalXml } from '../support/xml-compare.js';

export const SMALL_HOST = resolve('examples/hosts/small.json');
export const FIXTURES = resolve('test/fixtures/reliability');

/** A pinned domain without foreign-manager metadata that does not fit the small host (pins 20-23). */
export const PINNED = readFileSync(join(FIXTURES, 'pinned.xml'), 'utf8');

export interface HookRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock time of the child, node start-up included. */
  readonly ms: number;
  readonly timedOut: boolean;
}

export interface RunOptions {
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
  /** Destroy the child's stdout right after spawning: a reader that went away. */
  readonly closeStdout?: boolean;
}

/** Run `script args` with `stdin`, asynchronously (tests run several at once). */
export function runAsync(script: string, args: readonly string[], stdin: string | Buffer, options: RunOptions = {}): Promise<HookRun> {
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { LC_ALL: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 10_000);
    if (options.closeStdout) child.stdout.destroy();
    else child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    // libvirt ignores EPIPE from a hook that stopped reading; so do we.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        ms: performance.now() - started,
        timedOut,
      });
    });
  });
}

/** A private hook installation: the bundle copied as `qemu`, a config, and empty journal/run/host-root dirs. */
export class HookBench {
  readonly work: string;
  readonly journal: string;
  readonly config: string;
  private readonly copy = hookCopy();
  private runs = 0;

  constructor() {
    this.work = mkdtempSync(join(tmpdir(), 'repin-reliability-'));
    this.journal = join(this.work, 'journal');
    this.config = join(this.work, 'repin.json');
    mkdirSync(join(this.work, 'root'));
    this.writeConfig({});
  }

  get hook(): string {
    return this.copy.hook;
  }

  /** Write the config file; journal.dir points into this bench unless `value` says otherwise. */
  writeConfig(value: Record<string, unknown>): void {
    writeFileSync(this.config, JSON.stringify({ journal: { dir: this.journal }, ...value }));
  }

  /**
   * libvirt's environment plus repin's: the small host profile, an empty host
   * root (no other guests running here) and a fresh run dir per call, so one
   * call's CPU reservation does not shape the next call's plan.
   */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      REPIN_CONFIG: this.config,
      REPIN_HOST: SMALL_HOST,
      REPIN_HOST_ROOT: join(this.work, 'root'),
      REPIN_RUN_DIR: join(this.work, `run-${this.runs++}`),
      REPIN_SPOOL_DIR: join(this.work, 'pending'),
      ...extra,
    };
  }

  run(op: string, xml: string | Buffer, options: RunOptions & { domain?: string } = {}): Promise<HookRun> {
    return runAsync(this.hook, [options.domain ?? 'vm', op, 'begin', '-'], xml, { ...options, env: this.env(options.env) });
  }

  /** Journal lines, each parsed; a line that is not one JSON object fails the test. */
  entries(dir = this.journal): Record<string, unknown>[] {
    let text: string;
    try {
      text = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const value: unknown = JSON.parse(line);
        expect(value, `journal line ${line.slice(0, 80)}`).to.be.an('object');
        return value as Record<string, unknown>;
      });
  }

  cleanup(): void {
    this.copy.cleanup();
    rmSync(this.work, { recursive: true, force: true });
  }
}

/** XML 1.0 forbids these anywhere in a document; a conforming parser (libvirt's libxml2) rejects them. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/** Parse with xmldom, collecting its complaints but its warning on U+FFFD, a legal character (xmldom only guesses at a decoding problem). */
function parseXml(xml: string, complaints: string[] = []): Document {
  const onError = (level: string, message: string): void => {
    if (!message.startsWith('Unicode replacement character')) complaints.push(`${level}: ${message}`);
  };
  return new DOMParser({ onError }).parseFromString(xml, 'text/xml');
}

/** Throws unless `xml` is one complete, well-formed domain document (strict: any parser complaint fails). */
export function assertCompleteDomain(xml: string): void {
  expect(NOT_XML_CHAR.test(xml), 'output holds a character XML forbids').to.equal(false);
  const complaints: string[] = [];
  const doc = parseXml(xml, complaints);
  expect(complaints, 'output parses without complaint').to.deep.equal([]);
  expect(doc.documentElement?.nodeName).to.equal('domain');
}

export type Expect = 'unchanged' | 'rewritten' | 'error' | 'refused' | 'any';

/**
 * The hook contract for a filter op, plus what this input must produce:
 * - never killed by the timeout, never a stack trace (`    at `) on stderr;
 * - exit 0 with empty stdout or one complete document, or exit 1 with exactly
 *   one stderr line and no stdout;
 * - `error` with onError keep = exit 0 and no output; with fail = exit 1 and one line.
 */
export function assertContract(run: HookRun, want: Expect, onError: 'keep' | 'fail' = 'keep'): void {
  const context = `exit ${run.code}, stderr ${JSON.stringify(run.stderr.slice(0, 300))}`;
  expect(run.timedOut, `hook hung (${run.ms.toFixed(0)} ms)`).to.equal(false);
  expect(run.signal, context).to.equal(null);
  expect(run.stderr, 'a stack trace on stderr').to.not.include('    at ');
  if (run.code === 0) {
    if (run.stdout.trim() !== '') assertCompleteDomain(run.stdout);
  } else {
    expect(run.code, context).to.equal(1);
    expect(run.stdout, 'output with a failure').to.equal('');
    expect(run.stderr.endsWith('\n') && run.stderr.split('\n').length === 2, `exactly one stderr line: ${context}`).to.equal(true);
  }
  switch (want) {
    case 'unchanged':
      expect(run.code, context).to.equal(0);
      expect(run.stdout).to.equal('');
      return;
    case 'rewritten':
      expect(run.code, context).to.equal(0);
      expect(run.stdout, context).to.not.equal('');
      return;
    case 'refused':
      expect(run.code, context).to.equal(1);
      return;
    case 'error':
      if (onError === 'keep') {
        expect(run.code, context).to.equal(0);
        expect(run.stdout).to.equal('');
      } else {
        expect(run.code, context).to.equal(1);
        expect(run.stderr).to.match(/^repin: (migrate|restore) of .* failed: /);
      }
      return;
    case 'any':
      return;
  }
}

/**
 * Time limits scale with how loaded this machine is (1-minute load average per
 * CPU, between 1 and 4): other suites running beside these tests slow every
 * child down, while a real hang or a quadratic parse is slower still.
 */
export function loadFactor(): number {
  return Math.min(4, Math.max(1, (loadavg()[0] ?? 0) / Math.max(1, cpus().length)));
}

/** The hook's own time for a call, from its journal entry: node start-up excluded, reading stdin included. */
export function hookMs(entry: Record<string, unknown> | undefined): number {
  const ms = entry?.durationMs;
  expect(ms, 'journal entry has durationMs').to.be.a('number');
  return ms as number;
}

// --- nothing lost ----------------------------------------------------------------

export interface JournalChange {
  readonly element: string;
  readonly id?: number;
  readonly old: string | null;
  readonly new: string | null;
}

const ORIGINAL_NS = 'urn:repin:original:3';

/** Child elements named `name`; an unprefixed name matches only elements in no namespace, as libvirt's XPath does. */
function children(parent: Element | null | undefined, name: string): Element[] {
  const out: Element[] = [];
  for (let node = parent?.firstChild; node; node = node.nextSibling) {
    if (node.nodeType !== 1) continue;
    const element = node as Element;
    if (name === '*' || (element.nodeName === name && (name.includes(':') || !element.namespaceURI))) out.push(element);
  }
  return out;
}

const idOf = (element: Element, attr: string): number => Number((element.getAttribute(attr) ?? '').trim());

/** Apply journal changes to a parsed input the way the plan describes them, independently of src/core/plan/rewrite.ts. */
function applyListed(doc: Document, changes: readonly JournalChange[]): void {
  const domain = doc.documentElement;
  const one = (parent: Element | undefined, name: string, attr: string | undefined, id: number | undefined): Element => {
    const found = children(parent, name).find((e) => attr === undefined || idOf(e, attr) === id);
    if (!found) throw new Error(`journal names ${name} ${id ?? ''} that the input lacks`);
    return found;
  };
  const family: Record<string, [parent: string, name: string, attr: string | undefined, value: string]> = {
    vcpupin: ['cputune', 'vcpupin', 'vcpu', 'cpuset'],
    emulatorpin: ['cputune', 'emulatorpin', undefined, 'cpuset'],
    iothreadpin: ['cputune', 'iothreadpin', 'iothread', 'cpuset'],
    numatune: ['numatune', 'memory', undefined, 'nodeset'],
    memnode: ['numatune', 'memnode', 'cellid', 'nodeset'],
  };
  for (const change of changes) {
    if (change.element === 'vcpu') {
      const vcpu = one(domain ?? undefined, 'vcpu', undefined, undefined);
      if (change.new === null) vcpu.removeAttribute('cpuset');
      else vcpu.setAttribute('cpuset', change.new);
    } else if (change.element === 'shares') {
      const shares = children(children(domain, 'cputune')[0], 'shares')[0];
      if (!shares) throw new Error('journal names <cputune><shares> that the input lacks');
      expect(shares.textContent, 'old value of shares').to.equal(change.old);
      shares.textContent = change.new;
    } else if (change.element === 'memdev') {
      const device = children(children(domain, 'devices')[0], 'memory')[change.id ?? -1];
      const mask = children(children(device, 'source')[0], 'nodemask')[0];
      if (!mask) throw new Error(`journal names memory device #${change.id} without a nodemask`);
      if (change.new === null) mask.parentNode?.removeChild(mask);
      else mask.textContent = change.new;
    } else {
      const spec = family[change.element];
      if (!spec) throw new Error(`journal names an unknown element family ${change.element}`);
      const [parentName, name, attr, value] = spec;
      let parent = children(domain, parentName)[0];
      if (change.old === null) {
        // a pin restored from the original record: recreated at the end of its parent
        if (change.new === null) continue;
        if (!parent) {
          parent = doc.createElement(parentName);
          domain?.appendChild(parent);
        }
        const created = doc.createElement(name);
        if (attr !== undefined) created.setAttribute(attr, String(change.id));
        created.setAttribute(value, change.new);
        parent.appendChild(created);
        continue;
      }
      const element = one(parent, name, attr, change.id);
      expect(element.getAttribute(value), `old value of ${change.element} ${change.id ?? ''}`).to.equal(change.old);
      if (change.new === null) element.parentNode?.removeChild(element);
      else element.setAttribute(value, change.new);
    }
  }
}

/** Remove repin's original-placement record (and a <metadata> that held only it) from a document. */
function withoutOriginalRecord(doc: Document, inputHadMetadata: boolean): void {
  const metadata = children(doc.documentElement, 'metadata')[0];
  if (!metadata) return;
  for (const record of [...children(metadata, 'repin:original')].filter((e) => e.namespaceURI === ORIGINAL_NS)) metadata.removeChild(record);
  if (!inputHadMetadata && children(metadata, '*').length === 0 && [...Array(metadata.childNodes.length).keys()].every((i) => metadata.childNodes.item(i)?.nodeType === 3)) {
    metadata.parentNode?.removeChild(metadata);
  }
}

const serialize = (doc: Document): string => new XMLSerializer().serializeToString(doc);

/**
 * The output equals the input with exactly the journal's changes applied, plus
 * at most repin's original-placement record in <metadata>: nothing else added,
 * dropped or altered (comments, CDATA, namespaces and text included).
 */
export function expectOnlyListedChanges(input: string, output: string, changes: readonly JournalChange[]): void {
  const inputDoc = parseXml(input);
  const hadRecord = children(children(inputDoc.documentElement, 'metadata')[0], 'repin:original').length > 0;
  const hadMetadata = children(inputDoc.documentElement, 'metadata').length > 0;
  applyListed(inputDoc, changes);
  const outputDoc = parseXml(output);
  if (!hadRecord) withoutOriginalRecord(outputDoc, hadMetadata);
  expect(canonicalXml(serialize(outputDoc))).to.equal(canonicalXml(serialize(inputDoc)));
}
