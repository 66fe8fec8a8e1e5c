import { describe, expect, it } from "vitest";
import { othersObjects } from "../../../../src/cron/core/install-labels.js";
import { buildInstallObjects, type InstallObject } from "../../../../src/cron/core/install-objects.js";
import { installSpec } from "../../../support/install-spec.js";

describe("objects already there under the installation's names", () => {
  const wanted = buildInstallObjects(installSpec());
  const ours = (o: InstallObject) => ({
    kind: o.kind,
    metadata: { name: o.metadata.name, labels: o.metadata.labels },
  });

  it("an earlier install's are its own: applied over", () => {
    expect(othersObjects(wanted, wanted.map(ours))).toEqual([]);
  });

  it("someone else's (no labels, or another installation's) are named, not taken over", () => {
    const serviceAccount = wanted.find((o) => o.kind === "ServiceAccount")!;
    const role = wanted.find((o) => o.kind === "Role")!;
    const existing = [
      { kind: "ServiceAccount", metadata: { name: serviceAccount.metadata.name } },
      {
        kind: "Role",
        metadata: {
          name: role.metadata.name,
          labels: { ...role.metadata.labels, "app.kubernetes.io/instance": "another" },
        },
      },
    ];
    expect(othersObjects(wanted, existing)).toEqual([
      `serviceaccount/${serviceAccount.metadata.name}`,
      `role.rbac.authorization.k8s.io/${role.metadata.name}`,
    ]);
  });

  it("a record ConfigMap without labels holding only this tool's entries (made again by apply by hand) is its own", () => {
    const name = wanted.find((o) => o.kind === "ConfigMap")!.metadata.name;
    const entry = "shop.0a1b2c3d-0000-4000-8000-000000000001";
    const record = (data: Record<string, string>) => [{ kind: "ConfigMap", metadata: { name }, data }];
    expect(othersObjects(wanted, record({ [entry]: "{}" }))).toEqual([]);
    // Anything more, or less, is someone else's: another key, no data at all, binaryData, labels.
    const others = [
      ...record({ [entry]: "{}", "settings.json": "{}" }),
      { kind: "ConfigMap", metadata: { name } },
      { kind: "ConfigMap", metadata: { name }, data: { [entry]: "{}" }, binaryData: { blob: "AA==" } },
      {
        kind: "ConfigMap",
        metadata: { name, labels: { "app.kubernetes.io/managed-by": "Helm" } },
        data: { [entry]: "{}" },
      },
    ];
    for (const other of others) expect(othersObjects(wanted, [other])).toEqual([`configmap/${name}`]);
  });

  it("a cluster-wide install's ClusterRole of another namespace's installation is someone else's", () => {
    const cluster = buildInstallObjects(installSpec({ allNamespaces: true }));
    const role = cluster.find((o) => o.kind === "ClusterRole")!;
    const elsewhere = { ...role.metadata.labels, "kubectl-autoupdate/namespace": "other" };
    expect(
      othersObjects(cluster, [
        { kind: "ClusterRole", metadata: { name: role.metadata.name, labels: elsewhere } },
      ]),
    ).toHaveLength(1);
  });
});
