/**
 * Progress output of long-running commands, on stderr.
 *
 * Decision: progress is drawn only when stderr is a terminal — a bar redrawn
 * in place (at most every 100 ms) when the total is known (a file), a
 * running count otherwise (stdin). When stderr is not a terminal (a pipe, a
 * log file, CI) nothing is printed until the summary, so logs stay free of
 * carriage returns and repeated lines.
 */

const REDRAW_INTERVAL_MS = 100;
const BAR_WIDTH = 30;

/** What has been done so far. */
export interface ProgressState {
  bytes: number;
  records: number;
  elapsedMs: number;
}

/** `[#########.........]  31%  31.0/100.0 MiB  12.3 MiB/s  31,744 records` (the total null: no bar). */
export function renderProgress(state: ProgressState, totalBytes: number | null): string {
  const rate = state.elapsedMs > 0 ? state.bytes / (state.elapsedMs / 1000) : 0;
  const records = `${state.records.toLocaleString('en-US')} records`;
  if (totalBytes === null || totalBytes <= 0) return `${mib(state.bytes)} MiB  ${mib(rate)} MiB/s  ${records}`;
  const fraction = Math.min(1, state.bytes / totalBytes);
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `${bar} ${pct}  ${mib(state.bytes)}/${mib(totalBytes)} MiB  ${mib(rate)} MiB/s  ${records}`;
}

function mib(bytes: number): string {
  return (bytes / 1_048_576).toFixed(1);
}

/** A progress line on a terminal; does nothing when `stream` is not one. */
export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  readonly #totalBytes: number | null;
  readonly #startMs = Date.now();
  #lastDrawMs = 0;
  #drawn = false;

  constructor(stream: NodeJS.WriteStream, totalBytes: number | null) {
    this.#stream = stream;
    this.#enabled = stream.isTTY === true;
    this.#totalBytes = totalBytes;
  }

  /** Redraws the line if the last redraw is at least 100 ms old (or `force`). */
  update(bytes: number, records: number, force = false): void {
    if (!this.#enabled) return;
    const now = Date.now();
    if (!force && now - this.#lastDrawMs < REDRAW_INTERVAL_MS) return;
    this.#lastDrawMs = now;
    const line = renderProgress({ bytes, records, elapsedMs: now - this.#startMs }, this.#totalBytes);
    const width = this.#stream.columns || 80;
    this.#stream.write(`\r${line.slice(0, Math.max(0, width - 1))}\x1b[K`);
    this.#drawn = true;
  }

  /** Erases the line, so the summary starts on a clean one. */
  finish(): void {
    if (this.#enabled && this.#drawn) this.#stream.write('\r\x1b[K');
    this.#drawn = false;
  }
}
