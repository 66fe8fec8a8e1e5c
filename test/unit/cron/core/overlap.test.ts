import { describe, expect, it } from "vitest";
import { buildInstallObjects } from "../../../../src/cron/core/install-objects.js";
import type { InstallSpec } from "../../../../src/cron/core/installation.js";
import type { CronJobObject } from "../../../../src/cron/core/jobs.js";
import { overlappingInstallWarnings } from "../../../../src/cron/core/overlap.js";
import { installSpec } from "../../../support/install-spec.js";

function cronJobOf(overrides: Partial<InstallSpec>): CronJobObject {
  return buildInstallObjects(installSpec(overrides)).find((o) => o.kind === "CronJob") as never;
}

const installed = [
  cronJobOf({ name: "everywhere", namespace: "ops", allNamespaces: true }),
  cronJobOf({ name: "beside", namespace: "tools" }),
  cronJobOf({ name: "elsewhere", namespace: "web" }),
  cronJobOf({ name: "paused", namespace: "ops", allNamespaces: true, suspend: true }),
  // This installation itself, as an earlier install-cron left it.
  cronJobOf({ name: "kubectl-autoupdate", namespace: "tools" }),
];
const says = (what: string) =>
  `${what} too: the runs of two installations do not take turns and could each restart a pod of the same workload at once; suspend or uninstall one of them, or narrow their scopes apart`;

describe("other installations checking the same pods", () => {
  it("a namespace install: those checking every namespace, and those in its own, not itself nor a suspended one", () => {
    expect(overlappingInstallWarnings(installSpec(), installed)).toEqual([
      says("CronJob ops/everywhere, another installation, checks every namespace"),
      says("CronJob tools/beside, another installation, checks namespace tools"),
    ]);
  });

  it("an -A install: every other one that runs", () => {
    expect(overlappingInstallWarnings(installSpec({ allNamespaces: true }), installed)).toEqual([
      says("CronJob ops/everywhere, another installation, checks every namespace"),
      says("CronJob tools/beside, another installation, checks namespace tools"),
      says("CronJob web/elsewhere, another installation, checks namespace web"),
    ]);
  });

  it("a suspended install runs nothing: no warning", () => {
    expect(overlappingInstallWarnings(installSpec({ suspend: true }), installed)).toEqual([]);
  });
});
