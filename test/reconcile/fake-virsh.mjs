// A fake `virsh` for reconcile tests. Records its argv in $FAKE_VIRSH_STATE/calls.jsonl
// and serves domains from $FAKE_VIRSH_STATE/domains/<uuid>.xml. Per domain, optional:
//   <uuid>.appear-after  N: not listed until the N+1th `list` call, nor known to `domstate` before
//   <uuid>.transient     listed by `list --all` but never as persistent
//   <uuid>.mutate        every dumpxml sees a different definition (someone else edits it)
//   <uuid>.state         what `domstate --reason` prints (default `running (booted)`); `shut off…`
//                        leaves it out of `list` without --all (active domains only)
//   <uuid>.states        one line per `domstate` call, the last one repeated (a guest that lands
//                        after N looks, whatever the machine's speed); `list` still reads .state
//   <uuid>.live.xml      what `dumpxml` without --inactive prints (default: <uuid>.xml, as for a shut-off guest)
// `define FILE` stores the XML and appends it to defined.jsonl; define-delay-ms slows it, define-fails fails it.
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const state = process.env.FAKE_VIRSH_STATE;
const domains = join(state, 'domains');
let args = process.argv.slice(2);
appendFileSync(join(state, 'calls.jsonl'), `${JSON.stringify(args)}\n`);
if (args[0] === '--connect') args = args.slice(2);
args = args.filter((a) => a !== '--quiet');
const fail = (message) => {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
};
const count = (file) => {
  const path = join(state, file);
  const n = existsSync(path) ? Number(readFileSync(path, 'utf8')) + 1 : 1;
  writeFileSync(path, String(n));
  return n;
};
const read = (uuid, ext) => (existsSync(join(domains, `${uuid}${ext}`)) ? readFileSync(join(domains, `${uuid}${ext}`), 'utf8') : undefined);
const uuids = () => readdirSync(domains).filter((n) => n.endsWith('.xml') && !n.endsWith('.live.xml')).map((n) => n.slice(0, -4));

const [command, ...rest] = args;
if (command === 'list') {
  const calls = count('list-count');
  const shown = uuids().filter((u) => calls > Number(read(u, '.appear-after') ?? 0));
  const persistent = shown.filter((u) => read(u, '.transient') === undefined);
  const active = shown.filter((u) => !/^shut off/.test(read(u, '.state') ?? ''));
  process.stdout.write(`${(rest.includes('--persistent') ? persistent : rest.includes('--all') ? shown : active).join('\n')}\n\n`);
} else if (command === 'dumpxml') {
  const uuid = rest.at(-1);
  let xml = (!rest.includes('--inactive') && read(uuid, '.live.xml')) || read(uuid, '.xml');
  if (xml === undefined) fail(`failed to get domain '${uuid}'`);
  if (read(uuid, '.mutate') !== undefined) {
    xml = xml.replace('</domain>', `<!-- edited ${count(`${uuid}.edits`)} --></domain>`);
    writeFileSync(join(domains, `${uuid}.xml`), xml);
  }
  process.stdout.write(xml);
} else if (command === 'domstate') {
  // <uuid>.state holds the state text (default `running (booted)`); absent domains fail like libvirt.
  const uuid = rest.at(-1);
  if (read(uuid, '.xml') === undefined) fail(`failed to get domain '${uuid}'`);
  const listed = existsSync(join(state, 'list-count')) ? Number(readFileSync(join(state, 'list-count'), 'utf8')) : 0;
  if (read(uuid, '.appear-after') !== undefined && listed <= Number(read(uuid, '.appear-after'))) fail(`failed to get domain '${uuid}'`);
  const queued = read(uuid, '.states')?.trim().split('\n');
  if (queued && queued.length > 1) writeFileSync(join(domains, `${uuid}.states`), queued.slice(1).join('\n'));
  process.stdout.write(`${(queued?.[0] ?? read(uuid, '.state') ?? 'running (booted)').trim()}\n\n`);
} else if (command === 'define') {
  // define-fails holds the error virsh prints (libvirt restarting, say) while it exists.
  if (existsSync(join(state, 'define-fails'))) fail(readFileSync(join(state, 'define-fails'), 'utf8').trim());
  const delay = existsSync(join(state, 'define-delay-ms')) ? Number(readFileSync(join(state, 'define-delay-ms'), 'utf8')) : 0;
  if (delay > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delay);
  const xml = readFileSync(rest[0], 'utf8');
  const uuid = /<uuid>([^<]+)<\/uuid>/.exec(xml)?.[1];
  if (!uuid) fail('XML has no uuid');
  writeFileSync(join(domains, `${uuid}.xml`), xml);
  appendFileSync(join(state, 'defined.jsonl'), `${JSON.stringify({ uuid, xml })}\n`);
  process.stdout.write(`Domain '${uuid}' defined from ${rest[0]}\n`);
} else {
  fail(`fake virsh: unknown command ${command}`);
}
