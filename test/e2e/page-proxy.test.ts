/**
 * A list longer than a page against the test bed's API server, with the real kubectl: the first page by
 * `kubectl get --raw`, the rest through one real `kubectl proxy` on its Unix socket, with the caller's
 * identity (a ServiceAccount's token that may list in one namespace only). The plan's pages are 2,000
 * items; here they are 2, so a few objects make the pages.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExec, type Exec } from "../../src/adapters/exec.js";
import { parsedBy } from "../../src/adapters/json-list-stream.js";
import { listedResources } from "../../src/adapters/list-request.js";
import { startPageProxy } from "../../src/adapters/page-proxy.js";
import { readPagedList } from "../../src/adapters/paged-list.js";
import {
  apply,
  createNamespace,
  deleteNamespaces,
  kk,
  kubectlPath,
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
