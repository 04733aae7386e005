// How many generated cases a property test really checked. A property that
// returns early on a refusal or an empty output passes vacuously if the
// generators drift so that every case does: the tally fails the test then,
// and shows the count in its title (mocha's spec reporter prints it).
import { expect } from 'chai';
import type { Context } from 'mocha';

export class CaseTally {
  private generated = 0;
  private checked = 0;

  /** Call once per generated case, before any early return. */
  generatedOne(): void {
    this.generated++;
  }

  /** Call once a case has reached its assertions. */
  checkedOne(): void {
    this.checked++;
  }

  /** Fail unless at least `min` cases were checked; then add `(checked N of M generated)` to the running test's title. */
  expectAtLeast(min: number, context: Context): void {
    const said = `checked ${this.checked} of ${this.generated} generated`;
    expect(this.checked, `${said}: fewer than ${min} cases reached the assertions`).to.be.at.least(min);
    if (context.test) context.test.title += ` (${said})`;
  }
}
