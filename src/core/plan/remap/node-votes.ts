// Which host node a guest cell's vCPUs mostly sit on (key -1: the whole
// domain). Shared by remap's choice of target nodes and its nodeset mapping.

export class NodeVotes {
  private readonly votes = new Map<number, Map<number, number>>();

  /** One vCPU CPU of `cell` (and of the domain as a whole) is on `node`. */
  add(cell: number | undefined, node: number): void {
    this.bump(-1, node);
    if (cell !== undefined) this.bump(cell, node);
  }

  /** The node with the most votes for `cell`; ties go to the lower id. */
  top(cell: number): number | undefined {
    const tally = this.votes.get(cell);
    if (!tally) return undefined;
    return [...tally.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0];
  }

  private bump(cell: number, node: number): void {
    const tally = this.votes.get(cell) ?? new Map<number, number>();
    tally.set(node, (tally.get(node) ?? 0) + 1);
    this.votes.set(cell, tally);
  }
}
