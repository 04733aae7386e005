// Blocking waits for the hook, which runs to completion without an event loop
// to return to (the lock retry, a pipe that answered EAGAIN).
let cell: Int32Array | undefined;

export function sleepSync(ms: number): void {
  cell ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(cell, 0, 0, ms);
}
