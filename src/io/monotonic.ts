// Milliseconds on a clock that never steps (CLOCK_MONOTONIC): for wait
// deadlines, which a wall-clock step back (NTP, an operator) must not stretch,
// and for the hook's own timings. process.hrtime, not performance.now(): the
// latter loads perf_hooks (~15 ms) in a hook call.
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
