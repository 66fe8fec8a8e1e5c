/**
 * install-cron by someone who administers one namespace and nothing else: the built-in `admin` ClusterRole
 * bound in that namespace, as a platform team hands it out. The API server lets a user create a Role only
 * with permissions they hold, and bind one only when it exists (or they may `bind` any): install-cron's
 * server-side dry run must not ask more than the real apply, Role first, needs. An -A install's ClusterRole
 * and ClusterRoleBinding are beyond them: uninstall-cron and a namespaced install-cron stop, naming them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { cli, clusterRbacOf, json, selector, useCronCluster } from "../../support/cron-cluster.js";
import { kk, until } from "../../support/e2e.js";

const cluster = useCronCluster();
const user = "ns-admin@example.com";
const ns = "t-admin";

describe("install-cron as a namespace admin", () => {
  beforeAll(async () => {
    await cluster.namespace(ns);
    await kk(["create", "rolebinding", "ns-admin", "--clusterrole=admin", `--user=${user}`, "-n", ns]);
  });

  it.each(["auto", "evict", "delete", "rollout"])(
    "--strategy %s installs, and uninstall-cron removes it",
    async (strategy) => {
      const result = await cli("install-cron", "-n", ns, "--strategy", strategy, "--as", user);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(
        /^rolebinding\.rbac\.authorization\.k8s\.io\/kubectl-autoupdate created$/m,
      );
      expect(result.stdout).toMatch(/^cronjob\.batch\/kubectl-autoupdate created$/m);
      // ClusterRoles are beyond a namespace admin: an earlier -A install's cannot be looked for, and it says
      // so, naming them.
      expect(result.stderr).toContain(
        `Warning: could not look for leftovers of an earlier -A install (clusterrole/${ns}:kubectl-autoupdate, clusterrolebinding/${ns}:kubectl-autoupdate): kubectl get failed: Error from server (Forbidden): clusterroles.rbac.authorization.k8s.io is forbidden: User "${user}" cannot list resource "clusterroles"`,
      );
      expect(result.stderr).not.toMatch(/^error:/m);
      const removed = await cli("uninstall-cron", "-n", ns, "--as", user);
      expect(removed.code, removed.stderr).toBe(0);
      const left = await json([
        "get",
        "serviceaccounts,roles,rolebindings,configmaps,cronjobs",
        "-l",
        selector,
        "-n",
        ns,
      ]);
      expect(left.items).toEqual([]);
    },
  );

  it("an -A install: neither uninstall-cron nor a namespaced install-cron leaves its ClusterRoleBinding behind", async () => {
    expect((await cli("install-cron", "-n", ns, "-A")).code).toBe(0);
    const installed = async () =>
      (await json(["get", "serviceaccounts,cronjobs", "-l", selector, "-n", ns])).items.length +
      (await clusterRbacOf(ns)).length;
    const objects = `clusterrole/${ns}:kubectl-autoupdate and clusterrolebinding/${ns}:kubectl-autoupdate`;
    const who = "someone allowed to list and delete ClusterRoles and ClusterRoleBindings must run";

    const removed = await cli("uninstall-cron", "-n", ns, "--as", user);
    expect(removed.code).toBe(1);
    expect(removed.stderr).toContain(objects);
    expect(removed.stderr).toContain(`so nothing was deleted; ${who} uninstall-cron: `);
    const narrowed = await cli("install-cron", "-n", ns, "--as", user);
    expect(narrowed.code).toBe(1);
    expect(narrowed.stderr).toContain(objects);
    expect(narrowed.stderr).toContain(`so nothing was changed; ${who} this install-cron: `);
    expect(await installed()).toBe(4);
    const cronJob = await json(["get", "cronjob", "kubectl-autoupdate", "-n", ns]);
    expect(cronJob.spec.jobTemplate.spec.template.spec.containers[0].command).toContain("--all-namespaces");

    expect((await cli("uninstall-cron", "-n", ns)).code).toBe(0);
    await until("the -A install gone", async () => ((await installed()) === 0 ? true : undefined));
  });
});
