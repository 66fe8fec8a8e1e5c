/**
 * The scope read back from the job's command, in every form the job's apply takes: a hand-edited
 * `--all-namespaces=True` or `-Av` is every namespace to the guards too (uninstall-cron.test.ts), and
 * `-l SELECTOR` is the selector.
 */
import { describe, expect, it } from "vitest";
import { createProgram } from "../../../../src/cli/program.js";
import { describeProgram } from "../../../../src/completion/spec.js";
import type { CronJobObject } from "../../../../src/cron/core/jobs.js";
import {
  applyShortFlags,
  checksEveryNamespace,
  cronStatus,
  scopeOf,
} from "../../../../src/cron/core/status.js";
import { installedObjects, withJobCommand } from "../../../support/install-spec.js";
import { testIo } from "../../../support/test-io.js";

const cronJobOf = (objects: ReturnType<typeof installedObjects>) =>
  objects.find((o) => o.kind === "CronJob") as unknown as CronJobObject;

describe("the scope read back from the job's command", () => {
  it.each(["-A", "-A=true", "--all-namespaces=1", "--all-namespaces=True", "--all-namespaces=t", "-A=yes"])(
    "%s is every namespace (a value apply would refuse too: the guards err safe)",
    (flag) => {
      const edited = withJobCommand(installedObjects(true), (w) =>
        w.map((x) => (x === "--all-namespaces" ? flag : x)),
      );
      expect(checksEveryNamespace(cronJobOf(edited))).toBe(true);
    },
  );

  it.each(["-Av", "-vA", "-yA", "-yA=true", "-Av6"])(
    "%s, short flags combined, is every namespace",
    (flag) => {
      const edited = withJobCommand(installedObjects(true), (w) =>
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
      withJobCommand(installedObjects(false), (w) => [
        ...w.filter((x) => !x.startsWith("--namespace")),
        ...words,
      ]),
    );
    expect(scopeOf(cronJob)).toMatchObject({ namespace, selector });
  });

  it("the short flags it reads are the ones apply takes", () => {
    const apply = describeProgram(createProgram(testIo())).verbs.find((v) => v.name === "apply")!;
    const cli = apply.flags.filter((f) => f.short).map((f) => [f.short, f.takesValue, f.long]);
    expect([...applyShortFlags].map(([name, f]) => [name, f.takesValue, f.long]).sort()).toEqual(cli.sort());
  });

  it.each(["-A=false", "--all-namespaces=0", "--all-namespaces=F"])("%s is not", (flag) => {
    const edited = withJobCommand(installedObjects(true), (w) =>
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
    const cronJob = cronJobOf(withJobCommand(installedObjects(false), (w) => [...w, ...words]));
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
});
