/** What installing again changes in what the runs do, told from the CronJob there and the one to apply. */
import { describe, expect, it } from "vitest";
import { buildInstallObjects } from "../../../../src/cron/core/install-objects.js";
import type { InstallSpec } from "../../../../src/cron/core/installation.js";
import type { CronJobObject } from "../../../../src/cron/core/jobs.js";
import { runChanges } from "../../../../src/cron/core/run-changes.js";
import { jobContainerOf } from "../../../../src/cron/core/status.js";
import { installSpec } from "../../../support/install-spec.js";

const cronJobOf = (overrides: Partial<InstallSpec>) =>
  buildInstallObjects(installSpec(overrides)).find((o) => o.kind === "CronJob") as unknown as CronJobObject;

describe("runChanges", () => {
  it("nothing when the same flags are given again", () => {
    const flags: Partial<InstallSpec> = {
      strategy: "evict",
      selector: "tier=frontend",
      schedule: "0 3 * * *",
    };
    expect(runChanges(cronJobOf(flags), cronJobOf(flags))).toEqual([]);
  });

  it("when the runs come: a nightly job given again without its schedule and time zone, or suspended", () => {
    const nightly = cronJobOf({ strategy: "evict", schedule: "0 3 * * *", timeZone: "Europe/Berlin" });
    expect(runChanges(nightly, cronJobOf({ strategy: "evict" }))).toEqual([
      '--schedule "0 3 * * *" → "*/10 * * * *"',
      "--time-zone Europe/Berlin dropped",
    ]);
    const suspended = cronJobOf({ strategy: "evict", schedule: "0 3 * * *", suspend: true });
    expect(runChanges(cronJobOf({ strategy: "evict", schedule: "0 3 * * *" }), suspended)).toEqual([
      "--suspend added",
    ]);
  });

  it("a flag left out is back at its default: each change named, old → new", () => {
    const earlier = cronJobOf({ strategy: "evict", selector: "tier=frontend", minAge: "1h" });
    const again = cronJobOf({ strategy: "auto" });
    expect(runChanges(earlier, again)).toEqual([
      "--selector tier=frontend dropped",
      "--min-age 1h dropped",
      "--strategy evict → auto",
    ]);
  });

  it("what lives in the job's environment and volumes: the webhook, the proxy, the docker socket", () => {
    const earlier = cronJobOf({
      webhookSecret: "hook",
      proxy: { url: "http://proxy.example:3128", bypass: ["10.0.0.0/8"] },
      dockerSocket: true,
      resolver: "docker",
    });
    expect(runChanges(earlier, cronJobOf({ resolver: "docker" }))).toEqual([
      "--webhook-secret hook dropped",
      "--proxy http://proxy.example:3128 dropped",
      "--proxy-bypass 10.0.0.0/8 dropped",
      "--docker-socket dropped",
    ]);
    const bySecret = cronJobOf({ proxy: { secret: "egress", bypass: [] } });
    expect(runChanges(cronJobOf({ proxy: { secret: "egress", bypass: [] } }), bySecret)).toEqual([]);
    expect(runChanges(bySecret, cronJobOf({}))).toEqual(["--proxy-secret egress dropped"]);
  });

  it("a webhook URL or a proxy's password written into the CronJob by hand is not repeated", () => {
    const byHand = cronJobOf({});
    const container = jobContainerOf(byHand)!;
    container.env = [
      ...(container.env ?? []),
      { name: "KUBECTL_AUTOUPDATE_WEBHOOK_URL", value: "https://hooks.example/services/T0/B0/TOKEN123" },
      { name: "HTTPS_PROXY", value: "http://alice:Pw9secret@proxy.example:3128" },
    ];
    const changes = runChanges(byHand, cronJobOf({}));
    expect(changes).toEqual([
      "--webhook-secret (a value set by hand) dropped",
      "--proxy http://proxy.example:3128 dropped",
    ]);
    // In the command too, written over install-cron's (apply takes --webhook-url): gone with the command.
    const inCommand = cronJobOf({});
    const job = jobContainerOf(inCommand)!;
    job.command = [...(job.command ?? []), "--webhook-url=https://hooks.example/services/T0/B0/TOKEN123"];
    expect(runChanges(inCommand, cronJobOf({}))).toEqual(["--webhook-url (a value set by hand) dropped"]);
    // Nor a password in any URL written into a flag (apply refuses such a --server, but the warning
    // is shown).
    job.command = [...job.command, "--server=https://admin:hunter2@api.example:6443/?token=x"];
    expect(runChanges(inCommand, cronJobOf({}))).toEqual([
      "--webhook-url (a value set by hand) dropped",
      "--server https://api.example:6443/?… dropped",
    ]);
  });

  it("flags added by hand to the job's args stay: install-cron sets only the command, and they come after it", () => {
    const patched = (args: string[]) => {
      const cronJob = cronJobOf({ strategy: "evict" });
      jobContainerOf(cronJob)!.args = args;
      return cronJob;
    };
    expect(runChanges(patched(["--concurrency=8"]), cronJobOf({ strategy: "evict" }))).toEqual([]);
    // One that overrides install-cron's own still does after the install: no change to tell.
    expect(runChanges(patched(["--strategy=delete"]), cronJobOf({ strategy: "auto" }))).toEqual([]);
    // What the command changes under them is told as before.
    expect(runChanges(patched(["--concurrency=8"]), cronJobOf({}))).toEqual(["--strategy evict → auto"]);
  });

  it("a proxy without a scheme, as install-cron takes it: its change is seen, a password written by hand is not shown", () => {
    const proxied = (url: string) => cronJobOf({ proxy: { url, bypass: [] } });
    expect(runChanges(proxied("10.0.0.1:3128"), proxied("10.0.0.2:3128"))).toEqual([
      "--proxy 10.0.0.1:3128 → 10.0.0.2:3128",
    ]);
    expect(runChanges(proxied("proxy.corp:3128"), cronJobOf({}))).toEqual([
      "--proxy proxy.corp:3128 dropped",
    ]);
    const byHand = cronJobOf({});
    const container = jobContainerOf(byHand)!;
    container.env = [
      ...(container.env ?? []),
      { name: "HTTPS_PROXY", value: "s3cr3tapikey:@proxy.example:3128" },
    ];
    expect(runChanges(byHand, cronJobOf({}))).toEqual(["--proxy http://proxy.example:3128 dropped"]);
  });

  it("the scope, a flag added and the image", () => {
    const earlier = cronJobOf({});
    const again = cronJobOf({
      allNamespaces: true,
      selector: "tier=web",
      image: "registry.example/kau:0.2.0",
    });
    expect(runChanges(earlier, again)).toEqual([
      "--namespace tools dropped",
      "--all-namespaces added",
      "--selector tier=web added",
      "image ghcr.io/kubectl-autoupdate/kubectl-autoupdate:0.1.0 → registry.example/kau:0.2.0",
    ]);
  });
});
