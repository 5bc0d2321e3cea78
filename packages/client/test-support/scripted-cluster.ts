/**
 * Scripted brokers for the client's unit tests: real TCP listeners on
 * 127.0.0.1 that serve only the API versions a test lists and answer from a
 * script. ApiVersions and Metadata (one topic `t`, `leaders[p]` leading
 * partition p) are answered here, everything else by the script, which may
 * also drop the connection ('close').
 */
import type { TestContext } from 'node:test';
import { createServer, type Server, type Socket } from 'node:net';
import {
  ApiVersionsApi,
  ErrorCode,
  MetadataApi,
  Reader,
  Writer,
  ZERO_UUID,
  apiByKey,
  decodeRequestHeader,
  encodeResponseHeader,
  type AnyApiDescriptor,
  type MetadataRequest,
  type MetadataResponse,
} from '@samsa/protocol';

/** One request a scripted broker received. */
export interface Received {
  node: number;
  api: string;
  version: number;
  req: unknown;
}

/** What a script answers: a response object for the API, or 'close' to drop the connection. */
export type Script = (r: Received) => unknown;

export interface ScriptedCluster {
  bootstrap: string;
  /** The port of each node. */
  ports: number[];
  received: Received[];
  /** Requests other than ApiVersions and Metadata, as `api vN @node`. */
  calls(): string[];
}

/**
 * `nodes` brokers sharing `apiKeys` and one topic layout (`leaders[p]` leads partition p of
 * topic `t`). ApiVersions and Metadata are answered here, everything else by `script`.
 */
export async function scriptedCluster(t: TestContext, apiKeys: Array<[AnyApiDescriptor, number, number]>, leaders: number[], script: Script, nodes = 2): Promise<ScriptedCluster> {
  const received: Received[] = [];
  const ports: number[] = [];
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const versions = [[ApiVersionsApi as AnyApiDescriptor, 0, 3] as const, [MetadataApi as AnyApiDescriptor, 1, 12] as const, ...apiKeys].map(([api, minVersion, maxVersion]) => ({ apiKey: api.apiKey, minVersion, maxVersion }));
  const metadata = (req: MetadataRequest): MetadataResponse => ({
    throttleTimeMs: 0,
    brokers: ports.map((port, nodeId) => ({ nodeId, host: '127.0.0.1', port, rack: null })),
    clusterId: 'scripted',
    controllerId: 0,
    clusterAuthorizedOperations: -2147483648,
    errorCode: 0,
    topics: (req.topics ?? [{ name: 't' }]).map(({ name }) => ({
      errorCode: name === 't' ? 0 : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      name,
      topicId: ZERO_UUID,
      isInternal: false,
      topicAuthorizedOperations: -2147483648,
      partitions: (name === 't' ? leaders : []).map((leaderId, partitionIndex) => ({ errorCode: 0, partitionIndex, leaderId, leaderEpoch: 0, replicaNodes: [leaderId], isrNodes: [leaderId], offlineReplicas: [] })),
    })),
  });
  const onFrame = (node: number, socket: Socket, frame: Buffer): void => {
    const peek = new Reader(frame);
    const apiKey = peek.readInt16();
    const version = peek.readInt16();
    const api = apiByKey.get(apiKey) as AnyApiDescriptor;
    const r = new Reader(frame);
    const header = decodeRequestHeader(r, api.requestHeaderVersion(version));
    const req = api.decodeRequest(r, version);
    const call: Received = { node, api: api.name, version, req };
    received.push(call);
    let res: unknown;
    if (apiKey === ApiVersionsApi.apiKey) {
      res = { errorCode: 0, apiKeys: versions, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1, finalizedFeatures: [], zkMigrationReady: false };
    } else if (apiKey === MetadataApi.apiKey) {
      res = metadata(req as MetadataRequest);
    } else {
      res = script(call);
    }
    if (res === 'close') {
      socket.destroy();
      return;
    }
    const w = new Writer();
    encodeResponseHeader(w, { correlationId: header.correlationId }, api.responseHeaderVersion(version));
    api.encodeResponse(w, res, version);
    const size = Buffer.alloc(4);
    size.writeInt32BE(w.length);
    socket.write(Buffer.concat([size, ...w.toBuffers()]));
  };
  for (let node = 0; node < nodes; node++) {
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      let buf = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
          buf = buf.subarray(4 + frame.length);
          if (!socket.destroyed) onFrame(node, socket, frame);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    ports.push((server.address() as { port: number }).port);
  }
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });
  return {
    bootstrap: `127.0.0.1:${ports[0]}`,
    ports,
    received,
    calls: () => received.filter((c) => c.api !== 'ApiVersions' && c.api !== 'Metadata').map((c) => `${c.api} v${c.version} @${c.node}`),
  };
}

