/**
 * A StatefulSet and a DaemonSet updated OnDelete whose template someone changed (`kubectl set env`) and
 * whose pods they have not deleted yet: an eviction or deletion would make each replacement from the changed
 * template, a change the plan never showed. On the real control plane, whose controllers label each pod
 * with the revision or template generation it was made from, apply leaves every such pod, saying why, and
 * exits 1; no pod is touched.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Pod } from "../../simulator/index.js";
import { apply, kk, planJson, plugin, useCluster } from "../../support/e2e.js";
import { pushImage } from "../../support/images.js";
import { anonymous } from "../../support/registry/distribution.js";
import { daemonSet, statefulSet } from "../../support/workloads.js";

const ns = "e2e-template-change";
const cluster = useCluster({
  nodes: [{ name: "tc-containerd", runtime: "containerd" }],
  registries: [anonymous],
  namespaces: [ns],
});

const onDelete = <T extends { spec: object }>(workload: T): T => ({
  ...workload,
  spec: { ...workload.spec, updateStrategy: { type: "OnDelete" } },
});

/** The UIDs of an app's pods now. */
async function uids(app: string): Promise<string[]> {
  const list = JSON.parse(await kk(["get", "pods", "-n", ns, "-l", `app=${app}`, "-o", "json"])) as {
    items: Pod[];
  };
  return list.items.map((p) => p.metadata.uid!).sort();
}

beforeAll(async () => {
  const image = `${cluster.registry.host}/template-change:latest`;
  const v1 = await pushImage(image, "template-change v1");
  await apply(onDelete(statefulSet("db", ns, 2, { image })), onDelete(daemonSet("agent", ns, { image })));
  await cluster.sim.waitForPods({ namespace: ns, selector: "app=db", count: 2, digest: v1 });
  await cluster.sim.waitForPods({ namespace: ns, selector: "app=agent", count: 1, digest: v1 });
  await pushImage(image, "template-change v2");
  // Someone's change, left for whoever deletes the pods; the controllers see it (new revision) at once.
  for (const workload of ["statefulset/db", "daemonset/agent"]) {
    await kk(["set", "env", workload, "-n", ns, "CHANGED=1"]);
    await kk(["wait", "--for=jsonpath={.status.observedGeneration}=2", workload, "-n", ns]);
  }
});

describe("a template changed and not yet rolled out (OnDelete)", () => {
  it.each(["evict", "delete"])(
    "--strategy %s: every pod is left, saying why, and none is touched",
    async (strategy) => {
      const before = { db: await uids("db"), agent: await uids("agent") };
      // The plan does not read the controllers under --strategy evict or delete: it lists all three pods.
      const plan = await planJson(["-n", ns, "--strategy", strategy]);
      expect(plan.pods.filter((p) => p.action === "delete")).toHaveLength(3);

      const run = await plugin(["apply", "-n", ns, "--strategy", strategy, "--yes"]);
      expect(run.code, run.stderr).toBe(1);
      const output = `${run.stdout}\n${run.stderr}`;
      for (const pod of ["db-0", "db-1"]) {
        expect(output).toMatch(
          new RegExp(
            `StatefulSet/db's template changed since ${pod} was made \\(revision db-\\w+, now db-\\w+\\): its replacement would run that change too`,
          ),
        );
      }
      expect(output).toMatch(
        /DaemonSet\/agent's template changed since agent-\w+ was made \(generation 1, now 2\): its replacement would run that change too/,
      );
      expect({ db: await uids("db"), agent: await uids("agent") }).toEqual(before);
    },
  );
});
