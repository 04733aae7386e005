// Milliseconds on a clock that never steps (CLOCK_MONOTONIC): for wait
// deadlines, which a wall-clock step back (NTP, an operator) must not stretch.
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
