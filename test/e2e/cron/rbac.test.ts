/**
 * The RBAC install-cron grants, asked of the real API server (test/testbed): exactly the rules apply needs
 * under its --strategy (default auto), in the install's namespace only, or in every namespace with -A.
 * (That these are exactly the requests a run makes: rbac-by-strategy.test.ts.)
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  cli,
  needed,
  recordRuleTuples,
  resourceRules,
  rulesByStrategy,
  useCronCluster,
} from "../../support/cron-cluster.js";
import { kk, kubectl, testbed } from "../../support/e2e.js";

const cluster = useCronCluster();

/** `pods/eviction` as `auth can-i` takes it: `pods --subresource=eviction` (`pods/NAME` names a pod). */
const subresourceArgs = (resource: string) => {
  const [base, sub] = resource.split("/");
  return sub ? [base!, `--subresource=${sub}`] : [resource];
};

beforeAll(async () => {
  await cluster.namespace("t1");
  expect((await cli("install-cron", "-n", "t1")).code).toBe(0);
});

describe("RBAC: exactly what apply needs", () => {
  const sa = "system:serviceaccount:t1:kubectl-autoupdate";

  it("auth can-i --list shows the needed rules and nothing else (beyond what every account may do)", async () => {
    await cluster.namespace("other");
    const everyone = await resourceRules(
      [`--kubeconfig=${testbed().kubeconfig}`, "--as=system:serviceaccount:other:default"],
      "t1",
    );
    const ours = await resourceRules([`--kubeconfig=${testbed().kubeconfig}`, `--as=${sa}`], "t1");
    expect(ours.filter((r) => !everyone.includes(r))).toEqual([...needed, ...recordRuleTuples].sort());
    // In another namespace the namespace-scoped install grants nothing.
    expect(await resourceRules([`--kubeconfig=${testbed().kubeconfig}`, `--as=${sa}`], "other")).toEqual(
      everyone,
    );
    const list = await kk(["auth", "can-i", "--list", `--as=${sa}`, "-n", "t1"]);
    expect(list).toMatch(/^pods\s+\[\]\s+\[\]\s+\[list watch\]$/m);
    expect(list).toMatch(/^pods\/eviction\s+\[\]\s+\[\]\s+\[create\]$/m);
    expect(list).toMatch(/^deployments\.apps\s+\[\]\s+\[\]\s+\[get list patch\]$/m);
  });

  it.each([
    ["list", "pods", "t1", "yes"],
    ["watch", "pods", "t1", "yes"],
    ["create", "pods/eviction", "t1", "yes"],
    ["patch", "deployments.apps", "t1", "yes"],
    ["get", "daemonsets.apps", "t1", "yes"],
    ["list", "statefulsets.apps", "t1", "yes"],
    ["list", "poddisruptionbudgets.policy", "t1", "yes"],
    ["get", "secrets", "t1", "yes"],
    ["list", "serviceaccounts", "t1", "yes"],
    ["list", "replicasets.apps", "t1", "yes"],
    ["get", "statefulsets.apps", "t1", "yes"],
    ["list", "jobs.batch", "t1", "yes"],
    ["list", "pods", "other", "no"],
    ["create", "pods/eviction", "other", "no"],
    ["delete", "pods", "t1", "no"],
    ["create", "pods", "t1", "no"],
    ["patch", "pods", "t1", "no"],
    ["watch", "pods", "other", "no"],
    ["update", "deployments.apps", "t1", "no"],
    ["watch", "deployments.apps", "t1", "no"],
    ["list", "secrets", "t1", "no"],
    ["watch", "secrets", "t1", "no"],
    ["get", "configmaps", "t1", "no"],
    ["patch", "replicasets.apps", "t1", "no"],
    ["delete", "replicasets.apps", "t1", "no"],
    ["create", "jobs.batch", "t1", "no"],
    ["get", "cronjobs.batch", "t1", "no"],
    ["list", "namespaces", "", "no"],
    ["list", "nodes", "", "no"],
  ])("auth can-i %s %s -n %s: %s", async (verb, resource, namespace, answer) => {
    const result = await kubectl([
      "auth",
      "can-i",
      verb,
      ...subresourceArgs(resource),
      `--as=${sa}`,
      ...(namespace ? ["-n", namespace] : []),
    ]);
    expect(result.stdout.trim()).toBe(answer);
  });

  it("with -A the same rules hold in every namespace, and still nothing more", async () => {
    await cluster.namespace("t2");
    const result = await cli("install-cron", "-n", "t2", "-A");
    expect(result.code).toBe(0);
    const everyone = await resourceRules(
      [`--kubeconfig=${testbed().kubeconfig}`, "--as=system:serviceaccount:other:default"],
      "other",
    );
    const ours = await resourceRules(
      [`--kubeconfig=${testbed().kubeconfig}`, "--as=system:serviceaccount:t2:kubectl-autoupdate"],
      "other",
    );
    // Elsewhere the ClusterRole's rules alone: the record ConfigMap's rule is the install namespace's.
    expect(ours.filter((r) => !everyone.includes(r))).toEqual(needed);
    const home = await resourceRules(
      [`--kubeconfig=${testbed().kubeconfig}`, "--as=system:serviceaccount:t2:kubectl-autoupdate"],
      "t2",
    );
    expect(home.filter((r) => !everyone.includes(r))).toEqual([...needed, ...recordRuleTuples].sort());
    const can = (verb: string, resource: string) =>
      kubectl([
        "auth",
        "can-i",
        verb,
        resource,
        "--as=system:serviceaccount:t2:kubectl-autoupdate",
        "--all-namespaces",
      ]);
    expect((await can("list", "pods")).stdout.trim()).toBe("yes");
    expect((await can("list", "secrets")).stdout.trim()).toBe("no");
    expect((await can("list", "nodes")).stdout.trim()).toBe("no");
  });

  it.each(Object.entries(rulesByStrategy))(
    "install-cron --strategy %s: its Role allows exactly that strategy's rules",
    async (strategy, rules) => {
      const ns = await cluster.namespace(`t-${strategy}`);
      expect((await cli("install-cron", "-n", ns, "--strategy", strategy)).code).toBe(0);
      const everyone = await resourceRules(
        [`--kubeconfig=${testbed().kubeconfig}`, "--as=system:serviceaccount:other:default"],
        ns,
      );
      const ours = await resourceRules(
        [`--kubeconfig=${testbed().kubeconfig}`, `--as=system:serviceaccount:${ns}:kubectl-autoupdate`],
        ns,
      );
      const record = strategy === "rollout" ? [] : recordRuleTuples;
      expect(ours.filter((r) => !everyone.includes(r))).toEqual([...rules, ...record].sort());
      const cron = JSON.parse(await kk(["get", "cronjob", "kubectl-autoupdate", "-n", ns, "-o", "json"]));
      expect(cron.spec.jobTemplate.spec.template.spec.containers[0].command).toContain(
        `--strategy=${strategy}`,
      );
    },
  );
});
