/**
 * The cleaner checkpoint of a partition: the offset where the last clean
 * ended, so the next one knows which part of the log is dirty.
 *
 * File `cleaner-offset-checkpoint` in the partition directory (Kafka keeps
 * one per log dir for all partitions; per partition it goes away with the
 * partition and needs no coordination between partitions):
 *
 *   0\n            format version
 *   <offset>\n     first dirty offset
 *
 * Replaced atomically, not fsynced: a lost or older checkpoint only makes
 * the next clean treat more of the log as dirty, which costs work but keeps
 * the log correct. An unreadable file counts as absent. A checkpoint outside
 * [log start offset, log end offset] is reset by the cleaning decision
 * (cleaning-decision.ts).
 */
import { join } from 'node:path';
import type { Fs } from '../fs.js';

/** File name of the checkpoint in a partition directory. */
export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';

/** The checkpoint of the partition in `dir`, or null if absent or unreadable. */
export async function readCleanerCheckpoint(fs: Fs, dir: string): Promise<number | null> {
  const data = await fs.readFile(join(dir, CLEANER_CHECKPOINT_FILE));
  if (data === null) return null;
  const lines = data.toString('utf8').split('\n');
  const n = Number(lines[1]);
  return lines[0] === '0' && lines[1] !== '' && Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** Replaces the checkpoint of the partition in `dir`. */
export async function writeCleanerCheckpoint(fs: Fs, dir: string, offset: number): Promise<void> {
  await fs.writeFileAtomic(join(dir, CLEANER_CHECKPOINT_FILE), Buffer.from(`0\n${offset}\n`), { sync: false });
}
