// This host's occupancy as seen by a plan for one domain: other running
// domains' pinned threads plus CPUs (and huge pages) reserved for other
// arriving domains.
import { DEFAULT_RUN_DIR } from '../../bundle/layout.js';
import type { DomainPins } from '../../core/domain/pins.js';
import type { Host } from '../../core/host/host.js';
import { occupancyOf, readRunningDomains } from './occupancy.js';
import { withoutClaims } from '../../core/plan/hugepage-fit.js';
import { loadReservations, pagesReservedByOthers, reservedByOthers } from '../state/reservations.js';

export function runDir(env: Readonly<Record<string, string | undefined>>): string {
  return env.REPIN_RUN_DIR ?? DEFAULT_RUN_DIR;
}

export function withLocalOccupancy(root: string, dir: string, pins: Pick<DomainPins, 'uuid' | 'name'>, host: Host): Host {
  const running = readRunningDomains(root, pins);
  const list = loadReservations(dir);
  const runningIds = new Set(running.map((d) => d.uuid));
  const reserved = reservedByOthers(list, pins, runningIds);
  return { ...withoutClaims(host, pagesReservedByOthers(list, pins, runningIds)), occupancy: occupancyOf(running, host.usable, reserved) };
}
