/**
 * JoinGroup (key 11), versions 0-9.
 *
 * Joins (or rejoins) a classic-protocol group; the response is held until
 * the rebalance completes (see coordinators/group/group-coordinator.ts for
 * the state machine and the error precedence). Only the elected leader gets
 * the members and their metadata for the selected protocol.
 *
 * Version notes:
 *   v0      no rebalance timeout: the session timeout is used for both.
 *   v1      RebalanceTimeoutMs. v2 throttle time.
 *   v4      KIP-394: a new dynamic member gets MEMBER_ID_REQUIRED with its
 *           id and must join again with it.
 *   v5      GroupInstanceId (KIP-345 static membership, FENCED_INSTANCE_ID).
 *   v6      flexible. v7 ProtocolType and a nullable ProtocolName in the response.
 *   v8      Reason (logged only). v9 SkipAssignment (KIP-814): a static
 *           leader that rejoined without a rebalance gets the members but
 *           must not assign.
 * Before v7 a missing protocol name is written as "" (Kafka's NoProtocol).
 */
import { JoinGroupApi, type JoinGroupRequest, type JoinGroupResponse } from '@samsa/protocol';
import type { BrokerServices } from '../broker-services.js';
import type { MemberProtocol } from '../coordinators/group/group-member.js';
import type { ApiHandler } from '../request-context.js';

export function joinGroupHandler(s: BrokerServices): ApiHandler<JoinGroupRequest, JoinGroupResponse> {
  return {
    api: JoinGroupApi,
    minVersion: 0,
    maxVersion: 9,
    async handle(ctx, req) {
      const version = ctx.apiVersion;
      const protocols: MemberProtocol[] = [];
      const seen = new Set<string>();
      for (const p of req.protocols) {
        // Kafka keys the protocol list by name: a repeated name keeps its first entry.
        if (seen.has(p.name)) continue;
        seen.add(p.name);
        protocols.push({ name: p.name, metadata: p.metadata });
      }
      const groupInstanceId = version >= 5 ? req.groupInstanceId : null;
      const r = await s.groups.joinGroup({
        groupId: req.groupId,
        memberId: req.memberId,
        groupInstanceId,
        clientId: ctx.header.clientId ?? '',
        clientHost: `/${ctx.conn.remoteAddress}`,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: version >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
        protocolType: req.protocolType,
        protocols,
        requireKnownMemberId: version >= 4,
      });
      return {
        throttleTimeMs: 0,
        errorCode: r.errorCode,
        generationId: r.generationId,
        protocolType: r.protocolType,
        protocolName: version >= 7 ? r.protocolName : (r.protocolName ?? ''),
        leader: r.leader,
        skipAssignment: version >= 9 && r.skipAssignment,
        memberId: r.memberId,
        members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
      };
    },
  };
}
