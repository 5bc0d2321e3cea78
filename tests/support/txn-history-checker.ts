/**
 * A checker of transactional histories (in the spirit of Jepsen's Elle for Kafka), separate
 * from the workload that produced them: it takes what transactional producers say they wrote
 * and how each transaction ended, and what read_committed consumers read, and lists every
 * anomaly. It never talks to a broker.
 *
 * Model. A transaction belongs to a writer (one transactional id) and has a sequence number
 * `seq` that grows with each transaction the writer begins (also across a re-created
 * producer). Its writes are listed in production order; every value is unique in the whole
 * history. Its outcome is what the producer observed:
 *   committed  commit_transaction returned
 *   aborted    abort_transaction returned, or commit was never requested and the producer was
 *              fenced by its successor (nothing can commit it then)
 *   unknown    anything else (a commit that failed or timed out): either outcome is allowed,
 *              but only as a whole
 * A read log is what one consumer read, record by record. A *complete* read log read every
 * partition from its first offset up to its end after every transaction had ended; any other
 * read log read each partition from its first offset (a prefix, possibly re-reading after a
 * rewind).
 *
 * Anomalies (one per finding, with the writer/transaction concerned):
 *
 *   kind             | found when
 *   -----------------+------------------------------------------------------------------------
 *   aborted-read     | a value of an aborted transaction is read, or of an unknown-outcome one
 *                    | that a complete read shows wholly invisible (so it was aborted)
 *   lost-write       | a complete read lacks a value of a committed transaction, or a value
 *                    | another reader read (of a transaction it shows at least partly
 *                    | visible); a prefix read lacks a value of a committed
 *                    | transaction although it read a later transaction of the same writer in
 *                    | that partition (it read past it)
 *   torn             | a committed or unknown transaction is partly visible: some values read
 *                    | and others not (in a complete read; in a prefix read, within a
 *                    | partition the reader read past, as above)
 *   duplicate        | one value is read at two different offsets / partitions
 *   order            | within a partition, a writer's values are not in (seq, write index)
 *                    | order of offsets
 *   never-written    | a value read is in no transaction, or was written to another partition
 *   offset-conflict  | two reads of the same partition and offset return different values
 *   ack-offset       | a value is read at another offset than its delivery report gave
 *
 * Re-reading the same offset with the same value (a consumer rewinding) is not an anomaly.
 */

/** How a transaction ended, as its producer observed it (see the module comment). */
export type TxnOutcome = 'committed' | 'aborted' | 'unknown';

/** One record a transaction wrote. */
export interface TxnWrite {
  topic: string;
  partition: number;
  /** Unique in the whole history. */
  value: string;
  /** The offset from the record's delivery report, when the producer got one. */
  offset?: number;
}

/** One transaction of one writer. */
export interface TxnRecord {
  /** The writer (transactional id) that ran it. */
  writer: string;
  /** Increases with every transaction the writer begins. */
  seq: number;
  outcome: TxnOutcome;
  /** In production order. */
  writes: TxnWrite[];
}

/** One record a consumer read. */
export interface ReadRecord {
  topic: string;
  partition: number;
  offset: number;
  value: string;
}

/** Everything one consumer read, in the order it read it. */
export interface ReadLog {
  reader: string;
  /** Read every partition from its start to its end after every transaction ended. */
  complete: boolean;
  records: ReadRecord[];
}

/** A history: the transactions and the reads. */
export interface History {
  txns: TxnRecord[];
  reads: ReadLog[];
}

/** Kinds of anomaly the checker finds; see the table in the module comment. */
export type AnomalyKind = 'aborted-read' | 'lost-write' | 'torn' | 'duplicate' | 'order' | 'never-written' | 'offset-conflict' | 'ack-offset';

/** One finding. */
export interface Anomaly {
  kind: AnomalyKind;
  /** The reader whose log shows it. */
  reader: string;
  /** The transaction concerned, when there is one. */
  writer?: string;
  seq?: number;
  /** Values concerned. */
  values: string[];
  /** A sentence with the partitions and offsets involved. */
  message: string;
}

/** Counts for the summary line of a run. */
export interface HistoryStats {
  txns: Record<TxnOutcome, number>;
  writes: number;
  /** Unknown-outcome transactions wholly visible / wholly invisible in the complete reads. */
  unknownVisible: number;
  unknownInvisible: number;
  /** Distinct (partition, offset) records per reader. */
  recordsRead: Record<string, number>;
}

/** Result of {@link checkHistory}. */
export interface CheckResult {
  anomalies: Anomaly[];
  stats: HistoryStats;
}

interface WriteRef {
  txn: TxnRecord;
  /** Position in the transaction's writes (production order). */
  index: number;
  write: TxnWrite;
}

const tpKey = (topic: string, partition: number): string => `${topic}/${partition}`;
const txnName = (t: TxnRecord): string => `${t.writer} txn ${t.seq} (${t.outcome})`;

/** Indexes the writes by value; a value written twice is a workload bug, not an anomaly. */
function indexWrites(txns: readonly TxnRecord[]): Map<string, WriteRef> {
  const byValue = new Map<string, WriteRef>();
  const txnIds = new Set<string>();
  for (const txn of txns) {
    const id = `${txn.writer}\u0000${txn.seq}`;
    if (txnIds.has(id)) throw new Error(`history: ${txn.writer} txn ${txn.seq} listed twice`);
    txnIds.add(id);
    txn.writes.forEach((write, index) => {
      const before = byValue.get(write.value);
      if (before !== undefined) throw new Error(`history: value ${write.value} written by ${txnName(before.txn)} and ${txnName(txn)}`);
      byValue.set(write.value, { txn, index, write });
    });
  }
  return byValue;
}

/** Writes of `txn` to one partition, in production order. */
function writesIn(txn: TxnRecord, key: string): TxnWrite[] {
  return txn.writes.filter((w) => tpKey(w.topic, w.partition) === key);
}

/** One read log after removing re-reads: per partition, offset → value, in offset order. */
interface ReaderView {
  log: ReadLog;
  /** Partition → records sorted by offset, one per offset. */
  partitions: Map<string, ReadRecord[]>;
  /** Values read (each with every distinct place it was read). */
  places: Map<string, ReadRecord[]>;
}

function viewOf(log: ReadLog, anomalies: Anomaly[]): ReaderView {
  const atOffset = new Map<string, Map<number, ReadRecord>>();
  for (const r of log.records) {
    const key = tpKey(r.topic, r.partition);
    let offsets = atOffset.get(key);
    if (offsets === undefined) atOffset.set(key, (offsets = new Map()));
    const before = offsets.get(r.offset);
    if (before === undefined) offsets.set(r.offset, r);
    else if (before.value !== r.value) {
      anomalies.push({
        kind: 'offset-conflict',
        reader: log.reader,
        values: [before.value, r.value],
        message: `${log.reader} read ${key}@${r.offset} twice with different values: ${before.value} and ${r.value}`,
      });
    }
  }
  const partitions = new Map<string, ReadRecord[]>();
  const places = new Map<string, ReadRecord[]>();
  for (const [key, offsets] of atOffset) {
    const sorted = [...offsets.values()].sort((a, b) => a.offset - b.offset);
    partitions.set(key, sorted);
    for (const r of sorted) {
      let list = places.get(r.value);
      if (list === undefined) places.set(r.value, (list = []));
      list.push(r);
    }
  }
  return { log, partitions, places };
}

/** Checks of one read log that need no other reader: what each value is, duplicates, order. */
function checkRecords(view: ReaderView, writes: Map<string, WriteRef>, anomalies: Anomaly[]): void {
  const reader = view.log.reader;
  const abortedSeen = new Map<TxnRecord, ReadRecord[]>();
  for (const [value, places] of view.places) {
    const ref = writes.get(value);
    const at = places.map((r) => `${tpKey(r.topic, r.partition)}@${r.offset}`).join(', ');
    if (places.length > 1) {
      anomalies.push({ kind: 'duplicate', reader, writer: ref?.txn.writer, seq: ref?.txn.seq, values: [value], message: `${reader} read ${value} ${places.length} times: at ${at}` });
    }
    if (ref === undefined) {
      anomalies.push({ kind: 'never-written', reader, values: [value], message: `${reader} read ${value} at ${at}, a value no transaction wrote` });
      continue;
    }
    const { txn, write } = ref;
    const writtenTo = tpKey(write.topic, write.partition);
    const elsewhere = places.filter((r) => tpKey(r.topic, r.partition) !== writtenTo);
    if (elsewhere.length > 0) {
      anomalies.push({
        kind: 'never-written',
        reader,
        writer: txn.writer,
        seq: txn.seq,
        values: [value],
        message: `${reader} read ${value} at ${elsewhere.map((r) => `${tpKey(r.topic, r.partition)}@${r.offset}`).join(', ')}, but ${txnName(txn)} wrote it to ${writtenTo}`,
      });
    }
    if (txn.outcome === 'aborted') {
      let list = abortedSeen.get(txn);
      if (list === undefined) abortedSeen.set(txn, (list = []));
      list.push(...places);
    }
    if (write.offset !== undefined) {
      for (const r of places) {
        if (tpKey(r.topic, r.partition) === writtenTo && r.offset !== write.offset) {
          anomalies.push({
            kind: 'ack-offset',
            reader,
            writer: txn.writer,
            seq: txn.seq,
            values: [value],
            message: `${reader} read ${value} at ${writtenTo}@${r.offset}, but its delivery report gave offset ${write.offset}`,
          });
        }
      }
    }
  }
  for (const [txn, places] of abortedSeen) {
    anomalies.push({
      kind: 'aborted-read',
      reader,
      writer: txn.writer,
      seq: txn.seq,
      values: places.map((r) => r.value),
      message: `${reader} read ${places.length} of the ${txn.writes.length} values of aborted ${txnName(txn)}: ${places.map((r) => `${r.value} at ${tpKey(r.topic, r.partition)}@${r.offset}`).join(', ')}`,
    });
  }
  // Order: within a partition, each writer's values must follow (seq, write index) as
  // offsets grow. A writer runs one transaction at a time and the idempotent producer keeps
  // the order of one partition, so any inversion is a broker (or client) fault.
  for (const [key, records] of view.partitions) {
    const last = new Map<string, { ref: WriteRef; r: ReadRecord }>();
    for (const r of records) {
      const ref = writes.get(r.value);
      if (ref === undefined || tpKey(ref.write.topic, ref.write.partition) !== key) continue; // never-written
      const before = last.get(ref.txn.writer);
      if (before !== undefined) {
        const b = before.ref;
        const inOrder = ref.txn.seq > b.txn.seq || (ref.txn.seq === b.txn.seq && ref.index > b.index);
        if (!inOrder && r.value !== before.r.value) {
          anomalies.push({
            kind: 'order',
            reader,
            writer: ref.txn.writer,
            seq: ref.txn.seq,
            values: [before.r.value, r.value],
            message:
              `${reader} read ${key}@${r.offset} = ${r.value} (txn ${ref.txn.seq}, write ${ref.index}) after ` +
              `${key}@${before.r.offset} = ${before.r.value} (txn ${b.txn.seq}, write ${b.index}) of the same writer ${ref.txn.writer}`,
          });
        }
      }
      if (before === undefined || ref.txn.seq > before.ref.txn.seq || (ref.txn.seq === before.ref.txn.seq && ref.index > before.ref.index)) {
        last.set(ref.txn.writer, { ref, r });
      }
    }
  }
}

/** Visibility of the transactions in a complete read: all of a committed one, all or none of an unknown one. */
function checkComplete(view: ReaderView, txns: readonly TxnRecord[], anomalies: Anomaly[], stats: HistoryStats): void {
  const reader = view.log.reader;
  for (const txn of txns) {
    if (txn.outcome === 'aborted' || txn.writes.length === 0) continue;
    const seen = txn.writes.filter((w) => view.places.has(w.value));
    const missing = txn.writes.filter((w) => !view.places.has(w.value));
    if (txn.outcome === 'unknown') {
      if (seen.length === txn.writes.length) stats.unknownVisible++;
      else if (seen.length === 0) stats.unknownInvisible++;
    }
    const list = (ws: TxnWrite[]): string => ws.map((w) => `${w.value} (${tpKey(w.topic, w.partition)})`).join(', ');
    if (txn.outcome === 'committed' && missing.length > 0) {
      anomalies.push({
        kind: 'lost-write',
        reader,
        writer: txn.writer,
        seq: txn.seq,
        values: missing.map((w) => w.value),
        message: `complete read ${reader} lacks ${missing.length} of the ${txn.writes.length} values of ${txnName(txn)}: ${list(missing)}`,
      });
    }
    if (seen.length > 0 && missing.length > 0) {
      anomalies.push({
        kind: 'torn',
        reader,
        writer: txn.writer,
        seq: txn.seq,
        values: missing.map((w) => w.value),
        message: `${txnName(txn)} is partly visible to ${reader}: read ${list(seen)}; not read ${list(missing)}`,
      });
    }
  }
}

/**
 * Visibility in a prefix read: in a partition where the reader read a later transaction of a
 * writer, it read past every earlier transaction of that writer there, so it must have read
 * all of a committed one and all or none of an unknown one.
 */
function checkPrefix(view: ReaderView, writes: Map<string, WriteRef>, txns: readonly TxnRecord[], anomalies: Anomaly[]): void {
  const reader = view.log.reader;
  for (const [key, records] of view.partitions) {
    const lastSeq = new Map<string, number>();
    for (const r of records) {
      const ref = writes.get(r.value);
      if (ref === undefined || ref.txn.outcome === 'aborted' || tpKey(ref.write.topic, ref.write.partition) !== key) continue;
      lastSeq.set(ref.txn.writer, Math.max(lastSeq.get(ref.txn.writer) ?? -1, ref.txn.seq));
    }
    const readHere = new Set(records.map((r) => r.value));
    for (const txn of txns) {
      if (txn.outcome === 'aborted' || txn.seq >= (lastSeq.get(txn.writer) ?? -1)) continue;
      const here = writesIn(txn, key);
      if (here.length === 0) continue;
      const seen = here.filter((w) => readHere.has(w.value));
      const missing = here.filter((w) => !readHere.has(w.value));
      if (missing.length === 0) continue;
      const later = `it read ${txn.writer} txn ${lastSeq.get(txn.writer)} there`;
      if (txn.outcome === 'committed') {
        anomalies.push({
          kind: 'lost-write',
          reader,
          writer: txn.writer,
          seq: txn.seq,
          values: missing.map((w) => w.value),
          message: `${reader} skipped ${missing.map((w) => w.value).join(', ')} of ${txnName(txn)} in ${key}: ${later}`,
        });
      }
      if (seen.length > 0) {
        anomalies.push({
          kind: 'torn',
          reader,
          writer: txn.writer,
          seq: txn.seq,
          values: missing.map((w) => w.value),
          message: `${txnName(txn)} is partly visible to ${reader} in ${key} (${later}): read ${seen.map((w) => w.value).join(', ')}; not read ${missing.map((w) => w.value).join(', ')}`,
        });
      }
    }
  }
}

/**
 * Checks a history and returns every anomaly found (an empty list for a correct run) with
 * counts for a summary. Throws only for a malformed history (a value or transaction listed
 * twice), which is a workload bug.
 */
export function checkHistory(history: History): CheckResult {
  const writes = indexWrites(history.txns);
  const anomalies: Anomaly[] = [];
  const stats: HistoryStats = {
    txns: { committed: 0, aborted: 0, unknown: 0 },
    writes: writes.size,
    unknownVisible: 0,
    unknownInvisible: 0,
    recordsRead: {},
  };
  for (const txn of history.txns) stats.txns[txn.outcome]++;
  const views = history.reads.map((log) => viewOf(log, anomalies));
  for (const view of views) {
    stats.recordsRead[view.log.reader] = [...view.partitions.values()].reduce((n, rs) => n + rs.length, 0);
    checkRecords(view, writes, anomalies);
    if (view.log.complete) checkComplete(view, history.txns, anomalies, stats);
    else checkPrefix(view, writes, history.txns, anomalies);
  }
  // Across readers: one offset holds one value, and whatever any reader read as committed a
  // complete read must hold too.
  const firstAt = new Map<string, { reader: string; value: string }>();
  for (const view of views) {
    for (const [key, records] of view.partitions) {
      for (const r of records) {
        const at = `${key}@${r.offset}`;
        const before = firstAt.get(at);
        if (before === undefined) firstAt.set(at, { reader: view.log.reader, value: r.value });
        else if (before.value !== r.value) {
          anomalies.push({
            kind: 'offset-conflict',
            reader: view.log.reader,
            values: [before.value, r.value],
            message: `${before.reader} read ${at} = ${before.value}, ${view.log.reader} read ${at} = ${r.value}`,
          });
        }
      }
    }
  }
  const completes = views.filter((v) => v.log.complete);
  for (const complete of completes) {
    for (const other of views) {
      if (other === complete) continue;
      const abortedSeen = new Map<TxnRecord, ReadRecord[]>();
      for (const [value, places] of other.places) {
        if (complete.places.has(value)) continue;
        const ref = writes.get(value);
        if (ref === undefined || ref.txn.outcome === 'aborted') continue; // never-written / aborted-read already
        if (ref.txn.outcome === 'unknown' && ref.txn.writes.every((w) => !complete.places.has(w.value))) {
          // The complete read shows the transaction aborted: reading it was an aborted read.
          let list = abortedSeen.get(ref.txn);
          if (list === undefined) abortedSeen.set(ref.txn, (list = []));
          list.push(...places);
          continue;
        }
        anomalies.push({
          kind: 'lost-write',
          reader: complete.log.reader,
          writer: ref?.txn.writer,
          seq: ref?.txn.seq,
          values: [value],
          message: `${other.log.reader} read ${value} at ${places.map((r) => `${tpKey(r.topic, r.partition)}@${r.offset}`).join(', ')}, but complete read ${complete.log.reader} lacks it`,
        });
      }
      for (const [txn, places] of abortedSeen) {
        anomalies.push({
          kind: 'aborted-read',
          reader: other.log.reader,
          writer: txn.writer,
          seq: txn.seq,
          values: places.map((r) => r.value),
          message:
            `${other.log.reader} read ${places.length} of the ${txn.writes.length} values of ${txnName(txn)}, which complete read ${complete.log.reader} shows aborted: ` +
            places.map((r) => `${r.value} at ${tpKey(r.topic, r.partition)}@${r.offset}`).join(', '),
        });
      }
    }
  }
  return { anomalies, stats };
}

/** A few lines describing anomalies, grouped by kind (at most `perKind` messages each). */
export function describeAnomalies(anomalies: readonly Anomaly[], perKind = 5): string {
  const byKind = new Map<AnomalyKind, Anomaly[]>();
  for (const a of anomalies) {
    let list = byKind.get(a.kind);
    if (list === undefined) byKind.set(a.kind, (list = []));
    list.push(a);
  }
  const lines: string[] = [];
  for (const [kind, list] of byKind) {
    lines.push(`${kind}: ${list.length}`);
    for (const a of list.slice(0, perKind)) lines.push(`  ${a.message}`);
    if (list.length > perKind) lines.push(`  … and ${list.length - perKind} more`);
  }
  return lines.join('\n');
}
