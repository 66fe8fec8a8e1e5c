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
  `${what}: the runs of two installations do not take turns and could each restart a pod of the same workload at once; suspend or uninstall one of them, or narrow their scopes apart`;

describe("other installations checking the same pods", () => {
  it("a namespace install: those checking every namespace, and those in its own, not itself nor a suspended one", () => {
    expect(overlappingInstallWarnings(installSpec(), installed)).toEqual([
      says(
        "CronJob ops/everywhere, another installation, also checks namespace tools (it checks every namespace)",
      ),
      says("CronJob tools/beside, another installation, also checks namespace tools"),
    ]);
  });

  it("an -A install: every other one that runs", () => {
    expect(overlappingInstallWarnings(installSpec({ allNamespaces: true }), installed)).toEqual([
      says("CronJob ops/everywhere, another installation, also checks every namespace"),
      says("CronJob tools/beside, another installation, also checks namespace tools"),
      says("CronJob web/elsewhere, another installation, also checks namespace web"),
    ]);
  });

  it("a suspended install runs nothing: no warning", () => {
    expect(overlappingInstallWarnings(installSpec({ suspend: true }), installed)).toEqual([]);
  });

  it("one whose command was edited by hand: the namespace as apply reads it, else the CronJob's own", () => {
    const edited = (edit: (command: string[]) => string[]) => {
      const cronJob = cronJobOf({ name: "other", namespace: "web" });
      const container = cronJob.spec.jobTemplate.spec.template!.spec!.containers![0]!;
      container.command = edit(container.command!);
      return cronJob;
    };
    const spaced = edited((c) => c.flatMap((w) => (w === "--namespace=web" ? ["-n", "web"] : [w])));
    const unnamed = edited((c) => c.filter((w) => w !== "--namespace=web"));
    const everywhere = edited((c) => [...c, "--all-namespaces=true"]);
    for (const cronJob of [spaced, unnamed]) {
      expect(overlappingInstallWarnings(installSpec({ namespace: "web" }), [cronJob])).toEqual([
        says("CronJob web/other, another installation, also checks namespace web"),
      ]);
      expect(overlappingInstallWarnings(installSpec({ allNamespaces: true }), [cronJob])).toEqual([
        says("CronJob web/other, another installation, also checks namespace web"),
      ]);
    }
    expect(overlappingInstallWarnings(installSpec(), [everywhere])).toEqual([
      says(
        "CronJob web/other, another installation, also checks namespace tools (it checks every namespace)",
      ),
    ]);
  });
});
