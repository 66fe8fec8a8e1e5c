import { describe, expect, it } from "vitest";
import { appliedFirst, dryRunnable } from "../../../../src/cron/core/apply-order.js";
import { buildInstallObjects, type InstallObject } from "../../../../src/cron/core/install-objects.js";
import { installSpec } from "../../../support/install-spec.js";

describe("install-cron's apply order", () => {
  it("the server-side dry run leaves out a binding whose Role does not exist yet (a namespace admin's first install)", () => {
    const kinds = (objects: InstallObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);
    const first = buildInstallObjects(installSpec());
    expect(kinds(dryRunnable(first, []))).not.toContain("RoleBinding/kubectl-autoupdate");
    expect(kinds(dryRunnable(first, []))).toContain("Role/kubectl-autoupdate");
    // Installed before: the Role is there, and the binding is checked with the rest.
    expect(dryRunnable(first, [{ kind: "Role", metadata: { name: "kubectl-autoupdate" } }])).toEqual(first);
    const cluster = buildInstallObjects(installSpec({ allNamespaces: true }));
    const name = "tools:kubectl-autoupdate";
    expect(kinds(dryRunnable(cluster, []))).not.toContain(`ClusterRoleBinding/${name}`);
    expect(
      dryRunnable(cluster, [
        { kind: "ClusterRole", metadata: { name } },
        { kind: "Role", metadata: { name: "kubectl-autoupdate" } },
      ]),
    ).toEqual(cluster);
  });

  it("applied first, so that a binding can be checked: the ServiceAccount and the Roles not there yet", () => {
    const kinds = (objects: InstallObject[]) => objects.map((o) => o.kind);
    const cluster = buildInstallObjects(installSpec({ allNamespaces: true }));
    expect(kinds(appliedFirst(cluster, []))).toEqual(["ServiceAccount", "ClusterRole", "Role"]);
    // The record's Role of an earlier namespaced install is there: it waits for the rest's check.
    const role = [{ kind: "Role", metadata: { name: "kubectl-autoupdate" } }];
    expect(kinds(appliedFirst(cluster, role))).toEqual(["ServiceAccount", "ClusterRole"]);
  });
});
