/**
 * A list longer than a page against the test bed's API server, with the real kubectl: the first page by
 * `kubectl get --raw`, the rest through one real `kubectl proxy` on its Unix socket, with the caller's
 * identity (a ServiceAccount's token that may list in one namespace only). The plan's pages are 2,000
 * items; here they are 2, so a few objects make the pages.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

type Pod = { metadata: Record<string, unknown>; spec: Record<string, unknown> };

import { createExec, type Exec } from "../../src/adapters/exec.js";
import { parsedBy } from "../../src/adapters/json-list-stream.js";
import { listedResources } from "../../src/adapters/list-request.js";
import { startPageProxy } from "../../src/adapters/page-proxy.js";
import { readPagedList } from "../../src/adapters/paged-list.js";
import { protobufPodReader } from "../../src/adapters/pod-protobuf.js";
import { podReader, podShape } from "../../src/adapters/slim-objects.js";
import { SharedValues } from "../../src/util/shared-values.js";
import {
  apply,
  createNamespace,
  deleteNamespaces,
  kk,
  kubectlPath,
  testbed,
  tokenKubeconfig,
} from "../support/e2e.js";

const ns = "e2e-page-proxy";
const names = ["a", "b", "c", "d", "e"].map((n) => `reader-${n}`);
let kubeconfig = "";

beforeAll(async () => {
  await createNamespace(ns);
  for (const name of names) await kk(["create", "serviceaccount", "-n", ns, name]);
  await apply(
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "list-accounts", namespace: ns },
      rules: [{ apiGroups: [""], resources: ["serviceaccounts"], verbs: ["list"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "list-accounts", namespace: ns },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "list-accounts" },
      subjects: [{ kind: "ServiceAccount", name: names[0], namespace: ns }],
    },
  );
  const token = (await kk(["create", "token", "-n", ns, names[0]!])).trim();
  kubeconfig = tokenKubeconfig("page-proxy", ns, token);
}, 120_000);

afterAll(() => deleteNamespaces([ns]), 180_000);

function listAccounts(namespace: string) {
  const calls: string[][] = [];
  const real = createExec();
  const exec: Exec = (file, args, options) => {
    calls.push([...args]);
    return real(file, args, options);
  };
  const connectionArgs = [`--kubeconfig=${kubeconfig}`];
  const list = readPagedList({
    exec,
    kubectl: kubectlPath(),
    connectionArgs,
    resource: listedResources["serviceaccounts"]!,
    name: "get serviceaccounts",
    query: { namespace },
    pageSize: 2,
    read: parsedBy((item: { metadata: { name: string } }) => item.metadata.name),
    startProxy: (signal) =>
      startPageProxy({
        plural: "serviceaccounts",
        exec,
        kubectl: kubectlPath(),
        connectionArgs,
        ...(signal ? { signal } : {}),
      }),
  });
  return { list, calls };
}

describe("a list longer than a page, through kubectl proxy", () => {
  it("reads every page: the first by get --raw, the rest through one proxy with the same identity", async () => {
    const { list, calls } = listAccounts(ns);
    expect((await list).sort()).toEqual(["default", ...names].sort());
    // Six accounts, three pages: one get --raw and one proxy, both with the token's kubeconfig.
    expect(calls).toHaveLength(2);
    expect(calls[0]!.slice(0, 3)).toEqual([`--kubeconfig=${kubeconfig}`, "get", "--raw"]);
    expect(calls[1]!.slice(0, 2)).toEqual([`--kubeconfig=${kubeconfig}`, "proxy"]);
    expect(calls[1]!.at(-1)).toMatch(
      /^--unix-socket=\/.+\/kubectl-autoupdate-proxy-serviceaccounts-[^/]+\/sock$/,
    );
  });

  it("where the identity may not list, the first page says so in kubectl's words and no proxy starts", async () => {
    const { list, calls } = listAccounts("default");
    await expect(list).rejects.toThrow(/Error from server \(Forbidden\): serviceaccounts is forbidden/);
    expect(calls.filter((args) => args.includes("proxy"))).toEqual([]);
  });
});

describe("pods through kubectl proxy, asked for as protobuf first", () => {
  /** The namespace's pods, 2 a page, as the plan reads them: protobuf through the proxy, or JSON only. */
  async function listPods(protobuf: boolean) {
    const exec = createExec();
    const connectionArgs = [`--kubeconfig=${testbed().kubeconfig}`];
    const shared = new SharedValues();
    const read = podReader(shared);
    const readProtobuf = protobufPodReader(shared);
    let servedAsProtobuf = 0;
    const pods = await readPagedList({
      exec,
      kubectl: kubectlPath(),
      connectionArgs,
      resource: listedResources["pods"]!,
      name: "get pods",
      query: { namespace: ns },
      pageSize: 2,
      shape: podShape,
      read,
      ...(protobuf
        ? {
            readProtobuf: (bytes: Buffer, start: number, end: number) => {
              servedAsProtobuf++;
              return readProtobuf(bytes, start, end);
            },
          }
        : {}),
      startProxy: (signal) =>
        startPageProxy({
          plural: "pods",
          exec,
          kubectl: kubectlPath(),
          connectionArgs,
          ...(signal ? { signal } : {}),
        }),
    });
    return { pods: JSON.parse(JSON.stringify(pods)) as unknown[], servedAsProtobuf };
  }

  it("the real API server serves the continued pages as protobuf, read to the same pods as JSON", async () => {
    // The unit test's pods (test/fixtures/objects) in this namespace, left alone: no node (the pod garbage
    // collector deletes pods bound to a node that does not exist), no scheduler, no owner (the garbage
    // collector deletes pods whose owner does not exist), no finalizer (it would hold the namespace).
    const manifest = JSON.parse(
      readFileSync(
        join(import.meta.dirname, "..", "fixtures", "objects", "pods-served-manifest.json"),
        "utf8",
      ),
    ) as { items: Pod[] };
    await kk(["create", "serviceaccount", "-n", ns, "web-sa"]);
    // A mirror pod must be bound to a node: the web pod again takes its place.
    const [web, db, pending] = manifest.items as [Pod, Pod, Pod];
    const again: Pod = { ...web, metadata: { ...web.metadata, name: "web-5f7c9-fghij" } };
    await apply(
      ...[db, pending, web, again].map(({ metadata, spec, ...pod }) => {
        const { finalizers: _f, ownerReferences: _o, ...kept } = metadata;
        const { nodeName: _n, ...unbound } = spec;
        return {
          ...pod,
          metadata: { ...kept, namespace: ns },
          spec: { ...unbound, schedulerName: "e2e-no-scheduler" },
        };
      }),
    );
    const json = await listPods(false);
    const protobuf = await listPods(true);
    expect(json.pods).toHaveLength(4);
    expect(protobuf.pods).toEqual(json.pods);
    // Two pages after the first.
    expect(protobuf.servedAsProtobuf).toBe(2);
  });
});
