// `release end`: the guest is gone from this host, so its CPU reservation (if
// any) ends. Loads only the reservation file's code, and never fails.
import { runDir } from '../io/host/local-occupancy.js';
import type { Io } from '../io/process-io.js';
import { releaseReservation } from '../io/state/reservations.js';

export function hookRelease(io: Io): number {
  const domain = io.argv[0];
  if (domain) releaseReservation(runDir(io.env), domain);
  return 0;
}
