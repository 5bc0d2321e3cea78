/**
 * The bound on descriptors the log may keep open (log.max.open.files), and
 * the process's open-file limit it is derived from.
 *
 * Node has no getrlimit, so the soft RLIMIT_NOFILE is read from
 * /proc/self/limits (Linux). Unset (-1, the default), the log may use half
 * of it: the other half stays for client connections, metadata files and
 * the short-lived files the log opens itself (indexes written by rename,
 * snapshots, directory fsyncs). Where the limit cannot be read the log
 * assumes 1024, the usual soft default.
 */
import { readFileSync } from 'node:fs';

/** What the soft limit is taken to be when /proc/self/limits cannot be read. */
export const ASSUMED_OPEN_FILE_LIMIT = 1024;
/** Fewest descriptors the log is ever given (one partition being written, a read, a compaction). */
export const MIN_LOG_OPEN_FILES = 8;

/** The soft RLIMIT_NOFILE of this process, or null when unknown (not Linux) or unlimited. */
export function openFileSoftLimit(limitsText?: string): number | null {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'latin1');
    } catch {
      return null;
    }
  }
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (m === null || m[1] === 'unlimited') return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/**
 * The descriptor bound for the log: `configured` when positive, else half
 * the soft limit; never below {@link MIN_LOG_OPEN_FILES}.
 */
export function resolveMaxOpenFiles(configured: number | undefined, softLimit: number | null = openFileSoftLimit()): number {
  if (configured !== undefined && configured > 0) return Math.max(MIN_LOG_OPEN_FILES, Math.floor(configured));
  return Math.max(MIN_LOG_OPEN_FILES, Math.floor((softLimit ?? ASSUMED_OPEN_FILE_LIMIT) / 2));
}
