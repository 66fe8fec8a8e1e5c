/**
 * A paged fake API server on loopback (plain HTTP), for the real kubectl: discovery (enough for `kubectl
 * get pods`), and the lists of pods, ReplicaSets, Deployments, Jobs (none) and ServiceAccounts —
 * cluster-wide and per namespace — served as the API server serves them: `limit` and `continue`, kind and
 * metadata first, then the items, streamed in ~64 KB writes. No limit means the whole list in one
 * response. Selectors are not applied (the benchmark uses none). Anything else is a 404 Status, so a plan
 * that asks for more than the model provides fails loudly rather than measuring an error path.
 *
 * Given the protobuf schema, pods asked for as protobuf first (`Accept`) are served so, as the API server
 * serves built-in kinds: each pod encoded once when the cluster is set (from a template, ~30 µs a pod),
 * so serving a page costs what serving its JSON does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { protobufMediaType } from "../src/adapters/protobuf-list-stream.js";
import {
  type ClusterModel,
  deploymentOf,
  namespaceCount,
  namespaceOf,
  podTemplateJson,
  podValues,
  renderDeployment,
  renderPod,
  renderReplicaSet,
  renderServiceAccount,
  replicasPerDeployment,
} from "./cluster-model.js";
import { envelope, listItem, listMeta, ProtobufTemplate, type ProtoSchema } from "./protobuf-encoder.js";

/** A list the server can page through: `count` items, each rendered and placed on demand. */
interface Collection {
  kind: string;
  apiVersion: string;
  count: number;
  render(index: number): string;
  namespace(index: number): string;
  /** Each item as protobuf, when the server has it so. */
  protobuf?: readonly Buffer[];
}

export interface FakeApiServer {
  url: string;
  /** Serves this cluster from now on. */
  serve(model: ClusterModel): void;
  close(): Promise<void>;
}

function collectionsOf(model: ClusterModel, schema: ProtoSchema | null): Record<string, Collection> {
  const deployments = Math.ceil(model.pods / replicasPerDeployment);
  const podProtobuf = schema && new ProtobufTemplate(schema, "k8s.io.api.core.v1.Pod", podTemplateJson);
  return {
    "/api/v1/pods": {
      kind: "PodList",
      apiVersion: "v1",
      count: model.pods,
      render: (j) => renderPod(model, j),
      namespace: (j) => namespaceOf(deploymentOf(j)),
      ...(podProtobuf
        ? { protobuf: Array.from({ length: model.pods }, (_, j) => podProtobuf.render(podValues(model, j))) }
        : {}),
    },
    "/apis/apps/v1/replicasets": {
      kind: "ReplicaSetList",
      apiVersion: "apps/v1",
      count: deployments,
      render: (d) => renderReplicaSet(model, d),
      namespace: (d) => namespaceOf(d),
    },
    "/apis/apps/v1/deployments": {
      kind: "DeploymentList",
      apiVersion: "apps/v1",
      count: deployments,
      render: (d) => renderDeployment(model, d),
      namespace: (d) => namespaceOf(d),
    },
    "/apis/batch/v1/jobs": {
      kind: "JobList",
      apiVersion: "batch/v1",
      count: 0,
      render: () => "",
      namespace: () => "",
    },
    "/api/v1/serviceaccounts": {
      kind: "ServiceAccountList",
      apiVersion: "v1",
      count: namespaceCount,
      render: (n) => renderServiceAccount(n),
      namespace: (n) => `team-${n}`,
    },
  };
}

/** `protobuf`: the schema to serve pods as protobuf with, when asked for (null: JSON only). */
export async function startFakeApiServer(protobuf: ProtoSchema | null = null): Promise<FakeApiServer> {
  let collections: Record<string, Collection> = {};
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    handle(url, req, res, collections).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    serve: (model) => {
      collections = collectionsOf(model, protobuf);
    },
    close: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function handle(
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
  collections: Record<string, Collection>,
): Promise<void> {
  const path = url.pathname.replace(/\/$/, "");
  const discovered = discovery[path];
  if (req.method === "GET" && discovered) return json(res, 200, discovered);
  const listPath =
    /^(\/api\/v1|\/apis\/apps\/v1|\/apis\/batch\/v1)(?:\/namespaces\/([^/]+))?\/(pods|replicasets|deployments|jobs|serviceaccounts)$/.exec(
      path,
    );
  const collection = listPath ? collections[`${listPath[1]}/${listPath[3]}`] : undefined;
  if (req.method !== "GET" || !listPath || !collection) {
    return json(
      res,
      404,
      status(404, "NotFound", `the fake API server does not serve ${req.method} ${path}`),
    );
  }
  const namespace = listPath[2] === undefined ? null : decodeURIComponent(listPath[2]);
  const limit = Number(url.searchParams.get("limit") ?? 0) || Number.POSITIVE_INFINITY;
  const token = url.searchParams.get("continue");
  let from = 0;
  if (token) {
    try {
      from = (JSON.parse(Buffer.from(token, "base64url").toString()) as { next: number }).next;
    } catch {
      return json(res, 400, status(400, "BadRequest", "continue key is not valid"));
    }
  }
  const wantsProtobuf = req.headers.accept?.split(",")[0]?.trim() === protobufMediaType;
  await streamPage(res, collection, namespace, from, limit, wantsProtobuf);
}

/** One page: the indexes from `from` on (in `namespace`, when given), at most `limit` of them. */
async function streamPage(
  res: ServerResponse,
  collection: Collection,
  namespace: string | null,
  from: number,
  limit: number,
  wantsProtobuf: boolean,
): Promise<void> {
  const inScope = (i: number) => namespace === null || collection.namespace(i) === namespace;
  const indexes: number[] = [];
  let next = from;
  for (; next < collection.count && indexes.length < limit; next++) if (inScope(next)) indexes.push(next);
  let remaining = 0;
  for (let i = next; i < collection.count; i++) if (inScope(i)) remaining++;
  const metadata: Record<string, unknown> = { resourceVersion: "200000" };
  if (remaining > 0) {
    metadata["continue"] = Buffer.from(JSON.stringify({ next })).toString("base64url");
    metadata["remainingItemCount"] = remaining;
  }
  const { protobuf } = collection;
  if (wantsProtobuf && protobuf) {
    res.writeHead(200, { "Content-Type": protobufMediaType, "Cache-Control": "no-cache, private" });
    const items = indexes.map((i) => listItem(protobuf[i]!));
    const list = [listMeta(metadata as { resourceVersion: string }), ...items];
    const length = list.reduce((sum, bytes) => sum + bytes.length, 0);
    const { head, tail } = envelope(collection.apiVersion, collection.kind, length);
    await writeAll(res, [head, ...list, tail]);
    res.end();
    return;
  }
  res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private" });
  let buffer = `{"kind":"${collection.kind}","apiVersion":"${collection.apiVersion}","metadata":${JSON.stringify(metadata)},"items":[`;
  for (let k = 0; k < indexes.length; k++) {
    buffer += (k === 0 ? "" : ",") + collection.render(indexes[k]!);
    if (buffer.length >= 65536) {
      if (!res.write(buffer)) await new Promise((resolve) => res.once("drain", resolve));
      buffer = "";
    }
  }
  res.end(`${buffer}]}\n`);
}

/** Writes `parts` in ~64 KB writes, waiting when the socket is full. */
async function writeAll(res: ServerResponse, parts: readonly Buffer[]): Promise<void> {
  let pending: Buffer[] = [];
  let size = 0;
  for (const part of parts) {
    pending.push(part);
    size += part.length;
    if (size < 65536) continue;
    if (!res.write(Buffer.concat(pending))) await new Promise((resolve) => res.once("drain", resolve));
    pending = [];
    size = 0;
  }
  if (size > 0) res.write(Buffer.concat(pending));
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { "Content-Type": "application/json" });
  res.end(`${JSON.stringify(body)}\n`);
}

function status(code: number, reason: string, message: string) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

const verbs = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
const resource = (name: string, kind: string, namespaced: boolean, shortNames?: string[]) => ({
  name,
  singularName: kind.toLowerCase(),
  namespaced,
  kind,
  verbs,
  ...(shortNames ? { shortNames } : {}),
});

/** Legacy discovery: kubectl falls back to it when the aggregated form is not offered. */
const discovery: Record<string, unknown> = {
  "/version": { major: "1", minor: "35", gitVersion: "v1.35.4", platform: "linux/amd64" },
  "/api": { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] },
  "/apis": {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: ["apps", "batch"].map((name) => ({
      name,
      versions: [{ groupVersion: `${name}/v1`, version: "v1" }],
      preferredVersion: { groupVersion: `${name}/v1`, version: "v1" },
    })),
  },
  "/api/v1": {
    kind: "APIResourceList",
    groupVersion: "v1",
    resources: [
      resource("pods", "Pod", true, ["po"]),
      resource("serviceaccounts", "ServiceAccount", true, ["sa"]),
      resource("secrets", "Secret", true),
      resource("nodes", "Node", false, ["no"]),
      resource("namespaces", "Namespace", false, ["ns"]),
    ],
  },
  "/apis/apps/v1": {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: "apps/v1",
    resources: [
      resource("replicasets", "ReplicaSet", true, ["rs"]),
      resource("deployments", "Deployment", true),
    ],
  },
  "/apis/batch/v1": {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: "batch/v1",
    resources: [resource("jobs", "Job", true)],
  },
};
