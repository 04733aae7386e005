// Query repin's journal (JSON lines): print one field of the last entry for
// a domain and op, or exit 1 when there is none.
// usage: node journal.mjs FILE DOMAIN OP FIELD
//   OP matches the entry's op by its first word ("migrate" matches
//   "migrate" and "migrate begin"); FIELD is a top-level key; objects and
//   arrays are printed as JSON, strings as they are.
import { readFileSync, existsSync } from 'node:fs';

const [file, domain, op, field] = process.argv.slice(2);
if (!file || !domain || !op || !field) {
  process.stderr.write('usage: node journal.mjs FILE DOMAIN OP FIELD\n');
  process.exit(2);
}
const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()) : [];
let found;
for (const line of lines) {
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    continue;
  }
  const entryOp = String(entry.op ?? '').split(/\s+/)[0];
  if (entry.domain === domain && entryOp === op) found = entry;
}
if (!found) process.exit(1);
const value = found[field];
process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
