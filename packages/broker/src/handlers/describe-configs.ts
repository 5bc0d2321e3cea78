/**
 * DescribeConfigs (key 32), versions 0-4.
 *
 * TOPIC resources: dynamic topic overrides over broker-level synonyms over
 * defaults; BROKER resources: this broker's configs (name = its node id, or
 * "" for the cluster-wide defaults). ConfigurationKeys null = all. v0 marks
 * defaults with IsDefault; v1+ returns the source and, when asked, synonyms;
 * v3+ the type and, when asked, documentation. Sensitive values are null.
 *
 * Errors per resource: UNKNOWN_TOPIC_OR_PARTITION, INVALID_REQUEST for other
 * brokers' ids and for resource types not served (BROKER_LOGGER among them).
 */
import { DescribeConfigsApi, ErrorCode, type DescribeConfigsRequest, type DescribeConfigsResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import { TopicConfigs, type ConfigEntryView } from '../config/effective-config.js';
import { CONFIG_SOURCE_CODES, CONFIG_TYPE_CODES } from '../config/config-view.js';
import { ResourceType } from '../config-wire.js';
import type { ApiHandler } from '../request-context.js';

type Result = DescribeConfigsResponse['results'][number];

export function describeConfigsHandler(s: BrokerServices): ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse> {
  return {
    api: DescribeConfigsApi,
    minVersion: 0,
    maxVersion: 4,
    handle(ctx, req) {
      const results: Result[] = req.resources.map((r) => {
        const result: Result = {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: [],
        };
        const keys = r.configurationKeys ?? undefined;
        let entries: ConfigEntryView[];
        if (r.resourceType === ResourceType.TOPIC) {
          const topic = s.metadata.topic(r.resourceName);
          if (!topic) {
            result.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
            result.errorMessage = `Topic ${r.resourceName} does not exist`;
            return result;
          }
          entries = TopicConfigs.describe(new Map(topic.configs), s.config, keys, req.includeSynonyms, req.includeDocumentation);
        } else if (r.resourceType === ResourceType.BROKER) {
          if (r.resourceName !== '' && r.resourceName !== String(s.nodeId)) {
            result.errorCode = ErrorCode.INVALID_REQUEST;
            result.errorMessage = `Unexpected broker id, expected ${s.nodeId} or empty string, but received ${r.resourceName}`;
            return result;
          }
          entries = s.config.describe(keys, req.includeSynonyms, req.includeDocumentation);
        } else {
          result.errorCode = ErrorCode.INVALID_REQUEST;
          result.errorMessage = `Resource type ${r.resourceType} is not supported by DescribeConfigs here`;
          return result;
        }
        result.configs = entries.map((e) => ({
          name: e.name,
          value: e.value,
          readOnly: e.readOnly,
          isDefault: e.source === 'DEFAULT_CONFIG',
          configSource: CONFIG_SOURCE_CODES[e.source],
          isSensitive: e.isSensitive,
          synonyms: req.includeSynonyms || ctx.apiVersion === 0 ? e.synonyms.map((syn) => ({ name: syn.name, value: syn.value, source: CONFIG_SOURCE_CODES[syn.source] })) : [],
          configType: CONFIG_TYPE_CODES[e.type],
          documentation: req.includeDocumentation ? e.documentation : null,
        }));
        return result;
      });
      return { throttleTimeMs: 0, results };
    },
  };
}
