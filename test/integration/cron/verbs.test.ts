/**
 * The CronJob verbs end to end in-process, with the fake kubectl (test/bin/kubectl) recording every call:
 * what is sent, in which order, and that a bad flag never reaches kubectl. The same behaviour against a real
 * API server is in test/e2e/cron/.
 */
import { beforeEach, describe, expect, it } from "vitest";
import YAML from "yaml";
import { runMain } from "../../support/cli.js";
import { FakeCluster, fakeKubectl } from "../../support/fake-kubectl.js";
import { fixture } from "../../support/fixtures.js";
import { installedObjects } from "../../support/install-spec.js";

let fake: FakeCluster;
beforeEach(() => {
  fake = new FakeCluster();
  fake.use();
});

const cli = (...args: string[]) => runMain([...args, `--kubectl=${fakeKubectl}`]);
const list = (items: unknown[]) => JSON.stringify({ apiVersion: "v1", kind: "List", items });

/**
 * The lookup of an installation's ClusterRoles (and bindings), as install-cron and uninstall-cron make it.
 */
const clusterKinds = "clusterroles.rbac.authorization.k8s.io,clusterrolebindings.rbac.authorization.k8s.io";
/** What a namespace admin gets for it. */
const forbidden =
  'Error from server (Forbidden): clusterroles.rbac.authorization.k8s.io is forbidden: User "ns-admin" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope';

describe("bad input is refused before any kubectl call", () => {
  it.each([
    [["install-cron", "--schedule", "*/5 * * *"], 'invalid --schedule "*/5 * * *": want 5 fields'],
    [["install-cron", "--schedule", "0 3 * * 8"], 'day-of-week field "8": 8 is above the maximum 6'],
    [["install-cron", "--schedule", "@every 1h"], '"@every" is not a CronJob schedule'],
    [["install-cron", "--schedule", "TZ=Europe/Paris 0 3 * * *"], "put the zone in --time-zone Europe/Paris"],
    [["install-cron", "--schedule", "CRON_TZ=UTC 0 3 * * *"], "put the zone in --time-zone UTC"],
    [
      ["install-cron", "--time-zone", "Europe/Pariss"],
      'invalid --time-zone "Europe/Pariss": unknown time zone',
    ],
    [["install-cron", "-l", "app in (a b)"], 'invalid -l/--selector "app in (a b)"'],
    [["install-cron", "--resolver", "docker"], "--resolver docker needs the node's Docker engine"],
    [["install-cron", "--docker-socket"], "--docker-socket is only used by --resolver docker"],
    [
      ["install-cron", "--image", "docker.io/UPPER/case"],
      'invalid --image "docker.io/UPPER/case": repository name "UPPER/case" must be lowercase',
    ],
    [["install-cron", "--name", "Bad_Name"], 'invalid --name "Bad_Name"'],
    [["install-cron", "-n", "Bad_NS"], 'invalid namespace "Bad_NS"'],
    [
      ["install-cron", "--resolver", "skopeo"],
      'invalid value "skopeo" for --resolver; allowed: docker, registry',
    ],
    [
      ["install-cron", "-o", "table"],
      'unable to match a printer suitable for the output format "table", allowed formats are: yaml,json',
    ],
    [["install-cron", "--dry-run", "--schedule", "61 * * * *"], 'minute field "61"'],
    [["uninstall-cron", "--name", "x".repeat(60)], "want at most 52 lowercase letters"],
    [["run-now", "-n", "-bad"], 'invalid namespace "-bad"'],
    [["run-now", "--wait", "--timeout", "soon"], 'invalid value "soon" for --timeout'],
    [["run-now", "--timeout", "5m"], "--timeout is only used with --wait: add --wait to follow the Job"],
    [["run-now", "--poll-interval", "1s"], "--poll-interval is only used with --wait"],
    [
      ["cron-status", "-o", "wide"],
      'unable to match a printer suitable for the output format "wide", allowed formats are: table,json,yaml',
    ],
  ])("%j", async (args, message) => {
    const result = await cli(...args);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe("");
    expect(fake.calls()).toEqual([]);
  });

  it("a bad namespace from the kubeconfig is refused after reading it, with nothing applied", async () => {
    fake.on(["config"], { stdout: "Team_A" });
    const result = await cli("install-cron");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('invalid namespace "Team_A": want at most 63 lowercase letters');
    expect(result.stderr).toContain("(from the kubeconfig context; pass -n)");
    expect(fake.calls().map((c) => c.argv[0])).toEqual(["config"]);
  });
});

describe("install-cron --dry-run", () => {
  it("prints the five manifests and calls no kubectl at all with -n", async () => {
    const result = await cli("install-cron", "--dry-run", "-n", "tools");
    expect(result.code).toBe(0);
    const docs = YAML.parseAllDocuments(result.stdout).map((d) => d.toJS());
    expect(docs.map((d) => `${d.kind}/${d.metadata.namespace ?? ""}/${d.metadata.name}`)).toEqual([
      "ServiceAccount/tools/kubectl-autoupdate",
      "Role/tools/kubectl-autoupdate",
      "RoleBinding/tools/kubectl-autoupdate",
      "ConfigMap/tools/kubectl-autoupdate",
      "CronJob/tools/kubectl-autoupdate",
    ]);
    expect(result.stderr).toContain("dry run: nothing was applied");
    expect(fake.calls()).toEqual([]);
  });

  it("without -n only reads the context's namespace (kubectl config view, no API call)", async () => {
    fake.on(["config"], { stdout: "team-a" });
    const result = await cli("install-cron", "--dry-run", "-o", "json", "--context", "prod");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).items[0].metadata.namespace).toBe("team-a");
    expect(fake.calls().map((c) => c.argv)).toEqual([
      ["--context=prod", "config", "view", "--minify", "-o", "jsonpath={.contexts[0].context.namespace}"],
    ]);
  });

  it("--docker-socket prints what mounting the socket grants", async () => {
    const result = await cli(
      "install-cron",
      "--dry-run",
      "-n",
      "tools",
      "--resolver",
      "docker",
      "--docker-socket",
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("Warning: --docker-socket mounts the node's /var/run/docker.sock");
    expect(result.stderr).toContain("that is root on the node");
    expect(result.stdout).toContain("path: /var/run/docker.sock");
  });
});

describe("install-cron", () => {
  /**
   * An earlier install's Role or ClusterRole and its binding, as install-cron's look for leftovers finds
   * them: namespaced ones in tools, cluster-wide ones named tools:kubectl-autoupdate.
   */
  const earlierInstall = (kind: "Role" | "ClusterRole") => {
    const cluster = kind === "ClusterRole";
    const object = (k: string) => ({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: k,
      metadata: cluster
        ? { name: "tools:kubectl-autoupdate" }
        : { name: "kubectl-autoupdate", namespace: "tools" },
    });
    const kinds = [kind, `${kind}Binding`];
    const resources = kinds.map((k) => `${k.toLowerCase()}s.rbac.authorization.k8s.io`).join(",");
    fake.on([resources], { stdout: list(kinds.map(object)) });
  };

  /** The apply that changes the cluster (not its server dry run). */
  const isApply = (call: { argv: string[] }) =>
    call.argv.includes("apply") && !call.argv.includes("--dry-run=server");
  /** The objects these calls applied (not in a dry run), in order. */
  const sentBy = (calls: { argv: string[]; stdin: string }[]) =>
    calls.filter(isApply).flatMap((c) => JSON.parse(c.stdin).items);

  it("what is there, leftovers of the other scope and other installations read first; then each part applied once a server dry run passed it", async () => {
    const result = await cli("install-cron", "-n", "tools", "--kubeconfig", "/k/config", "--as", "admin");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        "serviceaccount/kubectl-autoupdate created",
        "role.rbac.authorization.k8s.io/kubectl-autoupdate created",
        "rolebinding.rbac.authorization.k8s.io/kubectl-autoupdate created",
        "configmap/kubectl-autoupdate created",
        "cronjob.batch/kubectl-autoupdate created",
        "",
      ].join("\n"),
    );
    const calls = fake.calls();
    // The four reads run side by side, in any order; nothing is applied before all four have answered.
    const [reads, writes] = [calls.slice(0, 4), calls.slice(4)];
    expect(reads.map((c) => c.argv).sort()).toEqual([
      [
        "--kubeconfig=/k/config",
        "--as=admin",
        "get",
        "clusterroles.rbac.authorization.k8s.io,clusterrolebindings.rbac.authorization.k8s.io",
        "--selector=app.kubernetes.io/managed-by=kubectl-autoupdate,app.kubernetes.io/instance=kubectl-autoupdate,kubectl-autoupdate/namespace=tools",
        "-o",
        "json",
      ],
      // Other installations, to warn of one checking the same namespaces.
      [
        "--kubeconfig=/k/config",
        "--as=admin",
        "get",
        "cronjobs.batch",
        "--all-namespaces",
        "--selector=app.kubernetes.io/managed-by=kubectl-autoupdate",
        "-o",
        "json",
      ],
      [
        "--kubeconfig=/k/config",
        "--as=admin",
        "get",
        "roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io",
        "--selector=app.kubernetes.io/managed-by=kubectl-autoupdate,app.kubernetes.io/instance=kubectl-autoupdate",
        "-o",
        "json",
        "--namespace=tools",
      ],
      [
        "--kubeconfig=/k/config",
        "--as=admin",
        "get",
        "serviceaccounts/kubectl-autoupdate",
        "roles.rbac.authorization.k8s.io/kubectl-autoupdate",
        "rolebindings.rbac.authorization.k8s.io/kubectl-autoupdate",
        "configmaps/kubectl-autoupdate",
        "cronjobs.batch/kubectl-autoupdate",
        "--namespace=tools",
        "--ignore-not-found",
        "-o",
        "json",
      ],
    ]);
    expect(writes.slice(0, 2).map((c) => c.argv)).toEqual([
      [
        "--kubeconfig=/k/config",
        "--as=admin",
        "apply",
        "--server-side",
        "--field-manager=kubectl-autoupdate",
        "--force-conflicts",
        "--dry-run=server",
        "--output=json",
        "--filename=-",
      ],
      [
        "--kubeconfig=/k/config",
        "--as=admin",
        "apply",
        "--server-side",
        "--field-manager=kubectl-autoupdate",
        "--force-conflicts",
        "--output=json",
        "--filename=-",
      ],
    ]);
    const apply = writes[1]!.argv;
    const dryRun = writes[0]!.argv;
    expect(writes.map((c) => c.argv)).toEqual([dryRun, apply, dryRun, apply]);
    const [checked, first, checkedRest, rest] = writes.map((c) => JSON.parse(c.stdin));
    expect(first.kind).toBe("List");
    const kinds = (sent: { items: { kind: string }[] }) => sent.items.map((i) => i.kind);
    // The first dry run is the whole List but the binding: its Role does not exist yet, and the API server
    // checks a binding against its Role (test/e2e/cron/namespace-admin.test.ts). The ServiceAccount and the
    // Role are applied; then the binding is checked with the rest, before the rest is applied.
    expect(kinds(checked)).toEqual(["ServiceAccount", "Role", "ConfigMap", "CronJob"]);
    expect(kinds(first)).toEqual(["ServiceAccount", "Role"]);
    expect(kinds(checkedRest)).toEqual(["RoleBinding", "ConfigMap", "CronJob"]);
    expect(rest).toEqual(checkedRest);
    // What the first dry run checked is what is applied.
    expect(first.items).toEqual(checked.items.slice(0, 2));
    expect(rest.items.slice(1)).toEqual(checked.items.slice(2));
  });

  it("a second run sends the same objects, in one dry run and one apply, and reports them unchanged", async () => {
    await cli("install-cron", "-n", "tools");
    const sent = sentBy(fake.calls());
    const applied = sent.map((i: { metadata: object }) => ({
      ...i,
      metadata: { ...i.metadata, resourceVersion: "1" },
    }));
    fake.on(["get", "--ignore-not-found"], { stdout: list(applied) });
    const firstRun = fake.calls().length;
    const again = await cli("install-cron", "-n", "tools");
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^(\S+ unchanged\n){5}$/);
    const applies = fake
      .calls()
      .slice(firstRun)
      .filter((c) => c.argv.includes("apply"));
    expect(applies.map((c) => c.argv.includes("--dry-run=server"))).toEqual([true, false]);
    expect(JSON.parse(applies[1]!.stdin).items).toEqual(sent);
  });

  it("an object of the same name that install-cron did not make is not taken over: nothing is applied", async () => {
    fake.on(["get", "--ignore-not-found"], {
      stdout: list([
        { kind: "ServiceAccount", metadata: { name: "kubectl-autoupdate", resourceVersion: "7" } },
      ]),
    });
    const result = await cli("install-cron", "-n", "tools");
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "error: serviceaccount/kubectl-autoupdate already exists without install-cron's labels: not taken over (uninstall-cron would delete it); choose another --name, or remove it first\n",
    );
    expect(fake.calls().filter((c) => c.argv.includes("apply"))).toEqual([]);
  });

  it("new flags change only the CronJob in what is sent", async () => {
    await cli("install-cron", "-n", "tools");
    const firstRun = fake.calls().length;
    await cli("install-cron", "-n", "tools", "--schedule", "@daily", "--time-zone", "UTC", "--suspend");
    const before = sentBy(fake.calls().slice(0, firstRun));
    const after = sentBy(fake.calls().slice(firstRun));
    expect(after.slice(0, 4)).toEqual(before.slice(0, 4));
    expect(after[4].spec).toEqual({ ...before[4].spec, schedule: "@daily", timeZone: "UTC", suspend: true });
  });

  it("-A keeps the Role and RoleBinding of an earlier namespace-scoped install, the Role now granting the record ConfigMap alone", async () => {
    earlierInstall("Role");
    const result = await cli("install-cron", "-n", "tools", "-A");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain("deleted");
    expect(fake.writes().filter((c) => c.argv.includes("delete"))).toEqual([]);
    const sent = JSON.parse(fake.calls().find(isApply)!.stdin).items as {
      kind: string;
      rules?: { resources: string[] }[];
    }[];
    expect(sent.find((o) => o.kind === "Role")!.rules!.map((r) => r.resources)).toEqual([["configmaps"]]);
  });

  it("-A --strategy rollout keeps no record: the Role and RoleBinding of an earlier -A install's record are deleted, and the job is not told of one", async () => {
    earlierInstall("Role");
    const result = await cli("install-cron", "-n", "tools", "-A", "--strategy", "rollout");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      "role.rbac.authorization.k8s.io/kubectl-autoupdate deleted (not needed: this install's rules are in its ClusterRole)",
    );
    const sent = sentBy(fake.calls()) as { kind: string }[];
    // The binding for every namespace alone, once the CronJob that says so is applied.
    expect(sent.map((o) => o.kind)).toEqual([
      "ServiceAccount",
      "ClusterRole",
      "CronJob",
      "ClusterRoleBinding",
    ]);
    expect(JSON.stringify(sent)).not.toContain("KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP");
  });

  it("a namespace-scoped install removes the ClusterRole and ClusterRoleBinding of an earlier -A one", async () => {
    earlierInstall("ClusterRole");
    const result = await cli("install-cron", "-n", "tools");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      "clusterrole.rbac.authorization.k8s.io/tools:kubectl-autoupdate deleted (left from a cluster-wide (-A) install)",
    );
    // Deleted before anything is applied: no step leaves the grant beside a one-namespace CronJob.
    const calls = fake.calls();
    const deletion = calls.findIndex((c) => c.argv[0] === "delete" && !c.argv.includes("--dry-run=server"));
    expect(calls[deletion]!.argv).toEqual([
      "delete",
      "clusterrolebindings.rbac.authorization.k8s.io/tools:kubectl-autoupdate",
      "clusterroles.rbac.authorization.k8s.io/tools:kubectl-autoupdate",
      "--namespace=tools",
      "--ignore-not-found",
      "--wait=false",
      "-o",
      "name",
    ]);
    expect(calls.slice(0, deletion).filter((c) => isApply(c))).toEqual([]);
  });

  it("narrowing an -A install whose ClusterRoles may not be listed: nothing applied, exit 1, naming them", async () => {
    fake = new FakeCluster({ objects: installedObjects(true) });
    fake.use();
    fake.on([clusterKinds], { stderr: forbidden, exitCode: 1 });
    const result = await cli("install-cron", "-n", "tools");
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: the CronJob tools/kubectl-autoupdate checks every namespace (-A), and clusterrole/tools:kubectl-autoupdate and clusterrolebinding/tools:kubectl-autoupdate, which grant its ServiceAccount rights in every namespace, cannot be looked for, so nothing was changed; someone allowed to list and delete ClusterRoles and ClusterRoleBindings must run this install-cron: kubectl get failed: ${forbidden}\n`,
    );
    expect(fake.writes()).toEqual([]);
    expect(fake.calls().filter((c) => c.argv.includes("apply"))).toEqual([]);
  });

  it("a first install whose user may not list ClusterRoles names the -A objects it could not look for", async () => {
    fake.on([clusterKinds], { stderr: forbidden, exitCode: 1 });
    const result = await cli("install-cron", "-n", "tools");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `Warning: could not look for leftovers of an earlier -A install (clusterrole/tools:kubectl-autoupdate, clusterrolebinding/tools:kubectl-autoupdate): kubectl get failed: ${forbidden}`,
    );
    expect(result.stdout).toContain("cronjob.batch/kubectl-autoupdate created\n");
  });

  it("-o yaml prints the manifests on stdout and the report on stderr", async () => {
    const result = await cli("install-cron", "-n", "tools", "-o", "yaml");
    expect(result.code).toBe(0);
    expect(YAML.parseAllDocuments(result.stdout)).toHaveLength(5);
    expect(result.stderr).toContain("cronjob.batch/kubectl-autoupdate created");
  });

  it("a binding refused on a first install: no CronJob applied, the ServiceAccount and Role made first deleted again", async () => {
    const refused =
      'Error from server (Forbidden): error when creating "STDIN": rolebindings.rbac.authorization.k8s.io "kubectl-autoupdate" is forbidden: ValidatingAdmissionPolicy \'no-bindings\' denied request';
    // The first dry run passes; the second, the binding's, is refused.
    fake.on(["apply", "--dry-run=server"], { stdout: list([]) }, { stderr: `${refused}\n`, exitCode: 1 });
    const result = await cli("install-cron", "-n", "tools");
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: kubectl apply failed: ${refused}; nothing was installed: serviceaccount/kubectl-autoupdate, role.rbac.authorization.k8s.io/kubectl-autoupdate, applied first to check the bindings against, deleted again\n`,
    );
    expect(sentBy(fake.calls()).map((o: { kind: string }) => o.kind)).toEqual(["ServiceAccount", "Role"]);
    expect(fake.calls().at(-1)!.argv).toEqual([
      "delete",
      "serviceaccounts/kubectl-autoupdate",
      "roles.rbac.authorization.k8s.io/kubectl-autoupdate",
      "--namespace=tools",
      "--ignore-not-found",
      "--wait=false",
      "-o",
      "name",
    ]);
  });

  it("a refused apply is an error with kubectl's message", async () => {
    fake.on(["apply"], {
      stderr: 'Error from server (Forbidden): cronjobs.batch is forbidden: User "dev"\n',
      exitCode: 1,
    });
    const result = await cli("install-cron", "-n", "tools");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: kubectl apply failed: Error from server (Forbidden)");
  });
});

describe("uninstall-cron", () => {
  const objects = [
    { kind: "ServiceAccount", metadata: { name: "kubectl-autoupdate" } },
    { kind: "Job", metadata: { name: "kubectl-autoupdate-manual-x1" } },
    { kind: "CronJob", metadata: { name: "kubectl-autoupdate" } },
    { kind: "RoleBinding", metadata: { name: "kubectl-autoupdate" } },
    { kind: "Role", metadata: { name: "kubectl-autoupdate" } },
    { kind: "ConfigMap", metadata: { name: "kubectl-autoupdate" } },
  ];

  it("finds by label and deletes the CronJob first", async () => {
    fake.on(["get", "-o", "--namespace=tools"], { stdout: list(objects) });
    const result = await cli("uninstall-cron", "-n", "tools");
    expect(result.code).toBe(0);
    expect(fake.calls()[0]!.argv).toEqual([
      "get",
      "cronjobs.batch,jobs.batch,configmaps,rolebindings.rbac.authorization.k8s.io,roles.rbac.authorization.k8s.io,serviceaccounts",
      "--selector=app.kubernetes.io/managed-by=kubectl-autoupdate,app.kubernetes.io/instance=kubectl-autoupdate",
      "-o",
      "json",
      "--namespace=tools",
    ]);
    const deletion = [
      "delete",
      "cronjobs.batch/kubectl-autoupdate",
      "jobs.batch/kubectl-autoupdate-manual-x1",
      "configmaps/kubectl-autoupdate",
      "rolebindings.rbac.authorization.k8s.io/kubectl-autoupdate",
      "roles.rbac.authorization.k8s.io/kubectl-autoupdate",
      "serviceaccounts/kubectl-autoupdate",
      "--namespace=tools",
      "--ignore-not-found",
      "--wait=false",
      "-o",
      "name",
    ];
    // Asked of the server first: kubectl would go on past an object it may not delete.
    expect(fake.writes().map((c) => c.argv)).toEqual([[...deletion, "--dry-run=server"], deletion]);
    expect(result.stdout.split("\n")[0]).toBe("cronjob.batch/kubectl-autoupdate deleted");
  });

  it("--dry-run asks the server only", async () => {
    fake.on(["get", "-o", "--namespace=tools"], { stdout: list(objects) });
    const result = await cli("uninstall-cron", "-n", "tools", "--dry-run");
    expect(result.code).toBe(0);
    expect(fake.writes()).toHaveLength(1);
    expect(fake.writes()[0]!.argv).toContain("--dry-run=server");
    expect(result.stderr).toContain("dry run: nothing was deleted");
  });

  /** Its ClusterRoles (and bindings) may not be listed. */
  const refusedClusterKinds = [
    "clusterrolebindings.rbac.authorization.k8s.io,clusterroles.rbac.authorization.k8s.io",
  ];

  it("a namespace admin who may not list ClusterRoles still uninstalls a namespaced install", async () => {
    const namespacedCronJob = {
      kind: "CronJob",
      metadata: { name: "kubectl-autoupdate" },
      spec: {
        jobTemplate: {
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: "kubectl-autoupdate",
                    command: ["kubectl-autoupdate", "apply", "--namespace=tools"],
                  },
                ],
              },
            },
          },
        },
      },
    };
    const namespaced = objects.map((o) => (o.kind === "CronJob" ? namespacedCronJob : o));
    fake
      .on(["get", "-o", "--namespace=tools"], { stdout: list(namespaced) })
      .on(refusedClusterKinds, { stderr: forbidden, exitCode: 1 });
    const result = await cli("uninstall-cron", "-n", "tools");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe(
      `Warning: could not look for the cluster-wide objects of an -A install: kubectl get failed: ${forbidden}\n`,
    );
    expect(fake.writes().filter((c) => !c.argv.includes("--dry-run=server"))).toHaveLength(1);
    expect(result.stdout.split("\n")[0]).toBe("cronjob.batch/kubectl-autoupdate deleted");
  });

  it("an -A install whose ClusterRoles may not be listed: nothing deleted, exit 1, naming them", async () => {
    fake = new FakeCluster({ objects: installedObjects(true) });
    fake.use();
    fake.on(refusedClusterKinds, { stderr: forbidden, exitCode: 1 });
    const result = await cli("uninstall-cron", "-n", "tools");
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: the CronJob tools/kubectl-autoupdate checks every namespace (-A), and clusterrole/tools:kubectl-autoupdate and clusterrolebinding/tools:kubectl-autoupdate, which grant its ServiceAccount rights in every namespace, cannot be looked for, so nothing was deleted; someone allowed to list and delete ClusterRoles and ClusterRoleBindings must run uninstall-cron: kubectl get failed: ${forbidden}\n`,
    );
    expect(fake.writes()).toEqual([]);
    expect(result.stdout).toBe("");
  });

  it("no CronJob left to tell the scope: the rest deleted, the objects not looked for named", async () => {
    fake = new FakeCluster({ objects: installedObjects(true).filter((o) => o.kind === "ServiceAccount") });
    fake.use();
    fake.on(refusedClusterKinds, { stderr: forbidden, exitCode: 1 });
    const result = await cli("uninstall-cron", "-n", "tools");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe(
      `Warning: could not look for the cluster-wide objects of an -A install (clusterrole/tools:kubectl-autoupdate, clusterrolebinding/tools:kubectl-autoupdate): kubectl get failed: ${forbidden}\n`,
    );
    expect(result.stdout).toBe("serviceaccount/kubectl-autoupdate deleted\n");
  });

  it("without -n and with no current context (as in a pod with no kubeconfig context): namespace default", async () => {
    fake.on(["config"], { stderr: "error: current-context must exist in order to minify\n", exitCode: 1 });
    const result = await cli("uninstall-cron");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      "Nothing to uninstall: no objects of kubectl-autoupdate in namespace default.",
    );
  });

  it("nothing installed: says so, deletes nothing, succeeds", async () => {
    const result = await cli("uninstall-cron", "-n", "tools");
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("Nothing to uninstall");
    expect(fake.writes()).toEqual([]);
  });
});

describe("run-now", () => {
  const cronJob = fixture("cron", "cronjob.json");
  const jobs = JSON.parse(fixture("cron", "jobs.json")).items;
  const complete = jobs.find((j: { metadata: { name: string } }) => j.metadata.name.endsWith("lh9bp"));
  const failed = jobs.find((j: { metadata: { name: string } }) => j.metadata.name.endsWith("8r8nt"));
  const pending = { ...complete, status: {} };
  const pod = { metadata: { name: "job-pod-1" }, spec: { containers: [] } };
  /** The list of the installation's Jobs run-now makes first, to find a run in progress. */
  const itsJobs = [
    "get",
    "jobs.batch",
    "--selector=app.kubernetes.io/managed-by=kubectl-autoupdate,app.kubernetes.io/instance=kubectl-autoupdate",
  ];

  it("creates a Job like kubectl create job --from=cronjob and prints its name", async () => {
    fake.on(["get", "cronjobs.batch"], { stdout: cronJob });
    const result = await cli("run-now", "-n", "tools");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("kubectl-autoupdate-manual-abcde\n");
    const [create] = fake.writes();
    expect(create!.argv).toEqual(["create", "--output=json", "--filename=-"]);
    const job = JSON.parse(create!.stdin);
    expect(job.metadata.annotations).toEqual({ "cronjob.kubernetes.io/instantiate": "manual" });
    expect(job.metadata.ownerReferences).toEqual([
      {
        apiVersion: "batch/v1",
        kind: "CronJob",
        name: "kubectl-autoupdate",
        uid: JSON.parse(cronJob).metadata.uid,
        controller: true,
      },
    ]);
    expect(job.spec).toEqual(JSON.parse(cronJob).spec.jobTemplate.spec);
  });

  it("a Job of the CronJob not finished: refused, nothing created", async () => {
    fake.on(["get", "cronjobs.batch"], { stdout: cronJob }).on(itsJobs, { stdout: list([failed, pending]) });
    const result = await cli("run-now", "-n", "tools");
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: job ${pending.metadata.name} has not started yet (concurrencyPolicy Forbid); see why with kubectl describe job/${pending.metadata.name} -n tools, or delete it first with kubectl delete job ${pending.metadata.name} --cascade=foreground -n tools\n`,
    );
    expect(fake.writes()).toEqual([]);
  });

  it("no CronJob: an error naming install-cron, nothing created", async () => {
    const result = await cli("run-now", "-n", "tools");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no CronJob kubectl-autoupdate in namespace tools; install it with");
    expect(fake.writes()).toEqual([]);
  });

  it("--wait follows the Job to Complete, prints the pod's log, exits 0", async () => {
    // The pod as the kubelet leaves it: apply's result line as its container's termination message.
    const ended = {
      ...pod,
      metadata: {
        ...pod.metadata,
        ownerReferences: [{ kind: "Job", name: "x", uid: "uid-of-created-job", controller: true }],
      },
      status: {
        containerStatuses: [
          {
            name: "kubectl-autoupdate",
            state: {
              terminated: { exitCode: 0, reason: "Completed", message: "1 rolled out (of 1 planned)\n" },
            },
          },
        ],
      },
    };
    fake
      .on(["get", "cronjobs.batch"], { stdout: cronJob })
      .on(itsJobs, { stdout: list([complete, failed]) })
      .on(["get", "jobs.batch"], { stdout: JSON.stringify(pending) }, { stdout: JSON.stringify(complete) })
      .on(["get", "pods"], { stdout: list([ended]) })
      .on(["logs"], { stdout: 'NAMESPACE   POD\n{"kind":"RunSummary"}\n' });
    const result = await cli("run-now", "-n", "tools", "--wait", "--poll-interval=10ms");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('NAMESPACE   POD\n{"kind":"RunSummary"}\n');
    expect(result.stderr).toContain(": Pending\n");
    expect(result.stderr).toContain(": Complete\n");
    // The run's own last word, from its container's termination message.
    expect(result.stderr).toContain(" complete: 1 rolled out (of 1 planned)\n");
    expect(fake.calls().find((c) => c.argv.includes("logs"))!.argv).toEqual([
      "logs",
      "job-pod-1",
      "--namespace=tools",
      "--container=kubectl-autoupdate",
    ]);
    expect(fake.calls().find((c) => c.argv.includes("pods"))!.argv).toContain(
      "--selector=batch.kubernetes.io/controller-uid=uid-of-created-job",
    );
  });

  it("--wait exits 1 with the Job's failure reason, after printing the log", async () => {
    fake
      .on(["get", "cronjobs.batch"], { stdout: cronJob })
      .on(itsJobs, { stdout: list([complete, failed]) })
      .on(["get", "jobs.batch"], { stdout: JSON.stringify(failed) })
      .on(["get", "pods"], { stdout: list([pod]) })
      .on(["logs"], { stderr: "Error from server (BadRequest): container is waiting\n", exitCode: 1 });
    const result = await cli("run-now", "-n", "tools", "--wait", "--poll-interval=10ms");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Warning: no log from pod job-pod-1: Error from server (BadRequest)");
    expect(result.stderr).toContain(
      "error: job kubectl-autoupdate-manual-abcde failed: BackoffLimitExceeded: Job has reached the specified backoff limit",
    );
  });

  it("--wait gives up after --timeout, saying the Job keeps running", async () => {
    fake
      .on(["get", "cronjobs.batch"], { stdout: cronJob })
      .on(itsJobs, { stdout: list([complete, failed]) })
      .on(["get", "jobs.batch"], { stdout: JSON.stringify(pending) });
    const result = await cli("run-now", "-n", "tools", "--wait", "--timeout=50ms", "--poll-interval=10ms");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("still Pending after --timeout; it keeps running");
  });
});

describe("cron-status", () => {
  it("-o json: the CronJob and its Jobs", async () => {
    fake
      .on(["get", "cronjobs.batch"], { stdout: fixture("cron", "cronjob.json") })
      .on(["get", "jobs.batch"], {
        stdout: fixture("cron", "jobs.json"),
      });
    const result = await cli("cron-status", "-n", "tools", "-o", "json");
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document).toMatchObject({
      kind: "CronStatus",
      schedule: "*/10 * * * *",
      timeZone: "Europe/Berlin",
    });
    expect(document.jobs).toHaveLength(3);
    expect(fake.calls().find((c) => c.argv[1] === "jobs.batch")!.argv).toEqual([
      "get",
      "jobs.batch",
      "--namespace=tools",
      "--selector=app.kubernetes.io/managed-by=kubectl-autoupdate,app.kubernetes.io/instance=kubectl-autoupdate",
      "-o",
      "json",
    ]);
  });

  it("-o yaml: the same document", async () => {
    fake
      .on(["get", "cronjobs.batch"], { stdout: fixture("cron", "cronjob.json") })
      .on(["get", "jobs.batch"], {
        stdout: fixture("cron", "jobs.json"),
      });
    const yaml = await cli("cron-status", "-n", "tools", "-o", "yaml");
    const json = await cli("cron-status", "-n", "tools", "-o", "json");
    expect(yaml.code).toBe(0);
    expect(YAML.parse(yaml.stdout)).toEqual(JSON.parse(json.stdout));
  });

  /** A pod of the Job with this uid whose kubectl-autoupdate container ended so. */
  const runPod = (name: string, jobUid: string, terminated: object) => ({
    metadata: {
      name,
      namespace: "tools",
      creationTimestamp: "2026-11-25T13:11:05Z",
      ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name, uid: jobUid, controller: true }],
    },
    status: { containerStatuses: [{ name: "kubectl-autoupdate", state: { terminated } }] },
  });

  it("each run's result, from its pod's termination message, read by the installation's labels", async () => {
    const pods = [
      runPod("manual-lh9bp-x", "d18c00c6-2b43-433e-a153-a83e0281565a", {
        exitCode: 0,
        message: "Nothing to restart: 0 stale, 0 unknown, 2 current (2 pods checked)\n",
      }),
      runPod("manual-8r8nt-x", "52bfbf92-4143-4ab8-a3e9-a2cea37c04c6", {
        exitCode: 1,
        message: "error: cannot reach the API server\n",
      }),
    ];
    fake
      .on(["get", "cronjobs.batch"], { stdout: fixture("cron", "cronjob.json") })
      .on(["get", "jobs.batch"], { stdout: fixture("cron", "jobs.json") })
      .on(["get", "pods"], { stdout: JSON.stringify({ kind: "List", items: pods }) });
    const result = await cli("cron-status", "-n", "tools");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^kubectl-autoupdate-manual-8r8nt .* error: cannot reach the API server$/m);
    expect(result.stdout).toMatch(
      /^kubectl-autoupdate-manual-lh9bp .* Nothing to restart: 0 stale, 0 unknown, 2 current \(2 pods checked\)$/m,
    );
    expect(fake.calls().find((c) => c.argv[1] === "pods")!.argv).toEqual([
      "get",
      "pods",
      "--namespace=tools",
      "--selector=app.kubernetes.io/managed-by=kubectl-autoupdate,app.kubernetes.io/instance=kubectl-autoupdate",
      "-o",
      "json",
    ]);
  });

  it("pods that cannot be read: a warning, and the Jobs without their results", async () => {
    fake
      .on(["get", "cronjobs.batch"], { stdout: fixture("cron", "cronjob.json") })
      .on(["get", "jobs.batch"], { stdout: fixture("cron", "jobs.json") })
      .on(["get", "pods"], {
        stderr: 'Error from server (Forbidden): pods is forbidden: User "dev" cannot list resource "pods"\n',
        exitCode: 1,
      });
    const result = await cli("cron-status", "-n", "tools", "-o", "json");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^Warning: the runs' results are not shown: .*Forbidden/);
    const document = JSON.parse(result.stdout);
    expect(document.jobs.map((j: { result: unknown }) => j.result)).toEqual([null, null, null]);
  });

  it("a cluster that stops answering while the pods are listed: an error, exit 1", async () => {
    fake
      .on(["get", "cronjobs.batch"], { stdout: fixture("cron", "cronjob.json") })
      .on(["get", "jobs.batch"], { stdout: fixture("cron", "jobs.json") })
      .on(["get", "pods"], {
        stderr:
          "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?\n",
        exitCode: 1,
      });
    const result = await cli("cron-status", "-n", "tools");
    expect(result.code).toBe(1);
    // Said as kubectl's failures to reach a cluster are (here: the fake's environment has no kubeconfig).
    expect(result.stderr).toMatch(/^error: no cluster configured: /);
    expect(result.stderr).not.toContain("results are not shown");
    expect(result.stdout).toBe("");
  });

  /** The recorded CronJob as install-cron makes it now: naming its record ConfigMap to the job. */
  const withRecord = () => {
    const cron = JSON.parse(fixture("cron", "cronjob.json"));
    cron.spec.jobTemplate.spec.template.spec.containers[0].env.push({
      name: "KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP",
      value: "tools/kubectl-autoupdate",
    });
    return JSON.stringify(cron);
  };

  it("the controllers held since a restart in vain, from the record ConfigMap the CronJob names", async () => {
    // Recent: a record is read for eight days after the restart it remembers.
    const at = new Date(Date.now() - 60 * 60_000).toISOString();
    const record = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "kubectl-autoupdate", namespace: "tools" },
      data: {
        "shop.0a1b2c3d-0000-4000-8000-00000000000a": JSON.stringify({
          namespace: "shop",
          kind: "ReplicaSet",
          name: "web-7d9c8b",
          uid: "0a1b2c3d-0000-4000-8000-00000000000a",
          restarts: [{ restartedFor: "app=sha256:aaa>sha256:bbb", at }],
        }),
      },
    };
    fake
      .on(["get", "cronjobs.batch"], { stdout: withRecord() })
      .on(["get", "jobs.batch"], { stdout: fixture("cron", "jobs.json") })
      .on(["get", "configmaps"], { stdout: JSON.stringify(record) });
    const result = await cli("cron-status", "-n", "tools");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Held: +ReplicaSet shop\/web-7d9c8b \(recorded \S+ ago\)$/m);
    expect(fake.calls().find((c) => c.argv[1] === "configmaps")!.argv).toEqual([
      "get",
      "configmaps",
      "kubectl-autoupdate",
      "--namespace=tools",
      "--ignore-not-found",
      "-o",
      "json",
    ]);
    const json = await cli("cron-status", "-n", "tools", "-o", "json");
    expect(JSON.parse(json.stdout).held).toEqual([
      {
        namespace: "shop",
        kind: "ReplicaSet",
        name: "web-7d9c8b",
        restartedFor: ["app=sha256:aaa>sha256:bbb"],
        // To the second, as every time in the documents.
        recorded: at.replace(/\.\d+Z$/, "Z"),
      },
    ]);
  });

  it("a record ConfigMap deleted by hand: a warning saying how to make it again, Held <unknown>", async () => {
    fake
      .on(["get", "cronjobs.batch"], { stdout: withRecord() })
      .on(["get", "jobs.batch"], { stdout: fixture("cron", "jobs.json") })
      .on(["get", "configmaps"], { stdout: "" });
    const result = await cli("cron-status", "-n", "tools");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe(
      "Warning: the controllers held since a restart in vain are not shown: configmap tools/kubectl-autoupdate does not exist (run install-cron again, with the flags it was installed with, to make it)\n",
    );
    expect(result.stdout).toMatch(/^Held: +<unknown>$/m);
  });

  it("a record that cannot be read: a warning, Held <unknown>; an install keeping none reads none and has no row", async () => {
    fake
      .on(["get", "cronjobs.batch"], { stdout: withRecord() }, { stdout: fixture("cron", "cronjob.json") })
      .on(["get", "jobs.batch"], { stdout: fixture("cron", "jobs.json") })
      .on(["get", "configmaps"], {
        stderr:
          'Error from server (Forbidden): configmaps "kubectl-autoupdate" is forbidden: User "dev" cannot get resource "configmaps"\n',
        exitCode: 1,
      });
    const result = await cli("cron-status", "-n", "tools");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /^Warning: the controllers held since a restart in vain are not shown: .*Forbidden/m,
    );
    expect(result.stdout).toMatch(/^Held: +<unknown>$/m);
    const older = await cli("cron-status", "-n", "tools");
    expect(older.code, older.stderr).toBe(0);
    expect(older.stderr).toBe("");
    expect(older.stdout).not.toContain("Held:");
    expect(fake.calls().filter((c) => c.argv[1] === "configmaps")).toHaveLength(1);
  });

  it("what the CronJob controller last warned about, from the CronJob's Warning Events", async () => {
    const failedCreate = {
      metadata: { name: "kubectl-autoupdate.1", creationTimestamp: "2026-11-25T13:20:00Z" },
      reason: "FailedCreate",
      type: "Warning",
      message:
        'Error creating job: jobs.batch "kubectl-autoupdate-29926880" is forbidden: exceeded quota: jobs',
      lastTimestamp: "2026-11-25T13:20:00Z",
    };
    fake
      .on(["get", "cronjobs.batch"], { stdout: fixture("cron", "cronjob.json") })
      .on(["get", "jobs.batch"], { stdout: fixture("cron", "jobs.json") })
      .on(["get", "events"], { stdout: JSON.stringify({ kind: "List", items: [failedCreate] }) });
    const result = await cli("cron-status", "-n", "tools");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^Last warning: +FailedCreate \(.* ago\): Error creating job: .*exceeded quota: jobs$/m,
    );
    expect(fake.calls().find((c) => c.argv[1] === "events")!.argv).toEqual([
      "get",
      "events",
      "--namespace=tools",
      "--field-selector=involvedObject.uid=3b76ef49-3ef0-4416-9573-b72aff40ee69,type=Warning",
      "-o",
      "json",
    ]);
  });

  it("a run whose pod the Job controller could not make says why (its FailedCreate), not only that it waits", async () => {
    const refused = {
      metadata: { name: "kubectl-autoupdate-29926870.1", creationTimestamp: "2026-11-25T13:10:01Z" },
      involvedObject: {
        kind: "Job",
        name: "kubectl-autoupdate-29926870",
        uid: "0404644b-dfac-4a5b-a42f-5dec8ba61617",
      },
      reason: "FailedCreate",
      type: "Warning",
      message:
        'Error creating: pods "kubectl-autoupdate-29926870-x7k2p" is forbidden: maximum cpu usage per Container is 500m, but limit is 1',
      lastTimestamp: "2026-11-25T13:10:01Z",
    };
    // The recorded Job had its pod made (unscheduled: active 1); this one's pod was refused: no pod at all.
    const jobs = JSON.parse(fixture("cron", "jobs.json")) as {
      items: { metadata: { name: string }; status: object }[];
    };
    const podless = jobs.items.find((job) => job.metadata.name === "kubectl-autoupdate-29926870")!;
    podless.status = { ...podless.status, active: 0 };
    fake
      .on(["get", "cronjobs.batch"], { stdout: fixture("cron", "cronjob.json") })
      .on(["get", "jobs.batch"], { stdout: JSON.stringify(jobs) })
      .on(["get", "pods"], { stdout: JSON.stringify({ kind: "List", items: [] }) })
      .on(["get", "events", "--field-selector=involvedObject.kind=Job,reason=FailedCreate"], {
        stdout: JSON.stringify({ kind: "List", items: [refused] }),
      })
      .on(["get", "events"], { stdout: JSON.stringify({ kind: "List", items: [] }) });
    const result = await cli("cron-status", "-n", "tools");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^kubectl-autoupdate-29926870 .*FailedCreate: Error creating: pods .* is forbidden: maximum cpu usage per Container is 500m, but limit is 1$/m,
    );
    const json = await cli("cron-status", "-n", "tools", "-o", "json");
    const runs = (JSON.parse(json.stdout) as { jobs: { name: string; result?: string }[] }).jobs;
    expect(runs.find((run) => run.name === "kubectl-autoupdate-29926870")?.result).toMatch(/^FailedCreate: /);
    // The other runs' Jobs made no such Event: nothing is made up for them.
    expect(runs.filter((run) => run.result?.startsWith("FailedCreate"))).toHaveLength(1);
  });

  it("Events that cannot be read: a warning, Last warning <unknown>", async () => {
    fake
      .on(["get", "cronjobs.batch"], { stdout: fixture("cron", "cronjob.json") })
      .on(["get", "jobs.batch"], { stdout: fixture("cron", "jobs.json") })
      .on(["get", "events"], {
        stderr:
          'Error from server (Forbidden): events is forbidden: User "dev" cannot list resource "events"\n',
        exitCode: 1,
      });
    const result = await cli("cron-status", "-n", "tools");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /^Warning: what the CronJob controller last warned about is not shown: .*Forbidden/m,
    );
    expect(result.stdout).toMatch(/^Last warning: +<unknown>$/m);
  });

  it("no CronJob: an error, exit 1", async () => {
    const result = await cli("cron-status", "-n", "tools");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no CronJob kubectl-autoupdate in namespace tools");
  });
});
