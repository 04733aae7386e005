// A fake `virsh` for `repin policy`: records argv in $FAKE_VIRSH_STATE/calls.jsonl and keeps
// one metadata element per domain in $FAKE_VIRSH_STATE/<domain>.meta. A domain listed in
// $FAKE_VIRSH_STATE/shutoff rejects --live, as libvirt does for a shut-off guest.
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const state = process.env.FAKE_VIRSH_STATE;
const args = process.argv.slice(2).filter((a) => a !== '--quiet');
appendFileSync(join(state, 'calls.jsonl'), `${JSON.stringify(args)}\n`);
const rest = args[0] === '--connect' ? args.slice(2) : args;
const [command, domain] = rest;
if (command !== 'metadata') {
  process.stderr.write(`error: unknown command ${command}\n`);
  process.exit(1);
}
const meta = join(state, `${domain}.meta`);
const shutoff = existsSync(join(state, 'shutoff')) && readFileSync(join(state, 'shutoff'), 'utf8').split('\n').includes(domain);
if (shutoff && rest.includes('--live')) {
  process.stderr.write('error: Requested operation is not valid: domain is not running\n');
  process.exit(1);
}
if (rest.includes('--remove')) rmSync(meta, { force: true });
else if (rest.includes('--set')) writeFileSync(meta, rest[rest.indexOf('--set') + 1]);
else if (existsSync(meta)) process.stdout.write(`${readFileSync(meta, 'utf8')}\n`);
else {
  process.stderr.write('error: metadata not found: Requested metadata element is not present\n');
  process.exit(1);
}
