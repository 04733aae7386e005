// Small domains for table tests of the planner's parts: a <domain> around the
// given elements, read as the filter reads it.
import { readDomainPins, type DomainPins } from '../../src/core/domain/pins.js';
import type { Change } from '../../src/core/plan/plan.js';
import { readDomain } from '../../src/core/xml/read-domain.js';

/** A domain of `vcpus` vCPUs with these elements after <vcpu> (cputune, numatune, cpu, devices…). */
export function domainOf(body: string, vcpus = 4, vcpuAttrs = ''): string {
  return `<domain type='kvm'><name>t</name><uuid>00000000-0000-4000-8000-000000000001</uuid><vcpu placement='static'${vcpuAttrs}>${vcpus}</vcpu>${body}</domain>`;
}

export function pinsOf(body: string, vcpus = 4, vcpuAttrs = ''): DomainPins {
  return readDomainPins(readDomain(domainOf(body, vcpus, vcpuAttrs)).doc);
}

/** A change as `element/id old→new` (`-` for none): one string per row of a table. */
export function shown(change: Change): string {
  return `${change.element}${change.id === undefined ? '' : `/${change.id}`} ${change.old ?? '-'}→${change.new ?? '-'}`;
}
