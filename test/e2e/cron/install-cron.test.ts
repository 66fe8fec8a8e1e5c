/**
 * install-cron against the real API server (test/testbed) without nodes: server-side apply by its own field
 * manager, a second run that changes nothing, updates in place, -A and back, refusals that leave nothing
 * (a binding refused by admission included), and a warning of another installation in the same namespace.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { cli, clusterRbacOf, json, selector, useCronCluster, versions } from "../../support/cron-cluster.js";
import { kk, kubectl, patchCronJob, until } from "../../support/e2e.js";

const cluster = useCronCluster();

/** A change to the installed CronJob made with kubectl, not install-cron (another field manager). */
const patchByHand = (patch: object) => patchCronJob("t1", patch);

describe("install-cron", () => {
  beforeAll(async () => {
    await cluster.namespace("t1");
  });

  it("creates the five objects, server-side applied by field manager kubectl-autoupdate", async () => {
    const result = await cli("install-cron", "-n", "t1");
    expect(result.stderr).not.toContain("error");
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
    const cron = await json(["get", "cronjob", "kubectl-autoupdate", "-n", "t1", "--show-managed-fields"]);
    expect(
      cron.metadata.managedFields.map(
        (f: { manager: string; operation: string }) => `${f.manager}/${f.operation}`,
      ),
    ).toContain("kubectl-autoupdate/Apply");
    expect(cron.spec).toMatchObject({
      schedule: "*/10 * * * *",
      concurrencyPolicy: "Forbid",
      suspend: false,
    });
  });

  it("a second run changes nothing: same resourceVersions, reported unchanged", async () => {
    const before = await versions("t1");
    const result = await cli("install-cron", "-n", "t1");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^(\S+ unchanged\n){5}$/);
    expect(await versions("t1")).toEqual(before);
  });

  it("the record a run keeps in the ConfigMap survives a new install-cron: its data is no field of install-cron's", async () => {
    const record = { "t1.0a1b2c3d": '{"kind":"ReplicaSet"}' };
    // As the job's run writes it: a merge patch by kubectl, another field manager.
    await kk([
      "patch",
      "configmap",
      "kubectl-autoupdate",
      "-n",
      "t1",
      "--type=merge",
      `--patch=${JSON.stringify({ data: record })}`,
    ]);
    const result = await cli("install-cron", "-n", "t1", "--schedule", "@daily");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("configmap/kubectl-autoupdate unchanged");
    expect((await json(["get", "configmap", "kubectl-autoupdate", "-n", "t1"])).data).toEqual(record);
    expect((await cli("install-cron", "-n", "t1")).code).toBe(0);
    expect((await json(["get", "configmap", "kubectl-autoupdate", "-n", "t1"])).data).toEqual(record);
  });

  it("new flags update the CronJob in place (same uid, next generation), and leaving them out undoes them", async () => {
    const [sa, role, binding, cron] = await versions("t1");
    const changed = await cli(
      "install-cron",
      "-n",
      "t1",
      "--schedule",
      "@hourly",
      "--time-zone",
      "Europe/Berlin",
      "--suspend",
      "-l",
      "app=web",
    );
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain("cronjob.batch/kubectl-autoupdate configured");
    expect(changed.stdout).toContain("serviceaccount/kubectl-autoupdate unchanged");
    const after = await versions("t1");
    expect(after.slice(0, 3)).toEqual([sa, role, binding]);
    expect(after[3]).toMatchObject({ uid: cron.uid, generation: cron.generation + 1 });
    const updated = await json(["get", "cronjob", "kubectl-autoupdate", "-n", "t1"]);
    expect(updated.spec).toMatchObject({ schedule: "@hourly", timeZone: "Europe/Berlin", suspend: true });
    expect(updated.spec.jobTemplate.spec.template.spec.containers[0].command).toContain("--selector=app=web");

    const back = await cli("install-cron", "-n", "t1");
    expect(back.code).toBe(0);
    const restored = await json(["get", "cronjob", "kubectl-autoupdate", "-n", "t1"]);
    expect(restored.metadata.uid).toBe(cron.uid);
    expect(restored.spec.timeZone).toBeUndefined();
    expect(restored.spec).toMatchObject({ schedule: "*/10 * * * *", suspend: false });
    expect(restored.spec.jobTemplate.spec.template.spec.containers[0].command).not.toContain(
      "--selector=app=web",
    );
  });

  it("takes back a field someone changed by hand (kubectl patch)", async () => {
    await patchByHand({ spec: { suspend: true } });
    const result = await cli("install-cron", "-n", "t1");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("cronjob.batch/kubectl-autoupdate configured");
    expect((await json(["get", "cronjob", "kubectl-autoupdate", "-n", "t1"])).spec.suspend).toBe(false);
  });

  it("keeps what it does not set: a nodeSelector and tolerations added by hand survive installing again", async () => {
    const placement = {
      nodeSelector: { "node-role.kubernetes.io/ops": "" },
      tolerations: [{ key: "dedicated", operator: "Equal", value: "ops", effect: "NoSchedule" }],
    };
    const patch = { spec: { jobTemplate: { spec: { template: { spec: placement } } } } };
    await patchByHand(patch);
    const result = await cli("install-cron", "-n", "t1", "--schedule", "@daily");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("cronjob.batch/kubectl-autoupdate configured");
    const cron = await json(["get", "cronjob", "kubectl-autoupdate", "-n", "t1"]);
    expect(cron.spec.schedule).toBe("@daily");
    expect(cron.spec.jobTemplate.spec.template.spec).toMatchObject(placement);
    expect((await cli("install-cron", "-n", "t1")).code).toBe(0);
  });

  it("-A swaps the Role's rules for a ClusterRole and ClusterRoleBinding, the Role keeping the record ConfigMap's; and back", async () => {
    const roleRules = async () =>
      (await json(["get", "role", "kubectl-autoupdate", "-n", "t1"])).rules as { resources: string[] }[];
    const cluster = await cli("install-cron", "-n", "t1", "-A");
    expect(cluster.code).toBe(0);
    expect(cluster.stdout).toContain("clusterrole.rbac.authorization.k8s.io/t1:kubectl-autoupdate created");
    expect(cluster.stdout).toContain("role.rbac.authorization.k8s.io/kubectl-autoupdate configured");
    expect((await roleRules()).map((r) => r.resources)).toEqual([["configmaps"]]);
    expect((await json(["get", "roles,rolebindings", "-n", "t1", "-l", selector])).items).toHaveLength(2);
    expect((await json(["get", "clusterroles,clusterrolebindings", "-l", selector])).items).toHaveLength(2);

    const again = await cli("install-cron", "-n", "t1", "-A");
    expect(again.stdout).toMatch(/^(\S+ unchanged\n){7}$/);

    const back = await cli("install-cron", "-n", "t1");
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(
      "clusterrolebinding.rbac.authorization.k8s.io/t1:kubectl-autoupdate deleted (left from a cluster-wide (-A) install)",
    );
    expect((await json(["get", "clusterroles,clusterrolebindings", "-l", selector])).items).toEqual([]);
    expect((await json(["get", "roles,rolebindings", "-n", "t1", "-l", selector])).items).toHaveLength(2);
    expect((await roleRules()).length).toBeGreaterThan(1);
  });

  it("bad input against a real cluster: refused, nothing created", async () => {
    await cluster.namespace("bad");
    for (const flags of [
      ["--schedule", "TZ=UTC 0 3 * * *"],
      ["--schedule", "0 3 * * 7"],
      ["--time-zone", "Europe/Pariss"],
      ["-l", "app=(web"],
      ["--resolver", "docker"],
      ["--name", "UPPER"],
    ]) {
      const result = await cli("install-cron", "-n", "bad", ...flags);
      expect(result.code, flags.join(" ")).toBe(1);
      expect(result.stderr).toMatch(/^error: /);
    }
    expect(
      (await json(["get", "cronjobs,serviceaccounts,roles,rolebindings", "-n", "bad", "-l", selector])).items,
    ).toEqual([]);
    expect(await clusterRbacOf("bad")).toEqual([]);
  });

  it("a refusal only the server can make (-A into a namespace that does not exist): nothing created", async () => {
    const result = await cli("install-cron", "-A", "-n", "nowhere");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*namespaces? "nowhere" not found/);
    // The ClusterRole and ClusterRoleBinding need no namespace: applied alone, they would have been created.
    expect(await clusterRbacOf("nowhere")).toEqual([]);
  });

  it("a binding an admission policy refuses: the Roles made to check it deleted again, no CronJob left", async () => {
    await cluster.namespace("t6");
    const message = "no bindings named nobind";
    const policy = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name: "e2e-no-bindings" },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: ["rbac.authorization.k8s.io"],
              apiVersions: ["v1"],
              operations: ["CREATE", "UPDATE"],
              resources: ["rolebindings", "clusterrolebindings"],
            },
          ],
        },
        validations: [{ expression: "!object.metadata.name.endsWith('nobind')", message }],
      },
    };
    const binding = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name: "e2e-no-bindings" },
      spec: { policyName: "e2e-no-bindings", validationActions: ["Deny"] },
    };
    await kk(
      ["apply", "-f", "-"],
      JSON.stringify({ apiVersion: "v1", kind: "List", items: [policy, binding] }),
    );
    try {
      // The API server enforces a new policy a moment later: a server-side dry run says when.
      await until("the policy to refuse bindings", async () => {
        const probe = ["create", "rolebinding", "probe-nobind", "--clusterrole=view", "--user=x", "-n", "t6"];
        return (await kubectl([...probe, "--dry-run=server"])).stderr.includes(message) ? true : undefined;
      });
      const left = async () => [
        ...(
          await json([
            "get",
            "serviceaccounts,roles,rolebindings,configmaps,cronjobs",
            "-n",
            "t6",
            "-l",
            "app.kubernetes.io/instance=nobind",
          ])
        ).items,
        ...(await clusterRbacOf("t6")),
      ];
      for (const flags of [[], ["-A"]]) {
        const result = await cli("install-cron", "-n", "t6", "--name", "nobind", ...flags);
        expect(result.code, flags.join(" ")).toBe(1);
        expect(result.stderr).toContain(message);
        expect(result.stderr).toMatch(
          /; nothing was installed: serviceaccount\/nobind, .*, applied first to check the bindings against, deleted again\n$/,
        );
        await until("what was made first to be gone", async () =>
          (await left()).length === 0 ? true : undefined,
        );
      }
    } finally {
      await kk(["delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", "e2e-no-bindings"]);
    }
  });

  it("warns of another installation checking the same namespace, and installs beside it", async () => {
    const result = await cli("install-cron", "-n", "t1", "--name", "beside");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      "Warning: CronJob t1/kubectl-autoupdate, another installation, also checks namespace t1: the runs of two installations do not take turns and could each restart a pod of the same workload at once; suspend or uninstall one of them, or narrow their scopes apart\n",
    );
    expect(result.stdout).toContain("cronjob.batch/beside created\n");
    const removed = await cli("uninstall-cron", "-n", "t1", "--name", "beside");
    expect(removed.code, removed.stderr).toBe(0);
  });
});
