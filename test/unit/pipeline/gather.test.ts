/**
 * gather (pipeline/gather.ts): the owner and ServiceAccount lists start at the first pod that needs them,
 * while the rest of the pods still stream in; never for pods --image leaves out, and the ServiceAccount
 * list only when a pod names no pull secret of its own.
 */
import { describe, expect, it } from "vitest";
import type { Kubectl, PodListListener, PodScope } from "../../../src/adapters/kubectl.js";
import { ClusterAccessError } from "../../../src/adapters/kubectl-errors.js";
import type { KubeObject, Pod, ServiceAccount } from "../../../src/core/k8s.js";
import { ToolFailedError } from "../../../src/errors.js";
import { gather } from "../../../src/pipeline/gather.js";
import { pullSecret } from "../../support/fake-kubectl.js";
import { digestOf, makePod } from "../../support/pods.js";

const OLD = digestOf("v1");
const scope: PodScope = { allNamespaces: true };
const web = (
  name: string,
  extra: { imagePullSecrets?: string[]; image?: string; serviceAccountName?: string } = {},
) =>
  makePod({
    name,
    owner: { kind: "ReplicaSet", name: "web-1" },
    imagePullSecrets: extra.imagePullSecrets,
    serviceAccountName: extra.serviceAccountName,
    containers: [{ name: "app", image: extra.image ?? "nginx:latest", runningDigest: OLD }],
  });
const job = (name: string) =>
  makePod({
    name,
    owner: { kind: "Job", name: "batch-1" },
    containers: [{ name: "c", image: "busybox:1", runningDigest: OLD }],
  });

/** A kubectl whose pod list streams `pods` and records, in order, what was asked and when the list ended. */
function fakeKubectl(
  pods: Pod[],
  options: { accountsFail?: boolean; restartAfter?: number; refused?: string; lost?: string } = {},
) {
  /** The cluster out of reach for one read (a timeout, an expired login), not a refusal. */
  const lostFor = (resource: string) => {
    if (options.lost === resource)
      throw new ClusterAccessError("the login expired", { kind: "unauthorized" }, "");
  };
  const events: string[] = [];
  const secretsAsked: string[] = [];
  const kubectl = {
    async listPods(_scope: PodScope, { onPod, onRestart }: PodListListener = {}) {
      // An expired continue token: the first `restartAfter` pods read, then the list again from the start.
      for (const pod of pods.slice(0, options.restartAfter ?? 0)) onPod?.(pod);
      if (options.restartAfter !== undefined) onRestart?.();
      for (const pod of pods) {
        await Promise.resolve();
        onPod?.(pod);
      }
      events.push("pods listed");
      return pods;
    },
    async listObjects(resources: readonly string[]): Promise<KubeObject[]> {
      events.push(`list ${resources.join(",")}`);
      for (const resource of resources) lostFor(resource);
      if (resources.includes(options.refused ?? ""))
        throw new ToolFailedError(`kubectl get failed: Forbidden`);
      return [];
    },
    async listServiceAccounts(): Promise<ServiceAccount[]> {
      events.push("list serviceaccounts");
      lostFor("serviceaccounts");
      if (options.accountsFail) throw new ToolFailedError("kubectl get serviceaccounts: forbidden");
      return [
        { metadata: { name: "default", namespace: "default" }, imagePullSecrets: [{ name: "regcred" }] },
        { metadata: { name: "plain", namespace: "default" } },
      ];
    },
    async getSecrets(namespace: string, names: string[]): Promise<never[]> {
      secretsAsked.push(`${namespace} ${names.join(" ")}`);
      lostFor("secrets");
      return [];
    },
  };
  return { kubectl: kubectl as unknown as Kubectl, events, secretsAsked };
}

describe("gather: an owner list refused", () => {
  it("Jobs: a warning, the pods' owner their Job (they are never restarted)", async () => {
    const { kubectl } = fakeKubectl([web("web-a"), job("job-a")], { refused: "jobs.batch" });
    const inventory = await gather(kubectl, scope, { concurrency: 4 });
    expect(inventory.pods).toHaveLength(2);
    expect(inventory.warnings).toEqual([
      "could not list Jobs (their pods' owner is shown as the Job, not its CronJob): kubectl get failed: Forbidden",
    ]);
  });

  it("ReplicaSets: the run ends at the refusal, not after the rest of the pods", async () => {
    const { kubectl } = fakeKubectl([web("web-a")], { refused: "replicasets.apps" });
    const endless = kubectl as unknown as { listPods: Kubectl["listPods"] };
    // The first pod, then a list that never ends (a large cluster's, slowly served).
    endless.listPods = async (_scope, { onPod } = {}) => {
      onPod?.(web("web-a"));
      return new Promise<Pod[]>(() => {});
    };
    await expect(gather(kubectl, scope, { concurrency: 4 })).rejects.toThrow("kubectl get failed: Forbidden");
  });

  it("ReplicaSets: an error, since they decide whether a pod is rolled with its Deployment", async () => {
    const { kubectl } = fakeKubectl([web("web-a"), job("job-a")], { refused: "replicasets.apps" });
    await expect(gather(kubectl, scope, { concurrency: 4 })).rejects.toThrow("kubectl get failed: Forbidden");
  });
});

describe("gather: the cluster lost during a read that may be refused", () => {
  it.each(["jobs.batch", "serviceaccounts", "secrets"])("%s: the run stops, not a warning", async (lost) => {
    const pods = [web("web-a"), web("web-b", { imagePullSecrets: ["regcred"] }), job("job-a")];
    const { kubectl } = fakeKubectl(pods, { lost });
    await expect(gather(kubectl, scope, { concurrency: 4 })).rejects.toBeInstanceOf(ClusterAccessError);
  });
});

describe("gather", () => {
  it("starts the owner and ServiceAccount lists at the first pod that needs them, before the pods end", async () => {
    const { kubectl, events } = fakeKubectl([web("web-a"), job("job-a"), web("web-b")]);
    const inventory = await gather(kubectl, scope, { concurrency: 4 });
    expect(events).toEqual([
      "list replicasets.apps",
      "list serviceaccounts",
      "list jobs.batch",
      "pods listed",
    ]);
    expect(inventory.accountSecrets.get("docker.io/library/nginx:latest")).toEqual([
      { namespace: "default", name: "regcred" },
    ]);
  });

  it("lists the ServiceAccounts once the pods are listed when every pod names its own pull secrets", async () => {
    // Their pull secrets are not needed, but whether each pod's ServiceAccount exists is: its new pod
    // needs it.
    const { kubectl, events } = fakeKubectl([web("web-a", { imagePullSecrets: ["own"] })]);
    const inventory = await gather(kubectl, scope, { concurrency: 4 });
    expect(events).toEqual(["list replicasets.apps", "pods listed", "list serviceaccounts"]);
    expect(inventory.serviceAccounts).toEqual(new Set(["default/default", "default/plain"]));
  });

  it("lists no ServiceAccounts when no pod may be stale (every image pinned)", async () => {
    const pinned = web("web-a", { image: `nginx@${OLD}` });
    const { kubectl, events } = fakeKubectl([pinned]);
    const inventory = await gather(kubectl, scope, { concurrency: 4 });
    expect(events).not.toContain("list serviceaccounts");
    expect(inventory).not.toHaveProperty("serviceAccounts");
  });

  it("asks for no secret a reference without a name stands for (imagePullSecrets: [{}])", async () => {
    const pod = web("web-a", { imagePullSecrets: ["own"] });
    pod.spec.imagePullSecrets = [{ name: "own" }, {} as { name: string }];
    const { kubectl, secretsAsked } = fakeKubectl([pod]);
    await gather(kubectl, scope, { concurrency: 4 });
    expect(secretsAsked).toEqual(["default own"]);
  });

  it("a secret a role forbids (resourceNames) does not lose the others named beside it: each is asked alone", async () => {
    const { kubectl, secretsAsked } = fakeKubectl([
      web("web-a", { imagePullSecrets: ["regcred", "other-team"] }),
    ]);
    const readable = pullSecret("regcred", "default", {
      "registry.corp": { username: "ci", password: "pw" },
    });
    (kubectl as { getSecrets: unknown }).getSecrets = async (namespace: string, names: string[]) => {
      secretsAsked.push(`${namespace} ${names.join(" ")}`);
      if (names.includes("other-team"))
        throw new ToolFailedError('kubectl get failed: secrets "other-team" is forbidden');
      return [readable];
    };
    const gathered = await gather(kubectl, scope, { concurrency: 4 });
    expect(secretsAsked).toEqual(["default regcred other-team", "default regcred", "default other-team"]);
    expect(gathered.pullSecrets.get("default/regcred")?.map((k) => k.key)).toEqual(["registry.corp"]);
    expect(gathered.warnings).toEqual([
      'kubectl get failed: secrets "other-team" is forbidden (namespace default)',
    ]);
  });

  it("starts nothing for pods --image leaves out", async () => {
    const { kubectl, events } = fakeKubectl([job("job-a"), web("web-a", { image: "app:1" })]);
    const inventory = await gather(kubectl, scope, {
      concurrency: 4,
      only: new Set(["docker.io/library/app:1"]),
    });
    expect(events).toEqual(["list replicasets.apps", "list serviceaccounts", "pods listed"]);
    expect(inventory.pods.map((p) => p.metadata.name)).toEqual(["web-a"]);
  });

  it("tells how many pods have been listed so far, every thousand, while they stream in", async () => {
    const pods = Array.from({ length: 2500 }, (_, i) => web(`web-${i}`));
    const { kubectl, events } = fakeKubectl(pods);
    await gather(kubectl, scope, {
      concurrency: 4,
      onListed: (listed) => events.push(`${listed} listed`),
    });
    expect(events.filter((e) => e.endsWith("listed"))).toEqual(["1000 listed", "2000 listed", "pods listed"]);
  });

  it("counts again from the start when the list restarts (an expired continue token)", async () => {
    const pods = Array.from({ length: 2500 }, (_, i) => web(`web-${i}`));
    const { kubectl, events } = fakeKubectl(pods, { restartAfter: 1500 });
    await gather(kubectl, scope, {
      concurrency: 4,
      onListed: (listed) => events.push(`${listed} listed`),
    });
    expect(events.filter((e) => e.endsWith("listed"))).toEqual([
      "1000 listed",
      "1000 listed",
      "2000 listed",
      "pods listed",
    ]);
  });

  it("announces a tag while the pods stream in, once, when neither its pod nor that pod's ServiceAccount names a pull secret", async () => {
    const { kubectl, events } = fakeKubectl([
      web("web-a", { serviceAccountName: "plain" }),
      web("web-b", { serviceAccountName: "plain" }),
      web("own", { image: "app:1", imagePullSecrets: ["own"] }),
      web("account", { image: "busybox:1" }),
      web("pinned", { image: `redis@${OLD}`, serviceAccountName: "plain" }),
      web("other", { image: "app:2", serviceAccountName: "plain" }),
    ]);
    await gather(kubectl, scope, { concurrency: 4, onTagReady: (tag) => events.push(`tag ${tag.key}`) });
    events.push("gather returned");
    // Each as soon as its ServiceAccount is known; the first while pods were still streaming in.
    const order = events.filter((e) => e.startsWith("tag") || e.endsWith("ed"));
    expect(order[0]).toBe("tag docker.io/library/nginx:latest");
    expect(order.at(-1)).toBe("gather returned");
    expect(order.filter((e) => e.startsWith("tag"))).toEqual([
      "tag docker.io/library/nginx:latest",
      "tag docker.io/library/app:2",
    ]);
    expect(order.indexOf("tag docker.io/library/nginx:latest")).toBeLessThan(order.indexOf("pods listed"));
  });

  it("still announces a tag whose first pod named secrets, at a later pod sharing its lists that names none", async () => {
    // As slim pods of one controller do: the very same container and status lists.
    const first = web("web-a", { imagePullSecrets: ["own"] });
    const later = web("web-b", { serviceAccountName: "plain" });
    later.spec.containers = first.spec.containers;
    later.status!.containerStatuses = first.status!.containerStatuses;
    const { kubectl, events } = fakeKubectl([first, later]);
    await gather(kubectl, scope, { concurrency: 4, onTagReady: (tag) => events.push(`tag ${tag.key}`) });
    expect(events.filter((e) => e.startsWith("tag"))).toEqual(["tag docker.io/library/nginx:latest"]);
  });

  it("announces no tag of a pod --image leaves out", async () => {
    const { kubectl, events } = fakeKubectl([
      web("web-a", { serviceAccountName: "plain" }),
      web("other", { image: "app:2", serviceAccountName: "plain" }),
    ]);
    await gather(kubectl, scope, {
      concurrency: 4,
      only: new Set(["docker.io/library/app:2"]),
      onTagReady: (tag) => events.push(`tag ${tag.key}`),
    });
    expect(events.filter((e) => e.startsWith("tag"))).toEqual(["tag docker.io/library/app:2"]);
  });

  it("keeps a refused ServiceAccount list a warning, though it failed before the pods ended", async () => {
    const { kubectl } = fakeKubectl([web("web-a"), web("web-b")], { accountsFail: true });
    const inventory = await gather(kubectl, scope, { concurrency: 4 });
    expect(inventory.warnings).toEqual([
      "kubectl get serviceaccounts: forbidden (ServiceAccounts' pull secrets not used, nor checked to exist)",
    ]);
  });
});
