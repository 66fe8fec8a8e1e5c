/**
 * CronJob mode with a simulated kubelet: install-cron's RBAC allows exactly what `apply --strategy=auto`
 * needs, the Job's own command run with the ServiceAccount's token rolls the stale workloads out, run-now
 * makes a Job owned by the CronJob that the Job controller sees through to Complete, and uninstall-cron
 * leaves nothing behind (nothing labelled, and each object it made NotFound by name). `kubectl auth can-i`
 * answers are strict: an error is never taken for "no".
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  apply,
  kk,
  kubectl,
  plugin,
  settledWorkloads,
  tokenKubeconfig,
  until,
  useCluster,
} from "../../support/e2e.js";
import { pushImage } from "../../support/images.js";
import { anonymous } from "../../support/registry/distribution.js";
import { daemonSet, deployment, dockerConfigSecret, statefulSet } from "../../support/workloads.js";

const ns = "e2e-cron";
const sa = `system:serviceaccount:${ns}:kubectl-autoupdate`;
const selector = "app.kubernetes.io/managed-by=kubectl-autoupdate";
const cluster = useCluster({
  nodes: [
    { name: "cron-containerd", runtime: "containerd" },
    { name: "cron-crio", runtime: "cri-o" },
  ],
  registries: [anonymous],
  namespaces: [ns, `${ns}-other`],
});
let toolImage: string;

beforeAll(async () => {
  // Stands in for the tool's image: the simulated kubelet pulls it and "runs" the Job's pod.
  toolImage = `${cluster.registry.host}/kubectl-autoupdate:e2e`;
  await pushImage(toolImage, "the tool's image");
});

/**
 * `kubectl auth can-i VERB RESOURCE --as=<the CronJob's ServiceAccount>` in a namespace, or cluster-wide
 * (`-A`) for `null`: `yes` and exit 0, or `no` and exit 1, with nothing on stderr. Anything else (a failed
 * call, a warning, another exit code) fails the test: an error must never read as "no".
 */
async function canI(
  verb: string,
  resource: string,
  namespace: string | null = ns,
  name?: string,
): Promise<boolean> {
  const scope = namespace === null ? ["--all-namespaces"] : ["-n", namespace];
  // `pods/eviction` is asked as `pods --subresource=eviction` (`pods/NAME` names a pod: `name` asks that).
  const [base, sub] = resource.split("/");
  const what = name ? [`${resource}/${name}`] : sub ? [base!, `--subresource=${sub}`] : [resource];
  const result = await kubectl(["auth", "can-i", verb, ...what, ...scope, `--as=${sa}`]);
  const answer = `${result.code} ${result.stdout}${result.stderr}`;
  if (answer === "0 yes\n") return true;
  if (answer === "1 no\n") return false;
  throw new Error(
    `kubectl auth can-i ${verb} ${resource} ${scope.join(" ")}: exit ${result.code}, stdout ${JSON.stringify(result.stdout)}, stderr ${JSON.stringify(result.stderr)}`,
  );
}

describe("install-cron, run-now, uninstall-cron", () => {
  it("install-cron applies a ServiceAccount, Role, RoleBinding, the record ConfigMap and a CronJob running apply --yes", async () => {
    const result = await plugin(["install-cron", "-n", ns, "--image", toolImage, "--suspend"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split("\n")).toEqual([
      "serviceaccount/kubectl-autoupdate created",
      "role.rbac.authorization.k8s.io/kubectl-autoupdate created",
      "rolebinding.rbac.authorization.k8s.io/kubectl-autoupdate created",
      "configmap/kubectl-autoupdate created",
      "cronjob.batch/kubectl-autoupdate created",
    ]);
    const cron = JSON.parse(await kk(["get", "cronjob", "kubectl-autoupdate", "-n", ns, "-o", "json"]));
    const container = cron.spec.jobTemplate.spec.template.spec.containers[0];
    expect(container.image).toBe(toolImage);
    expect(container.command.slice(0, 3)).toEqual(["kubectl-autoupdate", "apply", "--yes"]);
    expect(container.command).toContain(`--namespace=${ns}`);
    expect(cron.spec.suspend).toBe(true);
  });

  it("kubectl auth can-i: the ServiceAccount may do exactly what apply needs, in its namespace only", async () => {
    const allowed = [
      ["list", "pods"],
      ["watch", "pods"],
      ["create", "pods/eviction"],
      ["get", "secrets"],
      ["list", "serviceaccounts"],
      ["get", "replicationcontrollers"],
      ["get", "replicasets.apps"],
      ["list", "replicasets.apps"],
      ["get", "deployments.apps"],
      ["list", "deployments.apps"],
      ["patch", "deployments.apps"],
      ["get", "statefulsets.apps"],
      ["list", "statefulsets.apps"],
      ["patch", "statefulsets.apps"],
      ["get", "daemonsets.apps"],
      ["list", "daemonsets.apps"],
      ["patch", "daemonsets.apps"],
      ["list", "jobs.batch"],
      ["list", "poddisruptionbudgets.policy"],
      ["create", "events.events.k8s.io"],
      ["list", "events.events.k8s.io"],
    ];
    const denied = [
      ["get", "pods"],
      ["create", "pods"],
      ["patch", "pods"],
      ["delete", "pods"],
      ["deletecollection", "pods"],
      ["list", "secrets"],
      ["update", "secrets"],
      ["get", "serviceaccounts"],
      ["delete", "replicasets.apps"],
      ["patch", "replicasets.apps"],
      ["update", "deployments.apps"],
      ["watch", "deployments.apps"],
      ["delete", "deployments.apps"],
      ["delete", "jobs.batch"],
      ["create", "jobs.batch"],
      ["get", "cronjobs.batch"],
      ["create", "roles.rbac.authorization.k8s.io"],
      // Only its record ConfigMap, by name: not any other, nor a list of them.
      ["get", "configmaps"],
      ["list", "configmaps"],
      ["create", "configmaps"],
    ];
    const answers = async (pairs: string[][], namespace: string | null = ns) =>
      Promise.all(
        pairs.map(
          async ([verb, resource]) => `${verb} ${resource} ${await canI(verb!, resource!, namespace)}`,
        ),
      );
    expect(await answers(allowed)).toEqual(allowed.map(([v, r]) => `${v} ${r} true`));
    for (const verb of ["get", "patch"]) {
      expect(await canI(verb, "configmaps", ns, "kubectl-autoupdate"), verb).toBe(true);
      expect(await canI(verb, "configmaps", ns, "someone-elses"), verb).toBe(false);
    }
    expect(await answers(denied)).toEqual(denied.map(([v, r]) => `${v} ${r} false`));
    // A Role: nothing in another namespace.
    expect(
      await answers(
        [
          ["list", "pods"],
          ["create", "pods/eviction"],
        ],
        `${ns}-other`,
      ),
    ).toEqual(["list pods false", "create pods/eviction false"]);
    // Nor cluster-wide (nodes are cluster-scoped: asked with -n, kubectl warns; so asked with -A).
    expect(
      await answers(
        [
          ["list", "pods"],
          ["create", "pods/eviction"],
          ["list", "nodes"],
        ],
        null,
      ),
    ).toEqual(["list pods false", "create pods/eviction false", "list nodes false"]);
    // And `can-i --list` shows no resource rule beyond those, apart from what every account may do: what the
    // namespace's default ServiceAccount, bound to nothing, may (Kubernetes 1.37 lets every account read
    // clustertrustbundles).
    const resourceRules = async (as: string) => {
      const listed = await kk(["auth", "can-i", "--list", "-n", ns, `--as=${as}`, "--no-headers"]);
      return listed
        .trim()
        .split("\n")
        .map((line) => line.trim().split(/\s{2,}|\s(?=\[)/))
        .filter(([resource]) => resource !== "" && !/^\[|^$/.test(resource!))
        .map(([resource, , , verbs]) => `${resource} ${verbs}`);
    };
    const everyAccount = new Set(await resourceRules(`system:serviceaccount:${ns}:default`));
    expect([...everyAccount].some((rule) => rule.startsWith("selfsubjectreviews"))).toBe(true);
    const rules = (await resourceRules(sa)).filter((rule) => !everyAccount.has(rule)).sort();
    expect(rules).toEqual(
      [
        "pods [list watch]",
        "pods/eviction [create]",
        "secrets [get]",
        "serviceaccounts [list]",
        "replicationcontrollers [get]",
        "replicasets.apps [get list]",
        "deployments.apps [get list patch]",
        "statefulsets.apps [get list patch]",
        "events.events.k8s.io [list create]",
        "daemonsets.apps [get list patch]",
        "jobs.batch [list]",
        "poddisruptionbudgets.policy [list]",
        // Its record ConfigMap only: `can-i --list` shows the name in a column this reading leaves out.
        "configmaps [get patch]",
      ].sort(),
    );
  });

  it("the Job's command, run with the ServiceAccount's token, rolls the namespace's stale workloads out", async () => {
    // Every read apply makes: ReplicaSet, StatefulSet and DaemonSet owners, a pull secret, ServiceAccounts.
    const image = `${cluster.registry.host}/cron-web:latest`;
    const v1 = await pushImage(image, "cron web v1");
    await apply(
      dockerConfigSecret("regcred", ns, {
        [cluster.registry.host]: { username: "ci", password: "unused-by-an-open-registry" },
      }),
      deployment("web", ns, 2, { image, pullSecrets: ["regcred"] }),
      statefulSet("db", ns, 2, { image }),
      daemonSet("agent", ns, { image }),
    );
    await cluster.sim.waitForPods({ namespace: ns, selector: "app in (web,db,agent)", count: 6, digest: v1 });
    await settledWorkloads(ns, "app in (web,db,agent)");
    const v2 = await pushImage(image, "cron web v2");

    // What the CronJob's pod would run in-cluster: its command, the ServiceAccount's token.
    const cron = JSON.parse(await kk(["get", "cronjob", "kubectl-autoupdate", "-n", ns, "-o", "json"]));
    const [, ...args] = cron.spec.jobTemplate.spec.template.spec.containers[0].command as string[];
    const token = (await kk(["create", "token", "kubectl-autoupdate", "-n", ns])).trim();
    const kubeconfig = tokenKubeconfig("kubectl-autoupdate", ns, token);
    const result = await plugin(args, { KUBECONFIG: kubeconfig });
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout.trim().split("\n").pop()!);
    expect(result.stderr).not.toMatch(/Warning|forbidden/i);
    expect(summary).toMatchObject({
      kind: "RunSummary",
      resolver: "registry",
      strategy: "auto",
      pods: 6,
      stale: 6,
      rolledOut: 6,
      evicted: 0,
      deleted: 0,
      failed: 0,
      notReplaced: 0,
    });
    expect(
      summary.controllers
        .map(
          (c: { kind: string; strategy: string; outcome: string }) => `${c.kind} ${c.strategy} ${c.outcome}`,
        )
        .sort(),
    ).toEqual([
      "DaemonSet rollout restarted",
      "Deployment rollout restarted",
      "StatefulSet rollout restarted",
    ]);
    await cluster.sim.waitForPods({ namespace: ns, selector: "app in (web,db,agent)", count: 6, digest: v2 });
  });

  it("run-now creates a Job owned by the CronJob; its pod runs on a simulated node and the Job completes", async () => {
    const cron = JSON.parse(await kk(["get", "cronjob", "kubectl-autoupdate", "-n", ns, "-o", "json"]));
    const result = await plugin(["run-now", "-n", ns]);
    expect(result.code, result.stderr).toBe(0);
    const name = result.stdout.trim();
    expect(result.stderr).toContain(`job.batch/${name} created`);
    const job = JSON.parse(await kk(["get", "job", name, "-n", ns, "-o", "json"]));
    expect(job.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: "CronJob",
        name: "kubectl-autoupdate",
        uid: cron.metadata.uid,
        controller: true,
      }),
    ]);
    expect(job.metadata.annotations["cronjob.kubernetes.io/instantiate"]).toBe("manual");
    const [pod] = await cluster.sim.waitForPods({
      namespace: ns,
      selector: `batch.kubernetes.io/job-name=${name}`,
      count: 1,
      phase: "Succeeded",
    });
    expect(pod!.spec.nodeName).toMatch(/^cron-/);
    await until("the Job to complete", async () => {
      const status = JSON.parse(await kk(["get", "job", name, "-n", ns, "-o", "json"])).status;
      return status.succeeded === 1 ? true : undefined;
    });
    const status = await plugin(["cron-status", "-n", ns]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(name);
  });

  it("uninstall-cron deletes everything it made: no labelled object, Job or pod, none of its objects by name; the token is useless", async () => {
    const result = await plugin(["uninstall-cron", "-n", ns]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("cronjob.batch/kubectl-autoupdate deleted");
    expect(result.stdout).toContain("serviceaccount/kubectl-autoupdate deleted");
    await until("nothing of the installation left", async () => {
      const left = await kk([
        "get",
        "serviceaccounts,roles,rolebindings,configmaps,cronjobs,jobs,pods",
        "-n",
        ns,
        "-l",
        selector,
        "-o",
        "name",
      ]);
      const cluster = await kk(["get", "clusterroles,clusterrolebindings", "-l", selector, "-o", "name"]);
      return `${left}${cluster}`.trim() === "" ? true : undefined;
    });
    // And by name, whatever labels they carry: each object install-cron created is NotFound.
    for (const resource of [
      "serviceaccounts",
      "roles.rbac.authorization.k8s.io",
      "rolebindings.rbac.authorization.k8s.io",
      "configmaps",
      "cronjobs.batch",
    ]) {
      const got = await kubectl(["get", resource, "kubectl-autoupdate", "-n", ns, "-o", "name"]);
      expect({ code: got.code, stdout: got.stdout, stderr: got.stderr }, resource).toEqual({
        code: 1,
        stdout: "",
        stderr: `Error from server (NotFound): ${resource} "kubectl-autoupdate" not found\n`,
      });
    }
    // Job pods are labelled too (the pod template carries the install labels); the workload is untouched.
    expect((await kk(["get", "pods", "-n", ns, "-o", "name"])).trim().split("\n")).toHaveLength(6);
    expect(await canI("list", "pods")).toBe(false);
    expect(cluster.sim.errors).toEqual([]);
  });
});
