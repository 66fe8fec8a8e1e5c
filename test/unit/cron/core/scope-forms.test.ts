/**
 * The scope read back from the job's command, in every form the job's apply takes: a hand-edited
 * `--all-namespaces=True` is every namespace to the guards too, and `-l SELECTOR` is the selector.
 */
import { describe, expect, it } from "vitest";
import { createProgram } from "../../../../src/cli/program.js";
import { describeProgram } from "../../../../src/completion/spec.js";
import { uninstallCronCommand } from "../../../../src/cron/commands/uninstall-cron.js";
import type { CronJobObject } from "../../../../src/cron/core/jobs.js";
import {
  applyShortFlags,
  checksEveryNamespace,
  cronStatus,
  scopeOf,
} from "../../../../src/cron/core/status.js";
import { ToolFailedError } from "../../../../src/errors.js";
import { cronVerbDeps, InstallCluster } from "../../../support/install-cluster.js";
import { installedObjects } from "../../../support/install-spec.js";
import { testIo } from "../../../support/test-io.js";

type Installed = ReturnType<typeof installedObjects>;

/** The installed objects, the CronJob's command rewritten by hand. */
function withCommand(objects: Installed, edit: (words: string[]) => string[]): Installed {
  return objects.map((o) => {
    if (o.kind !== "CronJob") return o;
    const edited = structuredClone(o) as unknown as CronJobObject;
    const container = edited.spec.jobTemplate.spec.template!.spec!.containers![0]!;
    container.command = edit(container.command ?? []);
    return edited as unknown as (typeof objects)[number];
  });
}

const cronJobOf = (objects: Installed) =>
  objects.find((o) => o.kind === "CronJob") as unknown as CronJobObject;

describe("the scope read back from the job's command", () => {
  it.each(["-A", "-A=true", "--all-namespaces=1", "--all-namespaces=True", "--all-namespaces=t", "-A=yes"])(
    "%s is every namespace (a value apply would refuse too: the guards err safe)",
    (flag) => {
      const edited = withCommand(installedObjects(true), (w) =>
        w.map((x) => (x === "--all-namespaces" ? flag : x)),
      );
      expect(checksEveryNamespace(cronJobOf(edited))).toBe(true);
    },
  );

  it.each(["-Av", "-vA", "-yA", "-yA=true", "-Av6"])(
    "%s, short flags combined, is every namespace",
    (flag) => {
      const edited = withCommand(installedObjects(true), (w) =>
        w.map((x) => (x === "--all-namespaces" ? flag : x)),
      );
      expect(checksEveryNamespace(cronJobOf(edited))).toBe(true);
    },
  );

  it.each([
    [["-yn=shop", "-vl=app=web"], "shop", "app=web"],
    [["-vn", "shop", "-l", "app=web"], "shop", "app=web"],
    [["-nshop", "-lapp=web"], "shop", "app=web"],
    // Empty, as apply takes it: the CronJob's own namespace.
    [["--namespace="], "tools", null],
    [["-n", ""], "tools", null],
  ])("%j: namespace %s, selector %s", (words, namespace, selector) => {
    const cronJob = cronJobOf(
      withCommand(installedObjects(false), (w) => [
        ...w.filter((x) => !x.startsWith("--namespace")),
        ...words,
      ]),
    );
    expect(scopeOf(cronJob)).toMatchObject({ namespace, selector });
  });

  it("the short flags it reads are the ones apply takes", () => {
    const apply = describeProgram(createProgram(testIo())).verbs.find((v) => v.name === "apply")!;
    const cli = apply.flags.filter((f) => f.short).map((f) => [f.short, f.takesValue]);
    expect([...applyShortFlags].map(([name, f]) => [name, f.takesValue]).sort()).toEqual(cli.sort());
  });

  it.each(["-A=false", "--all-namespaces=0", "--all-namespaces=F"])("%s is not", (flag) => {
    const edited = withCommand(installedObjects(true), (w) =>
      w.map((x) => (x === "--all-namespaces" ? flag : x)),
    );
    expect(checksEveryNamespace(cronJobOf(edited))).toBe(false);
  });

  it.each([
    ["-l", "tier=frontend"],
    ["--selector", "tier=frontend"],
    ["-ltier=frontend"],
    ["-l=tier=frontend"],
    ["--selector=tier=frontend"],
  ])("%s %s is the selector, in cron-status too", (...words) => {
    const cronJob = cronJobOf(withCommand(installedObjects(false), (w) => [...w, ...words]));
    expect(scopeOf(cronJob).selector).toBe("tier=frontend");
    const status = cronStatus(
      { ...cronJob, metadata: { ...cronJob.metadata, uid: "u" } },
      [],
      new Map(),
      null,
      [],
    );
    expect(status.scope.selector).toBe("tier=frontend");
  });

  it("uninstall-cron by a namespace admin of a hand-edited --all-namespaces=True install deletes nothing", async () => {
    const objects = withCommand(installedObjects(true), (w) =>
      w.map((x) => (x === "--all-namespaces" ? "--all-namespaces=True" : x)),
    );
    const cluster = new InstallCluster(objects).refuseClusterLists();
    const { deps } = cronVerbDeps(cluster.exec);
    const options = {
      name: "kubectl-autoupdate",
      namespace: "tools",
      dryRun: false,
      connection: {},
      kubectlPath: "kubectl",
      color: "never",
      verbose: false,
    } as unknown as Parameters<typeof uninstallCronCommand>[1];
    const error = await uninstallCronCommand(deps, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ToolFailedError);
    expect(cluster.writes()).toEqual([]);
  });
});
