/**
 * AlterConfigs (key 33), versions 0-2, and IncrementalAlterConfigs (key 44),
 * versions 0-1.
 *
 * AlterConfigs replaces a resource's whole set of dynamic overrides (configs
 * left out return to their defaults); IncrementalAlterConfigs applies SET,
 * DELETE, APPEND and SUBTRACT (the last two for list configs) to the current
 * overrides. Both validate the result completely before changing anything
 * and honour ValidateOnly.
 *
 * TOPIC: unknown topic UNKNOWN_TOPIC_OR_PARTITION; unknown key, bad value,
 * null value on SET, APPEND/SUBTRACT on a non-list config INVALID_CONFIG.
 * BROKER (name = this node id, or "" for the cluster-wide default): read-only
 * and unknown configs and bad values get INVALID_REQUEST with Kafka's wording;
 * other brokers' ids INVALID_REQUEST. Applied changes are persisted with the
 * topic metadata and re-applied on start.
 */
import {
  AlterConfigsApi,
  ErrorCode,
  IncrementalAlterConfigsApi,
  type AlterConfigsRequest,
  type AlterConfigsResponse,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import { TopicConfigs } from '../config/effective-config.js';
import { AlterConfigOp, ResourceType } from '../config-wire.js';
import type { ApiHandler } from '../request-context.js';

type Result = AlterConfigsResponse['responses'][number];
type Outcome = { errorCode: number; errorMessage: string | null };

const OK: Outcome = { errorCode: ErrorCode.NONE, errorMessage: null };

export function alterConfigsHandler(s: BrokerServices): ApiHandler<AlterConfigsRequest, AlterConfigsResponse> {
  return {
    api: AlterConfigsApi,
    minVersion: 0,
    maxVersion: 2,
    async handle(_ctx, req) {
      const responses: Result[] = [];
      for (const r of req.resources) {
        const nullKey = r.configs.find((c) => c.value === null);
        const outcome: Outcome = nullKey
          ? { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Null value not supported for: ${nullKey.name}` }
          : await applyChange(s, r.resourceType, r.resourceName, req.validateOnly, () => new Map(r.configs.map((c) => [c.name, c.value ?? ''])), true);
        responses.push({ ...outcome, resourceType: r.resourceType, resourceName: r.resourceName });
      }
      return { throttleTimeMs: 0, responses };
    },
  };
}

export function incrementalAlterConfigsHandler(
  s: BrokerServices,
): ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> {
  return {
    api: IncrementalAlterConfigsApi,
    minVersion: 0,
    maxVersion: 1,
    async handle(_ctx, req) {
      const responses: IncrementalAlterConfigsResponse['responses'] = [];
      for (const r of req.resources) {
        let opProblem: Outcome | null = null;
        const outcome = await applyChange(
          s,
          r.resourceType,
          r.resourceName,
          req.validateOnly,
          (current) => {
            const next = new Map(current);
            for (const c of r.configs) {
              switch (c.configOperation) {
                case AlterConfigOp.SET:
                  if (c.value === null) opProblem = { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Null value not supported for: ${c.name}` };
                  else next.set(c.name, c.value);
                  break;
                case AlterConfigOp.DELETE:
                  next.delete(c.name);
                  break;
                case AlterConfigOp.APPEND:
                case AlterConfigOp.SUBTRACT: {
                  if (!isListConfig(c.name)) {
                    opProblem = {
                      errorCode: ErrorCode.INVALID_CONFIG,
                      errorMessage: `Config value append/subtract is not allowed for config key ${c.name}, which is not a list`,
                    };
                    break;
                  }
                  const items = splitList(next.get(c.name) ?? effectiveDefault(s, r.resourceType, c.name));
                  const given = splitList(c.value ?? '');
                  const updated =
                    c.configOperation === AlterConfigOp.APPEND ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i));
                  next.set(c.name, updated.join(','));
                  break;
                }
                default:
                  opProblem = { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown config operation ${c.configOperation}` };
              }
            }
            return next;
          },
          false,
          () => opProblem,
        );
        responses.push({ ...outcome, resourceType: r.resourceType, resourceName: r.resourceName });
      }
      return { throttleTimeMs: 0, responses };
    },
  };
}

/** Topic configs whose values are lists (APPEND/SUBTRACT apply). */
const LIST_CONFIGS = new Set(['cleanup.policy', 'leader.replication.throttled.replicas', 'follower.replication.throttled.replicas']);

function isListConfig(name: string): boolean {
  return LIST_CONFIGS.has(name);
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

function effectiveDefault(s: BrokerServices, resourceType: number, name: string): string {
  if (resourceType !== ResourceType.TOPIC) return '';
  return TopicConfigs.describe(new Map(), s.config, [name])[0]?.value ?? '';
}

async function applyChange(
  s: BrokerServices,
  resourceType: number,
  resourceName: string,
  validateOnly: boolean,
  compute: (current: ReadonlyMap<string, string>) => Map<string, string>,
  replaceAll: boolean,
  problem: () => Outcome | null = () => null,
): Promise<Outcome> {
  if (resourceType === ResourceType.TOPIC) {
    const topic = s.metadata.topic(resourceName);
    if (!topic) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${resourceName} does not exist` };
    const next = compute(replaceAll ? new Map() : topic.configs);
    const p = problem();
    if (p) return p;
    const validation = TopicConfigs.validate(next);
    if (!validation.ok) return { errorCode: validation.errorCode, errorMessage: validation.message };
    if (validateOnly) return OK;
    await s.topics.setConfigs(resourceName, next);
    s.logger.info({ topic: resourceName, configs: Object.fromEntries(next) }, 'altered topic configs');
    return OK;
  }
  if (resourceType === ResourceType.BROKER) {
    if (resourceName !== '' && resourceName !== String(s.nodeId)) {
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id ${resourceName}` };
    }
    const scope = resourceName === '' ? 'cluster-default' : 'broker';
    const current = s.config.dynamicConfigs(scope);
    const next = compute(replaceAll ? new Map() : current);
    const p = problem();
    if (p) return p;
    // Keys that disappear return to their static or default value.
    const changes = new Map<string, string | null>(next);
    for (const key of current.keys()) if (!next.has(key)) changes.set(key, null);
    const validation = validateOnly ? s.config.validateDynamicUpdate(changes, scope) : s.config.applyDynamicUpdate(changes, scope);
    if (!validation.ok) return { errorCode: validation.errorCode, errorMessage: validation.message };
    if (validateOnly) return OK;
    await s.metadata.setBrokerConfigs(scope, s.config.dynamicConfigs(scope));
    s.topics.refreshLogConfigs();
    s.logger.info({ scope, configs: Object.fromEntries(s.config.dynamicConfigs(scope)) }, 'altered broker configs');
    return OK;
  }
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Resource type ${resourceType} cannot be altered here` };
}
