/** install-cron's spec and what it made, as the CronJob form's tests need them. */
import { buildInstallObjects } from "../../src/cron/core/install-objects.js";
import type { InstallSpec } from "../../src/cron/core/installation.js";
import type { CronJobObject } from "../../src/cron/core/jobs.js";

/** The spec of `install-cron -n tools`, with what a test varies. */
export function installSpec(overrides: Partial<InstallSpec> = {}): InstallSpec {
  return {
    name: "kubectl-autoupdate",
    namespace: "tools",
    allNamespaces: false,
    schedule: "*/10 * * * *",
    suspend: false,
    resolver: "registry",
    dockerSocket: false,
    image: "ghcr.io/kubectl-autoupdate/kubectl-autoupdate:0.1.0",
    ...overrides,
  };
}

/** What an earlier `install-cron -n tools` (with `-A` when `allNamespaces`) made, as the server holds it. */
export function installedObjects(allNamespaces: boolean) {
  return buildInstallObjects(installSpec({ allNamespaces })).map((o) => ({
    ...o,
    metadata: { ...o.metadata, resourceVersion: "7" },
  }));
}

type Installed = ReturnType<typeof installedObjects>;

/** The installed objects, the CronJob's command rewritten by hand. */
export function withJobCommand(objects: Installed, edit: (words: string[]) => string[]): Installed {
  return objects.map((o) => {
    if (o.kind !== "CronJob") return o;
    const edited = structuredClone(o) as unknown as CronJobObject;
    const container = edited.spec.jobTemplate.spec.template!.spec!.containers![0]!;
    container.command = edit(container.command ?? []);
    return edited as unknown as Installed[number];
  });
}
