// `repin journal`: recent filter calls, newest last.
import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { printable } from '../../core/cpuset.js';
import { changeLabel } from '../../core/plan/plan.js';
import { configPath, loadConfig } from '../../io/state/config-file.js';
import { journalFile, type JournalEntry } from '../../io/state/journal.js';
import type { Io } from '../../io/process-io.js';

interface Args {
  domain?: string;
  json?: boolean;
  limit: number;
  config?: string;
}

export function readJournal(dir: string): JournalEntry[] {
  let text = '';
  try {
    text = readFileSync(journalFile(dir), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as JournalEntry];
      } catch {
        return [];
      }
    });
}

export function journalCommand(io: Io): CommandModule<object, Args> {
  return {
    command: 'journal',
    describe: 'show recent hook and reconcile decisions',
    builder: (y) =>
      y
        .option('domain', { type: 'string', describe: 'only this domain (name or uuid)' })
        .option('json', { type: 'boolean' })
        .option('limit', { type: 'number', default: 20 })
        .option('config', { type: 'string' }),
    handler: (args) => {
      const config = loadConfig(configPath(io.env, args.config));
      const entries = readJournal(config.journal.dir)
        .filter((e) => args.domain === undefined || e.domain === args.domain || e.uuid === args.domain)
        .slice(-args.limit);
      for (const e of entries) {
        if (args.json) {
          io.stdout.write(`${JSON.stringify(e)}\n`);
          continue;
        }
        const changes = e.changes.map((c) => `${changeLabel(c)} ${c.old}→${c.new ?? 'released'}`).join('; ');
        const detail = e.refusal ?? e.error ?? changes;
        io.stdout.write(`${e.time}  ${e.op.padEnd(9)} ${printable(e.domain, 24).padEnd(24)} ${e.policy.padEnd(9)} ${e.outcome.padEnd(9)} ${detail}${e.capture ? `  [${e.capture}]` : ''}\n`);
      }
    },
  };
}
