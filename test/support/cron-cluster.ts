/**
 * The CronJob e2e files (test/e2e/cron/) on the test bed without nodes: no kubelet, so pods stay Pending
 * and a test plays the kubelet itself (finishJobPod) to make the real Job controller finish a Job.
 */
import { afterAll } from "vitest";
import { type CliResult, runMain } from "./cli.js";
import { type Cluster, kk, kubectl, kubectlPath, testbed, until, useCluster } from "./e2e.js";
import { recordRuleTuples, rulesByStrategy } from "./strategy-rules.js";

export const selector = "app.kubernetes.io/managed-by=kubectl-autoupdate";

/**
 * A CronJob file's part of the test bed: its namespaces, deleted after the file, and then the ClusterRoles
 * and ClusterRoleBindings its -A installs made, which no namespace deletion removes.
 */
export function useCronCluster(): Cluster {
  const cluster = useCluster();
  afterAll(async () => {
    await kk(["delete", "clusterroles,clusterrolebindings", "-l", selector, "--ignore-not-found"]);
  });
  return cluster;
}

/** The plugin, in-process, against the testbed as admin. */
export function cli(...args: string[]): Promise<CliResult> {
  return runMain([...args, `--kubeconfig=${testbed().kubeconfig}`, `--kubectl=${kubectlPath()}`]);
}

/** `kubectl ARGS -o json` as admin, parsed; fails the test on a non-zero exit. */
export async function json(args: string[]) {
  return JSON.parse(await kk([...args, "-o", "json"]));
}

/** The ClusterRoles and ClusterRoleBindings an -A install into `namespace` made. */
export async function clusterRbacOf(namespace: string) {
  return (
    await json([
      "get",
      "clusterroles,clusterrolebindings",
      "-l",
      `${selector},kubectl-autoupdate/namespace=${namespace}`,
    ])
  ).items;
}

/** resourceVersion and generation of the four installed objects. */
export async function versions(namespace: string, clusterRoles = false) {
  const names = [
    `serviceaccount/kubectl-autoupdate`,
    clusterRoles ? `clusterrole/${namespace}:kubectl-autoupdate` : "role/kubectl-autoupdate",
    clusterRoles ? `clusterrolebinding/${namespace}:kubectl-autoupdate` : "rolebinding/kubectl-autoupdate",
    "cronjob/kubectl-autoupdate",
  ];
  const list = await json(["get", ...names, "-n", namespace]);
  return list.items.map(
    (o: { kind: string; metadata: { uid: string; resourceVersion: string; generation?: number } }) => ({
      kind: o.kind,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      generation: o.metadata.generation,
    }),
  );
}

/** Plays the kubelet: ends the Job's pod with this phase and exit code. */
export async function finishJobPod(namespace: string, job: string, phase: "Succeeded" | "Failed") {
  const pod = await until(`a pod of ${job}`, async () => {
    const pods = await json(["get", "pods", "-n", namespace, "-l", `batch.kubernetes.io/job-name=${job}`]);
    return pods.items[0]?.metadata.name as string | undefined;
  });
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const code = phase === "Succeeded" ? 0 : 1;
  const status = {
    status: {
      phase,
      containerStatuses: [
        {
          name: "kubectl-autoupdate",
          image: "ghcr.io/kubectl-autoupdate/kubectl-autoupdate:0.1.0",
          imageID: "",
          ready: false,
          restartCount: 0,
          state: {
            terminated: {
              exitCode: code,
              reason: code ? "Error" : "Completed",
              startedAt: now,
              finishedAt: now,
            },
          },
        },
      ],
    },
  };
  await kk([
    "patch",
    "pod",
    pod,
    "-n",
    namespace,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify(status),
  ]);
}

/** What a subject may do in a namespace, from a SelfSubjectRulesReview (what `auth can-i --list` shows). */
export async function resourceRules(kubeconfigArgs: string[], namespace: string): Promise<string[]> {
  const review = {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectRulesReview",
    spec: { namespace },
  };
  const result = await kubectl(
    [...kubeconfigArgs, "create", "--validate=false", "-f", "-", "-o", "json"],
    JSON.stringify(review),
  );
  if (result.code !== 0) throw new Error(result.stderr);
  const rules: { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[] }[] =
    JSON.parse(result.stdout).status.resourceRules;
  return rules
    .flatMap((r) =>
      (r.apiGroups ?? [""]).flatMap((g) =>
        (r.resources ?? []).flatMap((res) =>
          r.verbs.map((v) => `${g}/${res}:${v}${r.resourceNames ? `:${r.resourceNames}` : ""}`),
        ),
      ),
    )
    .sort();
}

/** The default install's rules (--strategy auto). */
export const needed = rulesByStrategy.auto;
export { recordRuleTuples, rulesByStrategy };
