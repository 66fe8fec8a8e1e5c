/**
 * Which pods, and which not: a bare pod and a finished Job pod on a moved tag are skipped with their reasons;
 * -n, -A and -l select exactly what kubectl selects, and `apply -A -l` restarts exactly the selection's stale
 * pods across namespaces (rolling out their Deployments, each line naming its namespace); a pull secret in
 * the namespace unlocks a private (htpasswd) registry for the simulated kubelet and for the tool alike, and
 * so does one named only by the pod's ServiceAccount.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  actions,
  apply,
  kk,
  kubectl,
  type PlanDoc,
  planJson,
  plugin,
  settledWorkloads,
  until,
  useCluster,
} from "../support/e2e.js";
import { pushImage } from "../support/images.js";
import { anonymous } from "../support/registry/distribution.js";
import { barePod, deployment, dockerConfigSecret, job } from "../support/workloads.js";

const a = "e2e-sel-a";
const b = "e2e-sel-b";
const priv = "e2e-sel-private";
const acct = "e2e-sel-account";
const all1 = "e2e-sel-all-1";
const all2 = "e2e-sel-all-2";
const user = { name: "ci", password: "s3cr3t-Pa55word" };
const cluster = useCluster({
  nodes: [
    { name: "sel-containerd", runtime: "containerd" },
    { name: "sel-docker", runtime: "docker" },
  ],
  registries: [anonymous, { htpasswd: { user: user.name, password: user.password } }],
  namespaces: [a, b, priv, acct, all1, all2],
});
const open = () => cluster.registries[0]!;
const locked = () => cluster.registries[1]!;
let image: string;
let v1: string;
let v2: string;
let loginDir: string;

beforeAll(async () => {
  image = `${open().host}/shared:latest`;
  v1 = await pushImage(image, "selection v1");
  await apply(
    deployment("front", a, 2, { image }),
    deployment("back", a, 1, { image }),
    barePod("loner", a, { image }),
    job("batch", a, { image }),
    deployment("other", b, 1, { image }),
    deployment("home", "default", 1, { image }),
  );
  await Promise.all([
    cluster.sim.waitForPods({ namespace: a, selector: "app in (front,back,loner)", count: 4, digest: v1 }),
    cluster.sim.waitForPods({ namespace: a, selector: "app=batch", count: 1, phase: "Succeeded" }),
    cluster.sim.waitForPods({ namespace: b, count: 1, digest: v1 }),
    cluster.sim.waitForPods({ namespace: "default", selector: "app=home", count: 1, digest: v1 }),
  ]);
  await Promise.all([a, b].map((n) => settledWorkloads(n)));
  await settledWorkloads("default", "app=home");
  v2 = await pushImage(image, "selection v2");
  loginDir = mkdtempSync(join(tmpdir(), "kau-e2e-login-"));
  writeFileSync(
    join(loginDir, "config.json"),
    JSON.stringify({
      auths: { [locked().host]: { auth: Buffer.from(`${user.name}:${user.password}`).toString("base64") } },
    }),
  );
});

afterAll(async () => {
  await kubectl(["delete", "deployment", "home", "-n", "default", "--ignore-not-found"]);
  await until("default to be empty", async () =>
    (await kk(["get", "pods", "-n", "default", "-o", "name"])).trim() === "" ? true : undefined,
  );
  if (loginDir) rmSync(loginDir, { recursive: true, force: true });
});

/** `namespace/name` of the pods kubectl itself lists with these flags. */
async function kubectlPods(args: string[]): Promise<string[]> {
  const list = JSON.parse(await kk(["get", "pods", ...args, "-o", "json"])).items as {
    metadata: { name: string; namespace: string };
  }[];
  return list.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort();
}
const planned = (doc: PlanDoc) => doc.pods.map((p) => `${p.namespace}/${p.name}`).sort();

describe("skipped pods", () => {
  it("a bare pod and a finished Job pod on the moved tag are stale but skipped, with their reasons", async () => {
    const doc = await planJson(["-n", a]);
    const loner = doc.pods.find((p) => p.name === "loner");
    const batch = doc.pods.find((p) => p.name.startsWith("batch-"));
    expect(loner).toMatchObject({
      owner: null,
      action: "skip",
      reason: "no controller owns it: deleting it would lose it for good",
    });
    expect(loner!.containers[0]).toMatchObject({ status: "stale", runningDigest: v1, latestDigest: v2 });
    expect(batch).toMatchObject({
      owner: { kind: "Job", name: "batch" },
      action: "skip",
      reason: "pod has finished (Succeeded)",
    });
    expect(batch!.containers[0]).toMatchObject({ status: "stale", runningDigest: v1 });
    expect(
      doc.pods
        .filter((p) => p.action === "delete")
        .map((p) => p.owner?.name)
        .sort(),
    ).toEqual(["back", "front", "front"]);
  });
});

describe("selection", () => {
  it("-n selects exactly the namespace's pods", async () => {
    expect(planned(await planJson(["-n", a]))).toEqual(await kubectlPods(["-n", a]));
    expect(planned(await planJson(["-n", b]))).toEqual(await kubectlPods(["-n", b]));
    expect(await kubectlPods(["-n", a])).toHaveLength(5);
  });

  it("no -n means the context's namespace (default)", async () => {
    const doc = await planJson([]);
    expect(planned(doc)).toEqual(await kubectlPods(["-n", "default"]));
    expect(doc.pods.map((p) => p.owner)).toEqual([{ kind: "Deployment", name: "home" }]);
  });

  it("-A selects every namespace's pods", async () => {
    const all = planned(await planJson(["-A"]));
    expect(all).toEqual(await kubectlPods(["-A"]));
    expect(new Set(all.map((p) => p.split("/")[0]))).toEqual(new Set([a, b, "default"]));
  });

  it("-l selects by label, with -n and with -A", async () => {
    const front = await planJson(["-n", a, "-l", "app=front"]);
    expect(planned(front)).toEqual(await kubectlPods(["-n", a, "-l", "app=front"]));
    expect(front.pods).toHaveLength(2);
    const set = await planJson(["-A", "-l", "app in (other,home)"]);
    expect(planned(set)).toEqual(await kubectlPods(["-A", "-l", "app in (other,home)"]));
    expect(set.pods).toHaveLength(2);
    expect(await planJson(["-n", a, "-l", "app=nothing"])).toMatchObject({ pods: [] });
  });

  it("apply -n a -l app=front restarts exactly the two front pods", async () => {
    const untouched = await kubectlPods(["-A", "-l", "app!=front"]);
    const result = await plugin(["apply", "--yes", "-n", a, "-l", "app=front"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`deployment.apps ${a}/front restarted (rollout): 2 pods replaced\n`);
    expect(result.stdout).toContain("2 replaced by rollout (of 2 planned)");
    await cluster.sim.waitForPods({ namespace: a, selector: "app=front", count: 2, digest: v2 });
    expect(await kubectlPods(["-A", "-l", "app!=front"])).toEqual(untouched);
  });

  it("apply -n a leaves the bare pod and the Job pod alone", async () => {
    const uids = async () =>
      JSON.parse(await kk(["get", "pods", "-n", a, "-l", "app in (loner,batch)", "-o", "json"]))
        .items.map((p: { metadata: { uid: string } }) => p.metadata.uid)
        .sort();
    const before = await uids();
    const result = await plugin(["apply", "--yes", "-n", a]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`deployment.apps ${a}/back restarted (rollout): 1 pod replaced\n`);
    expect(result.stdout).toContain("1 replaced by rollout (of 1 planned)");
    await cluster.sim.waitForPods({ namespace: a, selector: "app=back", count: 1, digest: v2 });
    expect(await uids()).toEqual(before);
    expect(actions(await planJson(["-n", a]))).toEqual(
      [
        ...(await kubectlPods(["-n", a, "-l", "app in (front,back)"])).map((p) => `${p} none`),
        ...(await kubectlPods(["-n", a, "-l", "app in (loner,batch)"])).map((p) => `${p} skip`),
      ].sort(),
    );
  });
});

describe("a private registry behind a pull secret", () => {
  let secretImage: string;
  let s1: string;

  it("without the secret the simulated kubelet cannot pull: ErrImagePull, and the tool cannot judge the pod", async () => {
    secretImage = `${locked().host}/secret-app:latest`;
    s1 = await pushImage(secretImage, "private v1", { configDir: loginDir });
    await apply(deployment("secret-app", priv, 2, { image: secretImage, pullSecrets: ["regcred"] }));
    const failure = await until("a pull failure", async () =>
      cluster.sim.eventsOf(priv).find((e) => e.what === "pull-failed"),
    );
    expect(failure.detail).toMatch(/^ErrImagePull: Failed to pull image .*401 Unauthorized/);
    const doc = await planJson(["-n", priv]);
    expect(doc.pods.map((p) => p.containers[0]!.reason)).toEqual([
      "not started yet (no imageID)",
      "not started yet (no imageID)",
    ]);
  });

  it("with the dockerconfigjson secret in the namespace the pods start, and the tool resolves the tag", async () => {
    await apply(
      dockerConfigSecret("regcred", priv, {
        [locked().host]: { username: user.name, password: user.password },
      }),
    );
    await cluster.sim.waitForPods({ namespace: priv, count: 2, digest: s1 });
    await settledWorkloads(priv);
    for (const resolver of ["docker", "registry"]) {
      const doc = await planJson(["-n", priv, "--resolver", resolver]);
      expect(
        doc.pods.map((p) => p.containers[0]!.status),
        resolver,
      ).toEqual(["current", "current"]);
    }
  });

  it("the tag moves: both resolvers see the pods stale with the secret's credentials; apply brings v2", async () => {
    const s2 = await pushImage(secretImage, "private v2", { configDir: loginDir });
    for (const resolver of ["docker", "registry"]) {
      const doc = await planJson(["-n", priv, "--resolver", resolver]);
      expect(
        doc.pods.map((p) => `${p.action} ${p.containers[0]!.latestDigest}`),
        resolver,
      ).toEqual([`delete ${s2}`, `delete ${s2}`]);
    }
    const result = await plugin(["apply", "--yes", "-n", priv]);
    expect(result.code, result.stderr).toBe(0);
    await cluster.sim.waitForPods({ namespace: priv, count: 2, digest: s2 });
    expect((await planJson(["-n", priv])).pods.map((p) => p.action)).toEqual(["none", "none"]);
  });

  it("without the secret the tool cannot read the tag either: unknown, nothing to restart", async () => {
    await kk(["delete", "secret", "regcred", "-n", priv]);
    for (const resolver of ["docker", "registry"]) {
      const doc = await planJson(["-n", priv, "--resolver", resolver]);
      expect(doc.pods, resolver).toHaveLength(2);
      for (const pod of doc.pods) {
        expect(pod.action, resolver).toBe("none");
        expect(pod.containers[0]!.status, resolver).toBe("unknown");
        expect(pod.containers[0]!.reason, resolver).toMatch(
          /unauthorized|401|authentication required|no basic auth/i,
        );
      }
    }
    expect(cluster.sim.errors).toEqual([]);
  });
});

describe("a pull secret named only by the pod's ServiceAccount", () => {
  // The kubelet pulls with the pod's own imagePullSecrets, and the ServiceAccount admission copies the
  // account's into a pod only when the pod is created. So a pod naming none while its account names one
  // was created before the account got the secret, on a node that had the image already (here: pulled by
  // another pod holding the secret; on real clusters also a node's own credentials). The tool reads the
  // account's secrets for such pods.
  const node = "sel-containerd";
  let accountImage: string;
  let c1: string;

  it("a pod created before its account names the secret starts from the node's copy and names no secret: the tool cannot read the tag", async () => {
    accountImage = `${locked().host}/by-account:stable`;
    c1 = await pushImage(accountImage, "by-account v1", { configDir: loginDir });
    const onNode = { nodeSelector: { "kubernetes.io/hostname": node }, pullPolicy: "IfNotPresent" as const };
    await apply(
      dockerConfigSecret("regcred", acct, {
        [locked().host]: { username: user.name, password: user.password },
      }),
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "puller", namespace: acct } },
      barePod("warm", acct, { image: accountImage, pullSecrets: ["regcred"], ...onNode }),
    );
    await cluster.sim.waitForPods({ namespace: acct, selector: "app=warm", count: 1, digest: c1 });
    await apply(
      deployment("by-account", acct, 2, { image: accountImage, serviceAccountName: "puller", ...onNode }),
    );
    const pods = await cluster.sim.waitForPods({
      namespace: acct,
      selector: "app=by-account",
      count: 2,
      digest: c1,
    });
    await settledWorkloads(acct, "app=by-account");
    const specs = JSON.parse(await kk(["get", "pods", "-n", acct, "-l", "app=by-account", "-o", "json"]))
      .items as { spec: { serviceAccountName: string; imagePullSecrets?: unknown[] } }[];
    expect(
      specs.map((p) => `${p.spec.serviceAccountName} ${JSON.stringify(p.spec.imagePullSecrets ?? [])}`),
    ).toEqual(["puller []", "puller []"]);
    for (const pod of pods) {
      // The node did not pull: it found the tag in its store.
      expect(
        cluster.sim
          .eventsOf(acct)
          .filter((e) => e.uid === pod.metadata.uid)
          .map((e) => e.what),
      ).toEqual(["seen", "cached", "running"]);
    }
    for (const resolver of ["docker", "registry"]) {
      const doc = await planJson(["-n", acct, "-l", "app=by-account", "--resolver", resolver]);
      expect(
        doc.pods.map((p) => `${p.action} ${p.containers[0]!.status}`),
        resolver,
      ).toEqual(["none unknown", "none unknown"]);
    }
  });

  it("once the ServiceAccount names the secret, both resolvers use it: current, then stale when the tag moves", async () => {
    await kk([
      "patch",
      "serviceaccount",
      "puller",
      "-n",
      acct,
      "-p",
      '{"imagePullSecrets":[{"name":"regcred"}]}',
    ]);
    for (const resolver of ["docker", "registry"]) {
      const doc = await planJson(["-n", acct, "-l", "app=by-account", "--resolver", resolver]);
      expect(
        doc.pods.map((p) => p.containers[0]),
        resolver,
      ).toEqual([
        expect.objectContaining({ status: "current", runningDigest: c1, latestDigest: c1 }),
        expect.objectContaining({ status: "current", runningDigest: c1, latestDigest: c1 }),
      ]);
    }
    const c2 = await pushImage(accountImage, "by-account v2", { configDir: loginDir });
    for (const resolver of ["docker", "registry"]) {
      const doc = await planJson(["-n", acct, "-l", "app=by-account", "--resolver", resolver]);
      expect(
        doc.pods.map((p) => `${p.action} ${p.containers[0]!.status} ${p.containers[0]!.latestDigest}`),
        resolver,
      ).toEqual([`delete stale ${c2}`, `delete stale ${c2}`]);
    }
    expect(cluster.sim.errors).toEqual([]);
  });
});

describe("apply -A", () => {
  // Other namespaces hold stale pods too (b's `other`, default's `home`, …): the label keeps this run to
  // its own pods, as a user would when sweeping the cluster for one team.
  const label = "e2e-sel-sweep";
  const tagged = <T extends { spec: { template: { metadata: { labels: Record<string, string> } } } }>(
    o: T,
  ) => {
    o.spec.template.metadata.labels[label] = "yes";
    return o;
  };

  it("restarts exactly the selection's stale pods, in both namespaces; no other pod anywhere", async () => {
    const sweep = `${open().host}/sweep:latest`;
    const steady = `${open().host}/steady:latest`;
    const w1 = await pushImage(sweep, "sweep v1");
    const s1 = await pushImage(steady, "steady v1");
    await apply(
      tagged(deployment("web", all1, 2, { image: sweep })),
      tagged(deployment("steady", all1, 1, { image: steady })),
      deployment("untagged", all1, 1, { image: sweep }),
      tagged(deployment("web", all2, 1, { image: sweep })),
      barePod("loner", all2, { image: sweep }, { [label]: "yes" }),
    );
    await Promise.all([
      cluster.sim.waitForPods({ namespace: all1, selector: "app in (web,untagged)", count: 3, digest: w1 }),
      cluster.sim.waitForPods({ namespace: all1, selector: "app=steady", count: 1, digest: s1 }),
      cluster.sim.waitForPods({ namespace: all2, count: 2, digest: w1 }),
    ]);
    await Promise.all([all1, all2].map((n) => settledWorkloads(n)));
    const w2 = await pushImage(sweep, "sweep v2");

    // Stale but outside the selection: b's `other`, default's `home`, all1's `untagged`.
    const outside = [
      ...(await kubectlPods(["-n", b])),
      ...(await kubectlPods(["-n", "default"])),
      ...(await kubectlPods(["-n", all1, "-l", "app=untagged"])),
    ];
    expect(outside).toHaveLength(3);
    const stale = [
      ...(await kubectlPods(["-n", all1, "-l", "app=web"])),
      ...(await kubectlPods(["-n", all2, "-l", "app=web"])),
    ].sort();
    expect(stale).toHaveLength(3);
    const doc = await planJson(["-A", "-l", `${label}=yes`]);
    expect(actions(doc)).toEqual(
      [
        ...stale.map((p) => `${p} delete`),
        ...(await kubectlPods(["-n", all1, "-l", "app=steady"])).map((p) => `${p} none`),
        `${all2}/loner skip`,
      ].sort(),
    );

    const uids = async () =>
      new Map(
        (
          JSON.parse(await kk(["get", "pods", "-A", "-o", "json"])).items as {
            metadata: { namespace: string; name: string; uid: string };
          }[]
        ).map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p.metadata.uid]),
      );
    const before = await uids();
    const result = await plugin(["apply", "--yes", "-A", "-l", `${label}=yes`]);
    expect(result.code, result.stderr).toBe(0);
    // Two Deployments named web, one per namespace, each rolled once; each line says which.
    const lines = result.stdout.split("\n");
    expect(lines.filter((l) => l.startsWith("deployment.apps ")).sort()).toEqual([
      `deployment.apps ${all1}/web restarted (rollout): 2 pods replaced`,
      `deployment.apps ${all2}/web restarted (rollout): 1 pod replaced`,
    ]);
    expect(lines.filter((l) => l.startsWith("pod "))).toEqual([]);
    expect(result.stdout).toContain("3 replaced by rollout (of 3 planned)");
    await Promise.all([
      cluster.sim.waitForPods({ namespace: all1, selector: "app=web", count: 2, digest: w2 }),
      cluster.sim.waitForPods({ namespace: all2, selector: "app=web", count: 1, digest: w2 }),
    ]);
    // Every other pod of the cluster is the same pod as before, the untagged stale one included.
    const after = await uids();
    const kept = [...before].filter(([pod]) => !stale.includes(pod));
    expect(kept.filter(([pod, uid]) => after.get(pod) !== uid)).toEqual([]);
    expect(kept.map(([pod]) => pod)).toEqual(expect.arrayContaining([...outside, `${all2}/loner`]));
    expect(
      actions(await planJson(["-A", "-l", `${label}=yes`])).filter((x) => x.endsWith(" delete")),
    ).toEqual([]);
    expect(cluster.sim.errors).toEqual([]);
  });
});
