// When a process started: field 22 of /proc/PID/stat (proc(5)), counted after
// the last ')' since the command name may hold spaces and parentheses.
import { readFileSync } from 'node:fs';

export function startTimeOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}
