// The allocator's shared tier: CPUs this domain already uses, least used
// (then lowest id) first, so each shared pick is O(log CPUs), not a scan.
/** One CPU and how many of the domain's threads it has been given. */
export interface UseEntry {
  readonly cpu: number;
  readonly count: number;
}

/** A binary min-heap of CPUs by (uses, id). */
export class UseHeap {
  private readonly items: UseEntry[] = [];

  peek(): UseEntry | undefined {
    return this.items[0];
  }

  push(entry: UseEntry): void {
    const items = this.items;
    let i = items.push(entry) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!UseHeap.before(entry, items[parent] as UseEntry)) break;
      items[i] = items[parent] as UseEntry;
      i = parent;
    }
    items[i] = entry;
  }

  pop(): UseEntry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && UseHeap.before(items[right] as UseEntry, items[left] as UseEntry) ? right : left;
      if (!UseHeap.before(items[child] as UseEntry, last)) break;
      items[i] = items[child] as UseEntry;
      i = child;
    }
    items[i] = last;
    return top;
  }

  private static before(a: UseEntry, b: UseEntry): boolean {
    return a.count < b.count || (a.count === b.count && a.cpu < b.cpu);
  }
}
