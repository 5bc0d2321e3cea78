// IncrementalAlterConfigs operations (SET, DELETE, APPEND, SUBTRACT) applied
// to a resource's stored configs, as Kafka's ConfigAdminManager
// .prepareIncrementalConfigs does. The result is then validated as a whole:
// TopicConfigs.validate for topics, BrokerConfig.validateDynamicUpdate (with
// `diffConfigs`) for brokers.

import { INVALID_CONFIG, INVALID_REQUEST, type ConfigDef } from './config-def.js';

/** IncrementalAlterConfigs `ConfigOperation` codes. */
export const ALTER_CONFIG_OP = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

/** One requested change, named as in the IncrementalAlterConfigs request. */
export interface AlterableConfigOp {
  name: string;
  configOperation: number;
  value: string | null;
}

/**
 * Apply incremental operations to `current` (the resource's stored configs,
 * not including defaults). APPEND and SUBTRACT work on LIST configs only;
 * APPEND starts from the stored value or, when none, the key's default, and
 * skips elements already present.
 *
 * Errors, as Kafka reports them: a name given twice → INVALID_REQUEST (42)
 * "Error due to duplicate config keys"; an unknown operation → INVALID_REQUEST;
 * APPEND/SUBTRACT on an unknown or non-list config → INVALID_CONFIG (40).
 */
export function applyIncrementalAlterOps(
  def: ConfigDef,
  current: ReadonlyMap<string, string>,
  ops: readonly AlterableConfigOp[],
): { ok: true; configs: Map<string, string> } | { ok: false; errorCode: number; message: string } {
  const names = ops.map((o) => o.name);
  if (new Set(names).size !== names.length) return { ok: false, errorCode: INVALID_REQUEST, message: 'Error due to duplicate config keys' };

  const out = new Map(current);
  for (const op of ops) {
    switch (op.configOperation) {
      case ALTER_CONFIG_OP.SET:
        out.set(op.name, op.value ?? '');
        break;
      case ALTER_CONFIG_OP.DELETE:
        out.delete(op.name);
        break;
      case ALTER_CONFIG_OP.APPEND:
      case ALTER_CONFIG_OP.SUBTRACT: {
        const verb = op.configOperation === ALTER_CONFIG_OP.APPEND ? 'append' : 'subtract';
        const key = def.key(op.name);
        if (key === undefined || key.type !== 'list') {
          return { ok: false, errorCode: INVALID_CONFIG, message: `Config value ${verb} is not allowed for config key: ${op.name}` };
        }
        const base = out.get(op.name) ?? key.default ?? '';
        const old = splitList(base);
        const delta = splitList(op.value ?? '');
        const next = verb === 'append' ? [...old, ...delta.filter((v) => !old.includes(v))] : old.filter((v) => !delta.includes(v));
        out.set(op.name, [...new Set(next)].join(','));
        break;
      }
      default:
        return { ok: false, errorCode: INVALID_REQUEST, message: `Unknown alter config operation ${op.configOperation} for config key: ${op.name}` };
    }
  }
  return { ok: true, configs: out };
}

function splitList(text: string): string[] {
  const t = text.trim();
  return t === '' ? [] : t.split(/\s*,\s*/);
}

/** The changes turning `before` into `after`: changed or added keys with their value, removed keys with null. */
export function diffConfigs(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const [k, v] of after) if (before.get(k) !== v) out.set(k, v);
  for (const k of before.keys()) if (!after.has(k)) out.set(k, null);
  return out;
}
