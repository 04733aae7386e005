// A small unified diff of two texts by lines (LCS over the part between the
// common prefix and suffix), for `repin plan --diff` and `repin replay`.

export function unifiedDiff(before: string, after: string, labels: [string, string], context = 3): string {
  const a = before.split('\n');
  const b = after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  if (start === endA && start === endB) return '';
  const ops = lcsOps(a.slice(start, endA), b.slice(start, endB));
  // Full edit script with line numbers, then cut into hunks.
  type Line = { kind: ' ' | '-' | '+'; text: string; ai: number; bi: number };
  const lines: Line[] = [];
  for (let i = 0; i < start; i++) lines.push({ kind: ' ', text: a[i] ?? '', ai: i, bi: i });
  let ai = start;
  let bi = start;
  for (const op of ops) {
    if (op === ' ') lines.push({ kind: ' ', text: a[ai] ?? '', ai: ai++, bi: bi++ });
    else if (op === '-') lines.push({ kind: '-', text: a[ai] ?? '', ai: ai++, bi });
    else lines.push({ kind: '+', text: b[bi] ?? '', ai, bi: bi++ });
  }
  for (let i = endA; i < a.length; i++) lines.push({ kind: ' ', text: a[i] ?? '', ai: ai++, bi: bi++ });
  const out = [`--- ${labels[0]}`, `+++ ${labels[1]}`];
  let i = 0;
  while (i < lines.length) {
    if (lines[i]?.kind === ' ') {
      i++;
      continue;
    }
    let from = Math.max(0, i - context);
    let to = i;
    while (to < lines.length) {
      let next = to;
      while (next < lines.length && lines[next]?.kind === ' ') next++;
      if (next >= lines.length || next - to > 2 * context) break;
      to = next + 1;
    }
    to = Math.min(lines.length, to + context);
    const hunk = lines.slice(from, to);
    const first = hunk[0];
    const aCount = hunk.filter((l) => l.kind !== '+').length;
    const bCount = hunk.filter((l) => l.kind !== '-').length;
    out.push(`@@ -${(first?.ai ?? 0) + 1},${aCount} +${(first?.bi ?? 0) + 1},${bCount} @@`);
    for (const l of hunk) out.push(`${l.kind}${l.text}`);
    i = to;
    from = to;
  }
  return `${out.join('\n')}\n`;
}

function lcsOps(a: string[], b: string[]): ('+' | '-' | ' ')[] {
  const n = a.length;
  const m = b.length;
  const table: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    const row = table[i] as Uint32Array;
    const below = table[i + 1] as Uint32Array;
    for (let j = m - 1; j >= 0; j--) row[j] = a[i] === b[j] ? (below[j + 1] ?? 0) + 1 : Math.max(below[j] ?? 0, row[j + 1] ?? 0);
  }
  const ops: ('+' | '-' | ' ')[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push(' ');
      i++;
      j++;
    } else if (i < n && (j === m || (table[i + 1]?.[j] ?? 0) >= (table[i]?.[j + 1] ?? 0))) {
      ops.push('-');
      i++;
    } else {
      ops.push('+');
      j++;
    }
  }
  return ops;
}
