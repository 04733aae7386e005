// The `repin` command line: one yargs command per file in commands/.
import yargs from 'yargs';
import type { Io } from '../io/process-io.js';
import { inlinedPackages, version } from '../version.js';
import { checkCommand } from './commands/check.js';
import { configCommand } from './commands/config.js';
import { hookCommand } from './commands/hook.js';
import { hostCommand } from './commands/host.js';
import { installCommand, uninstallCommand } from './commands/install.js';
import { journalCommand } from './commands/journal.js';
import { planCommand } from './commands/plan.js';
import { policyCommand } from './commands/policy.js';
import { reconcileCommand } from './commands/reconcile.js';
import { replayCommand } from './commands/replay.js';
import { rewriteCommand } from './commands/rewrite.js';
import { EXIT, reportError, reportUsage } from './exit.js';

export async function cliMain(io: Io): Promise<number> {
  if (io.argv[0] === '--version' || io.argv[0] === '-V') {
    const verbose = io.argv.includes('--verbose');
    io.stdout.write(`repin ${version}\n`);
    if (verbose) io.stdout.write(`node ${process.version}\ninlined: ${inlinedPackages.join(', ') || '(running from source)'}\n`);
    return EXIT.ok;
  }
  let failure: unknown;
  let usage: string | undefined;
  const parser = yargs()
    .scriptName('repin')
    .usage('$0 <command>\n\nFit pinned libvirt guests to this host (see README).')
    .command(planCommand(io))
    .command(rewriteCommand(io))
    .command(checkCommand(io))
    .command(hostCommand(io))
    .command(journalCommand(io))
    .command(replayCommand(io))
    .command(hookCommand(io))
    .command(reconcileCommand(io))
    .command(policyCommand(io))
    .command(installCommand(io))
    .command(uninstallCommand(io))
    .command(configCommand(io))
    .demandCommand(1, 'name a command')
    .strict()
    .version(false)
    .help()
    .wrap(Math.min(100, process.stdout.columns || 80))
    .exitProcess(false)
    .fail((message, error) => {
      if (error) failure = error;
      else usage = message;
    });
  let output = '';
  try {
    await parser.parseAsync([...io.argv], {}, (_err, _argv, text) => {
      output = text;
    });
  } catch (error) {
    failure ??= error;
  }
  if (failure !== undefined) return reportError(io, failure);
  if (usage !== undefined) return reportUsage(io, output, usage);
  if (output) io.stdout.write(`${output}\n`);
  return EXIT.ok;
}
