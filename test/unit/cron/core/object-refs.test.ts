import { describe, expect, it } from "vitest";
import { objectRef, resourceRef } from "../../../../src/cron/core/object-refs.js";

describe("naming an object to kubectl", () => {
  it("as an argument to get or delete: the plural resource with its API group", () => {
    const cronJob = { kind: "CronJob", metadata: { name: "autoupdate" } };
    expect(resourceRef(cronJob)).toBe("cronjobs.batch/autoupdate");
    expect(resourceRef({ kind: "ServiceAccount", metadata: { name: "autoupdate" } })).toBe(
      "serviceaccounts/autoupdate",
    );
    expect(resourceRef({ kind: "ClusterRoleBinding", metadata: { name: "tools:autoupdate" } })).toBe(
      "clusterrolebindings.rbac.authorization.k8s.io/tools:autoupdate",
    );
  });

  it("in a message: the singular, as kubectl's own messages write it", () => {
    expect(objectRef("CronJob", "autoupdate")).toBe("cronjob.batch/autoupdate");
    expect(objectRef("ServiceAccount", "autoupdate")).toBe("serviceaccount/autoupdate");
  });

  it("a kind it has no resource for falls back to the kind in lower case", () => {
    expect(resourceRef({ kind: "Lease", metadata: { name: "x" } })).toBe("lease/x");
  });
});
