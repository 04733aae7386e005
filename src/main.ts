// The bundle's start: run main() on the real process.
import { main } from './entry.js';
import { processIo } from './io/process-io.js';

main(processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`repin: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 70;
  },
);
