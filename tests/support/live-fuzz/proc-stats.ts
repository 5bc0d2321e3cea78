// Memory and CPU of the broker process, read from /proc (Linux).
import { readFileSync } from 'node:fs';

export interface ProcSample {
  /** Resident set size now (VmRSS), bytes. */
  rssBytes: number;
  /** Peak resident set size of the process (VmHWM), bytes. */
  peakRssBytes: number;
  /** utime + stime of all threads, milliseconds. */
  cpuMs: number;
}

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Reads one sample, or null when the process is gone. */
export function sampleProcess(pid: number): ProcSample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at ') '.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssBytes: kib(status, 'VmRSS') * 1024, peakRssBytes: kib(status, 'VmHWM') * 1024, cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND };
  } catch {
    return null;
  }
}

function kib(status: string, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return m === null ? 0 : Number(m[1]);
}
