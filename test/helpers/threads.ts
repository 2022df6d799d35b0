// A process's threads as the kernel reports them in /proc/<pid>/task: nice value and CPU time (clock ticks).
import { readdirSync, readFileSync } from 'node:fs';

export function threads(pid: number | 'self' = 'self'): Map<number, { nice: number; cpu: number }> {
  return new Map(
    readdirSync(`/proc/${pid}/task`).map((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the third (state) on
      return [Number(tid), { nice: Number(fields[16]), cpu: Number(fields[11]) + Number(fields[12]) }];
    }),
  );
}
