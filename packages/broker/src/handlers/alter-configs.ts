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
import { BROKER_CONFIG_DEF } from '../config/broker-config-keys.js';
import { BrokerConfig, TopicConfigs } from '../config/effective-config.js';
import { ALTER_CONFIG_OP, applyIncrementalAlterOps, diffConfigs } from '../config/incremental-alter.js';
import { TOPIC_CONFIG_DEF } from '../config/topic-config.js';
import { ResourceType } from '../config-wire.js';
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
        const nullSet = r.configs.find((c) => c.configOperation === ALTER_CONFIG_OP.SET && c.value === null);
        let opProblem: Outcome | null = nullSet
          ? { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Null value not supported for: ${nullSet.name}` }
          : null;
        const def = r.resourceType === ResourceType.TOPIC ? TOPIC_CONFIG_DEF : BROKER_CONFIG_DEF;
        const outcome = await applyChange(
          s,
          r.resourceType,
          r.resourceName,
          req.validateOnly,
          (current) => {
            const applied = applyIncrementalAlterOps(def, current, r.configs);
            if (applied.ok) return applied.configs;
            opProblem ??= { errorCode: applied.errorCode, errorMessage: applied.message };
            return new Map(current);
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
    const changes = diffConfigs(current, next);
    const validation = validateOnly ? s.config.validateDynamicUpdate(changes, scope) : s.config.applyDynamicUpdate(changes, scope);
    if (!validation.ok) return { errorCode: validation.errorCode, errorMessage: validation.message };
    if (validateOnly) return OK;
    await s.metadata.setBrokerConfigs(scope, s.config.dynamicConfigs(scope));
    s.topics.refreshLogConfigs();
    s.logger.info({ scope, configs: Object.fromEntries(s.config.dynamicConfigs(scope)) }, 'altered broker configs');
    for (const [name, value] of changes) {
      const noEffect = value === null ? null : BrokerConfig.noEffectWarning(name);
      if (noEffect !== null) s.logger.warn(noEffect);
    }
    return OK;
  }
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Resource type ${resourceType} cannot be altered here` };
}
