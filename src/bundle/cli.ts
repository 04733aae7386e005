// The CLI's bundle (`<build>/repin`): run directly, or required by the
// `repin` command launcher. Exit codes are decided in src/cli/exit.ts.
import { reportError } from '../cli/exit.js';
import { cliMain } from '../cli/main.js';
import { processIo } from '../io/process-io.js';

// A reader that goes away (EPIPE) is its business, not a crash with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}
// The build this code came from: `repin install` copies it from here. (The bundle is CommonJS.)
const io = { ...processIo(), bundleDir: __dirname };
cliMain(io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = reportError(io, error);
  },
);
