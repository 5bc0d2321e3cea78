/**
 * `topology.describe()`: the structure of sub-topologies, printed in Kafka
 * Streams' format so the output can be compared with a Java app's:
 *
 *   Topologies:
 *      Sub-topology: 0
 *       Source: KSTREAM-SOURCE-0000000000 (topics: [input])
 *         --> KSTREAM-MAPVALUES-0000000001
 *       Processor: KSTREAM-MAPVALUES-0000000001 (stores: [])
 *         --> KSTREAM-SINK-0000000002
 *         <-- KSTREAM-SOURCE-0000000000
 *       Sink: KSTREAM-SINK-0000000002 (topic: output)
 *         <-- KSTREAM-MAPVALUES-0000000001
 *
 * Nodes are ordered as Kafka orders them: larger sub-tree first (so
 * sources come first), then by name.
 */
import type { NodeDef, ProcessorNodeDef, SinkNodeDef } from './nodes.js';
import type { Subtopology } from './topology.js';

/** A node as described. */
export interface NodeDescription {
  type: 'Source' | 'Processor' | 'Sink';
  name: string;
  /** Source: its topics. */
  topics?: string[];
  /** Sink: its topic (or `extractor` for a function). */
  topic?: string;
  /** Processor: its stores. */
  stores?: string[];
  successors: string[];
  predecessors: string[];
}

export interface SubtopologyDescription {
  id: number;
  nodes: NodeDescription[];
}

export interface TopologyDescription {
  subtopologies: SubtopologyDescription[];
  toString(): string;
}

function names(list: string[]): string {
  return list.length === 0 ? 'none' : list.join(', ');
}

function nodeText(n: NodeDescription): string {
  switch (n.type) {
    case 'Source':
      return `Source: ${n.name} (topics: [${(n.topics ?? []).join(', ')}])\n      --> ${names(n.successors)}`;
    case 'Processor':
      return `Processor: ${n.name} (stores: [${(n.stores ?? []).join(', ')}])\n      --> ${names(n.successors)}\n      <-- ${names(n.predecessors)}`;
    case 'Sink':
      return `Sink: ${n.name} (${n.topic === undefined ? 'extractor: function' : `topic: ${n.topic}`})\n      <-- ${names(n.predecessors)}`;
  }
}

/** Builds the description of `subtopologies`. */
export function describeTopology(subtopologies: Subtopology[], childrenOf: (name: string) => Array<ProcessorNodeDef | SinkNodeDef>): TopologyDescription {
  const size = new Map<string, number>();
  const sizeOf = (name: string): number => {
    let s = size.get(name);
    if (s === undefined) {
      s = 1 + childrenOf(name).reduce((acc, c) => acc + sizeOf(c.name), 0);
      size.set(name, s);
    }
    return s;
  };
  const order = (a: string, b: string): number => sizeOf(b) - sizeOf(a) || (a < b ? -1 : a > b ? 1 : 0);
  const subs = subtopologies.map((st) => ({
    id: st.id,
    nodes: [...st.nodes]
      .sort((a, b) => order(a.name, b.name))
      .map((n: NodeDef): NodeDescription => {
        const successors = childrenOf(n.name).map((c) => c.name).sort(order);
        const predecessors = n.kind === 'source' ? [] : [...n.parents].sort(order);
        if (n.kind === 'source') return { type: 'Source', name: n.name, topics: n.topics, successors, predecessors };
        if (n.kind === 'processor') return { type: 'Processor', name: n.name, stores: [...n.stores], successors, predecessors };
        return { type: 'Sink', name: n.name, ...(typeof n.topic === 'string' ? { topic: n.topic } : {}), successors, predecessors };
      }),
  }));
  return {
    subtopologies: subs,
    toString(): string {
      // Kafka prints "Topologies:\n " and then each sub-topology as "  Sub-topology: N\n" + nodes + "\n".
      let out = 'Topologies:\n ';
      for (const s of subs) {
        out += `  Sub-topology: ${s.id}\n`;
        for (const n of s.nodes) out += `    ${nodeText(n)}\n`;
        out += '\n';
      }
      return out;
    },
  };
}
