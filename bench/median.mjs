// The bench's one statistic: the median of a list of timings.
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * A 95% bootstrap interval for median(xs) / median(base): both lists resampled with
 * replacement 2,000 times, seeded, so the same samples always give the same interval.
 * A budget inside the interval is one this run cannot call met or missed.
 */
export function ratioInterval(xs, base, resamples = 2000) {
  let seed = 0x9e3779b9;
  const random = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const resample = (list) => list.map(() => list[Math.floor(random() * list.length)]);
  const ratios = Array.from({ length: resamples }, () => median(resample(xs)) / median(resample(base))).sort((a, b) => a - b);
  return [ratios[Math.floor(resamples * 0.025)], ratios[Math.ceil(resamples * 0.975) - 1]];
}
