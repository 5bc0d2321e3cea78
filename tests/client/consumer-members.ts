// Test-side handle of consumer group members running in their own processes
// (consumer-member-process.ts), and the checks the group tests make on what they report:
// who owned which partition when, and that no partition ever had two owners at once.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exited, trackChild } from '../support/cleanup.js';
import { withTimeout } from '../support/wait-for.js';
import type { MemberSpec } from './consumer-member-process.js';

const script = fileURLToPath(new URL('./consumer-member-process.js', import.meta.url));

/** One line a member printed. */
export interface MemberEvent {
  type: 'assigned' | 'revoked' | 'lost' | 'join' | 'record' | 'commit' | 'running' | 'crash' | 'stopped';
  t: number;
  partitions?: number[];
  partition?: number;
  offset?: number;
  value?: string | null;
  generationId?: number;
  memberId?: string;
  message?: string;
}

/** A member process. */
export interface Member {
  readonly name: string;
  readonly events: MemberEvent[];
  /** Partitions owned now, per the rebalance callbacks. */
  owned(): Set<number>;
  /** Values of the records it handled. */
  values(): string[];
  alive(): boolean;
  stderr(): string;
  /** SIGKILL: gone without leaving the group. Returns the kill time. */
  kill9(): Promise<number>;
  /** SIGTERM: commits, leaves the group, exits. */
  stop(): Promise<void>;
  readonly killedAt: number | null;
}

/** Starts a member process. */
export function startMember(name: string, spec: MemberSpec): Member {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [script, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'pipe'] });
  trackChild(child);
  const events: MemberEvent[] = [];
  let partial = '';
  let stderr = '';
  let killedAt: number | null = null;
  child.stdout.on('data', (c: Buffer) => {
    partial += c.toString();
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl).trim();
      partial = partial.slice(nl + 1);
      if (line !== '') events.push(JSON.parse(line) as MemberEvent);
    }
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-20_000);
  });
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    name,
    events,
    owned: () => ownedNow(events),
    values: () => events.filter((e) => e.type === 'record').map((e) => e.value ?? ''),
    alive,
    stderr: () => stderr,
    get killedAt() {
      return killedAt;
    },
    async kill9() {
      killedAt = Date.now();
      child.kill('SIGKILL');
      await withTimeout(exited(child), 10_000, `${name} exit after SIGKILL`);
      return killedAt;
    },
    async stop() {
      if (!alive()) return;
      child.kill('SIGTERM');
      try {
        await withTimeout(exited(child), 20_000, `${name} exit after SIGTERM`);
      } catch {
        child.kill('SIGKILL');
        await exited(child);
      }
    },
  };
}

function ownedNow(events: readonly MemberEvent[]): Set<number> {
  const owned = new Set<number>();
  for (const e of events) {
    if (e.type === 'assigned') for (const p of e.partitions ?? []) owned.add(p);
    if (e.type === 'revoked' || e.type === 'lost') for (const p of e.partitions ?? []) owned.delete(p);
  }
  return owned;
}

/** A short description of who owns what, for failure messages. */
export function ownership(members: readonly Member[]): string {
  return members.map((m) => `${m.name}${m.alive() ? '' : ' (dead)'}: [${[...m.owned()].sort((a, b) => a - b).join(',')}]`).join('  ');
}

/**
 * Asserts that no partition was owned by two members at the same time. A member owns a
 * partition from its `assigned` callback until its `revoked`/`lost` callback returned, or
 * until it was killed, or until now.
 */
export function assertSingleOwners(members: readonly Member[]): void {
  const intervals = new Map<number, Array<{ member: string; from: number; to: number }>>();
  const now = Date.now();
  for (const m of members) {
    const open = new Map<number, number>();
    const end = m.killedAt ?? now;
    for (const e of m.events) {
      if (e.type === 'assigned') for (const p of e.partitions ?? []) open.set(p, e.t);
      if (e.type === 'revoked' || e.type === 'lost') {
        for (const p of e.partitions ?? []) {
          const from = open.get(p);
          if (from === undefined) continue;
          open.delete(p);
          push(p, { member: m.name, from, to: e.t });
        }
      }
    }
    for (const [p, from] of open) push(p, { member: m.name, from, to: end });
  }
  function push(p: number, i: { member: string; from: number; to: number }): void {
    let l = intervals.get(p);
    if (l === undefined) intervals.set(p, (l = []));
    l.push(i);
  }
  for (const [p, list] of intervals) {
    list.sort((a, b) => a.from - b.from);
    for (let i = 1; i < list.length; i++) {
      assert.ok(
        list[i].from >= list[i - 1].to,
        `partition ${p} owned by ${list[i - 1].member} [${list[i - 1].from}, ${list[i - 1].to}) and ${list[i].member} from ${list[i].from}`,
      );
    }
  }
}

/** Whether the live members own all `partitions` partitions with the given counts (sorted). */
export function ownsExactly(members: readonly Member[], partitions: number, counts: number[]): boolean {
  const live = members.filter((m) => m.alive());
  const all = live.flatMap((m) => [...m.owned()]);
  const sizes = live.map((m) => m.owned().size).sort((a, b) => a - b);
  return new Set(all).size === partitions && all.length === partitions && sizes.join(',') === [...counts].sort((a, b) => a - b).join(',');
}
