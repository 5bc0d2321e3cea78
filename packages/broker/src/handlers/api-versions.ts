/**
 * ApiVersions (key 18), versions 0-3.
 *
 * Answers with exactly the APIs and version ranges the router serves. A
 * request at a version the broker does not know is answered by the router
 * (v0 body, UNSUPPORTED_VERSION, full list) so clients can retry lower.
 * Always uses response header v0, even for flexible versions (KIP-511);
 * the generated descriptor encodes that rule.
 *
 * Not yet: feature flags (v3 SupportedFeatures/FinalizedFeatures are empty),
 * v4 (only adds an UNSUPPORTED_VERSION detail for newer clients).
 */
import { ApiVersionsApi, ErrorCode, type ApiVersionsRequest, type ApiVersionsResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { ApiHandler } from '../request-context.js';

export function apiVersionsHandler(s: BrokerServices): ApiHandler<ApiVersionsRequest, ApiVersionsResponse> {
  return {
    api: ApiVersionsApi,
    minVersion: 0,
    maxVersion: 3,
    handle: () => ({
      errorCode: ErrorCode.NONE,
      apiKeys: s.supportedVersions(),
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1,
      finalizedFeatures: [],
      zkMigrationReady: false,
    }),
  };
}
