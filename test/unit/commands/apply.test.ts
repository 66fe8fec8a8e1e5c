/**
 * apply as the CronJob's Job, ending before its plan: a run held back by a suspended Job fails like any run
 * that fails there (exit 1, its result line kept, its RunReport posted to a webhook on loopback), not as a
 * refusal (no --yes, "no" at the prompt), which posts nothing. kubectl is answered in-process; the built CLI
 * against the fake kubectl is in test/integration/webhook.test.ts and cli.test.ts.
 */
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { beforeEach, describe, expect, it, onTestFinished } from "vitest";
import type { Exec } from "../../../src/adapters/exec.js";
import { Kubectl } from "../../../src/adapters/kubectl.js";
import { type ApplyOptions, applyCommand } from "../../../src/commands/apply.js";
import type { Context } from "../../../src/commands/context.js";
import { AutoupdateError, RefusedError } from "../../../src/errors.js";
import { main } from "../../../src/main.js";
import { makeChalk } from "../../../src/output/color.js";
import { FakeClock } from "../../support/fake-clock.js";
import { makeCronJobRun } from "../../support/pods.js";
import { testIo } from "../../support/test-io.js";
import { webhookReceiver } from "../../support/webhook-receiver.js";

const webhook = webhookReceiver();

const job = (name: string, created: string, suspend: boolean) =>
  makeCronJobRun(name, "tools", created, suspend);
const ownJob = job("kubectl-autoupdate-29926880", "2026-11-25T13:20:00Z", false);
const suspendedEarlier = () => ({
  items: [job("kubectl-autoupdate-29926870", "2026-11-25T13:10:00Z", true), ownJob],
});
let jobs = suspendedEarlier();
// Some tests give the CronJob other Jobs: each starts from the suspended earlier one.
beforeEach(() => {
  jobs = suspendedEarlier();
});

/** kubectl for a run whose turn is taken: the Jobs, and the Event it records; nothing else is asked. */
const exec: Exec = async (_file, args) => {
  const text = args.join(" ");
  const answer = (stdout: string) => ({ exitCode: 0, stdout, stderr: "", interrupted: false });
  if (text.startsWith("get jobs.batch --namespace=tools")) return answer(JSON.stringify(jobs));
  if (text.startsWith("create -f -")) return answer("event.events.k8s.io/kubectl-autoupdate.abcde\n");
  throw new Error(`unexpected kubectl ${text}`);
};

function context(options: Partial<ApplyOptions>, clock = new FakeClock()) {
  const stderr = new PassThrough();
  let said = "";
  stderr.on("data", (chunk) => {
    said += String(chunk);
  });
  const io = testIo({ stderr: stderr as unknown as NodeJS.WriteStream });
  const ctx = {
    io,
    options: {
      yes: true,
      dryRun: false,
      summaryJson: true,
      output: "table",
      webhook: {
        url: webhook.url,
        timeoutMs: 5000,
        proxy: { https: null, http: null, noProxy: { all: false, addresses: [], ranges: [], domains: [] } },
      },
      ownJob: { name: "kubectl-autoupdate-29926880", namespace: "tools" },
      ...options,
    } as ApplyOptions,
    clock,
    colors: { stdout: makeChalk(false), stderr: makeChalk(false) },
    debug: () => {},
    exec,
    kubectl: new Kubectl(exec, "kubectl", {}),
  } as unknown as Context<ApplyOptions>;
  return { ctx, stderr: () => said };
}

describe("a run held back by a suspended Job", () => {
  it("fails as any failed run does: its RunReport posted with outcome failed, its result kept", async () => {
    const resultFile = join(tmpdir(), `kau-held-run-${process.pid}`);
    const { ctx, stderr } = context({ resultFile });
    const error = await applyCommand(ctx).catch((e: unknown) => e);
    const message =
      "job kubectl-autoupdate-29926870 of cronjob/kubectl-autoupdate is suspended, not finished: no run restarts anything until it is resumed or deleted (kubectl delete job kubectl-autoupdate-29926870 -n tools)";
    expect(webhook.posts).toHaveLength(1);
    expect(JSON.parse(webhook.posts[0]!)).toMatchObject({
      kind: "RunReport",
      outcome: "failed",
      error: message,
      summary: null,
      restarts: [],
    });
    expect(readFileSync(resultFile, "utf8")).toBe(`error: ${message}\n`);
    expect(error).toBeInstanceOf(AutoupdateError);
    expect(error).not.toBeInstanceOf(RefusedError);
    expect((error as AutoupdateError).exitCode).toBe(1);
    expect((error as Error).message).toBe(message);
    expect(stderr()).toBe("");
  });
});

describe("a run behind a Job the controller failed, whose pod is still stopping", () => {
  /** The earlier Job past its deadline at 13:40, its pod still Terminating (as on a lost node). */
  const failing = {
    ...job("kubectl-autoupdate-29926870", "2026-11-25T13:10:00Z", false),
    status: {
      active: 0,
      terminating: 1,
      conditions: [
        {
          type: "FailureTarget",
          status: "True",
          reason: "DeadlineExceeded",
          lastTransitionTime: "2026-11-25T13:40:00Z",
        },
      ],
    },
  };

  it("gives way while that pod may still be stopping", async () => {
    jobs = { items: [failing, ownJob] };
    const { ctx, stderr } = context({}, new FakeClock(Date.parse("2026-11-25T13:45:00Z")));
    await applyCommand(ctx);
    expect(stderr()).toContain("has failed, and its pod is still stopping: this run restarts nothing");
    expect(webhook.posts).toHaveLength(0);
  });

  it("fails once it has been stopping far beyond its grace period: its node is likely lost", async () => {
    jobs = { items: [failing, ownJob] };
    const { ctx } = context({}, new FakeClock(Date.parse("2026-11-25T22:00:00Z")));
    const error = await applyCommand(ctx).catch((e: unknown) => e);
    expect((error as AutoupdateError).exitCode).toBe(1);
    expect((error as Error).message).toBe(
      "job kubectl-autoupdate-29926870 of cronjob/kubectl-autoupdate has failed, and its pod has been stopping since 2026-11-25T13:40:00Z, its node perhaps lost: no run restarts anything until its pod is gone (see its node with kubectl get pods -l batch.kubernetes.io/job-name=kubectl-autoupdate-29926870 -n tools -o wide; once that node is down, kubectl delete pods -l batch.kubernetes.io/job-name=kubectl-autoupdate-29926870 -n tools --force --grace-period=0)",
    );
    expect(JSON.parse(webhook.posts[0]!)).toMatchObject({ outcome: "failed" });
  });
});

describe("a run that fails on its own flags (the CronJob's args edited by hand)", () => {
  it("keeps its result and posts its RunReport, as any failed run", async () => {
    const resultFile = join(tmpdir(), `kau-usage-run-${process.pid}`);
    const env = {
      KUBECTL_AUTOUPDATE_WEBHOOK_URL: webhook.url.href,
      KUBECTL_AUTOUPDATE_RESULT_FILE: resultFile,
    };
    const code = await main(["apply", "--yes", "--concurrency=100"], testIo({ env }));
    expect(code).toBe(1);
    const message = readFileSync(resultFile, "utf8");
    rmSync(resultFile);
    expect(message).toMatch(/^error: invalid value "100" for --concurrency/);
    expect(JSON.parse(webhook.posts[0]!)).toMatchObject({
      kind: "RunReport",
      outcome: "failed",
      error: message.slice("error: ".length, -1),
      summary: null,
    });
  });

  it("a flag mistyped (unknown to it): the same, its value never said", async () => {
    const resultFile = join(tmpdir(), `kau-unknown-flag-run-${process.pid}`);
    const env = {
      KUBECTL_AUTOUPDATE_WEBHOOK_URL: webhook.url.href,
      KUBECTL_AUTOUPDATE_RESULT_FILE: resultFile,
    };
    const code = await main(["apply", "--yes", "--concurency=s3cr3t"], testIo({ env }));
    expect(code).toBe(1);
    expect(readFileSync(resultFile, "utf8")).toBe("error: unknown flag: --concurency\n");
    rmSync(resultFile);
    expect(JSON.parse(webhook.posts[0]!)).toMatchObject({
      outcome: "failed",
      error: "unknown flag: --concurency",
    });
    expect(webhook.posts[0]).not.toContain("s3cr3t");
  });

  it("webhook settings that are wrong too (a --webhook-secret Secret whose url is empty): the result is kept", async () => {
    const resultFile = join(tmpdir(), `kau-empty-webhook-run-${process.pid}`);
    const env = { KUBECTL_AUTOUPDATE_WEBHOOK_URL: "", KUBECTL_AUTOUPDATE_RESULT_FILE: resultFile };
    onTestFinished(() => rmSync(resultFile, { force: true }));
    expect(await main(["apply", "--yes"], testIo({ env }))).toBe(1);
    expect(readFileSync(resultFile, "utf8")).toMatch(
      /^error: \$KUBECTL_AUTOUPDATE_WEBHOOK_URL is set but empty/,
    );
  });

  it.each([
    [["--color=never", "--concurrency=0"], false],
    [["--color=always", "--concurrency=0"], true],
    // Refused by the flag parser before any value is read.
    [["--color", "never", "--concurency=5"], false],
    [["--color=always", "--no-such-flag"], true],
  ])("its warnings are coloured as --color says, on a terminal or not: %j", async (flags, colored) => {
    const stderr = Object.assign(new PassThrough(), { isTTY: !colored });
    let written = "";
    stderr.on("data", (chunk) => {
      written += String(chunk);
    });
    const env = { KUBECTL_AUTOUPDATE_RESULT_FILE: join(tmpdir(), "kau-no-such-dir", "result") };
    const io = testIo({ env, stderr: stderr as unknown as NodeJS.WriteStream });
    expect(await main(["apply", ...flags], io)).toBe(1);
    expect(written).toContain("the run's result was not kept");
    expect(written.includes("\u001b[")).toBe(colored);
  });

  it.each([
    [["--kubectl", "https://hooks.example.test/services/s3cr3t"], {}],
    [[], { KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP: "https://hooks.example.test/services/s3cr3t" }],
  ])("a webhook's URL put in the wrong place (%j %j) is said nowhere", async (argv, wrong) => {
    const resultFile = join(tmpdir(), `kau-misplaced-url-run-${process.pid}`);
    const env = {
      ...wrong,
      KUBECTL_AUTOUPDATE_WEBHOOK_URL: webhook.url.href,
      KUBECTL_AUTOUPDATE_RESULT_FILE: resultFile,
    };
    const stderr = new PassThrough();
    let written = "";
    stderr.on("data", (chunk) => {
      written += String(chunk);
    });
    const io = testIo({ env, stderr: stderr as unknown as NodeJS.WriteStream });
    onTestFinished(() => rmSync(resultFile, { force: true }));
    expect(await main(["apply", "--yes", ...argv], io)).toBe(1);
    expect(webhook.posts).toHaveLength(1);
    const said = { result: readFileSync(resultFile, "utf8"), stderr: written, posted: webhook.posts[0] };
    expect(said.result).toContain("not shown: it may hold credentials");
    expect(JSON.stringify(said)).not.toContain("s3cr3t");
  });

  it.each([
    ["--webhook-url", "https://hooks.example.test/mine"],
    ["--webhook-url=https://hooks.example.test/mine"],
    ["--webhook-url-file", "/dev/null"],
  ])(
    "a webhook flag beside the mistyped one (%s) wins over the variable: nothing posted there",
    async (...flag) => {
      const resultFile = join(tmpdir(), `kau-webhook-flag-run-${process.pid}`);
      const env = {
        KUBECTL_AUTOUPDATE_WEBHOOK_URL: webhook.url.href,
        KUBECTL_AUTOUPDATE_RESULT_FILE: resultFile,
      };
      const posted = webhook.posts.length;
      expect(await main(["apply", ...flag, "--concurency=4"], testIo({ env }))).toBe(1);
      expect(webhook.posts).toHaveLength(posted);
      // The result is kept all the same.
      expect(readFileSync(resultFile, "utf8")).toMatch(/^error: unknown flag: --concurency/);
      rmSync(resultFile);
    },
  );

  it.each([
    ["--concurency=4", "unknown flag: --concurency (Did you mean --concurrency?)"],
    ["--yes=maybe", 'invalid argument "maybe" for "-y, --yes": it takes true or false, or no value'],
  ])("%s, before the verb too: the result and the report say why on one line", async (flag, why) => {
    for (const argv of [
      ["apply", flag],
      [flag, "apply"],
    ]) {
      const resultFile = join(tmpdir(), `kau-refused-run-${process.pid}`);
      const env = {
        KUBECTL_AUTOUPDATE_WEBHOOK_URL: webhook.url.href,
        KUBECTL_AUTOUPDATE_RESULT_FILE: resultFile,
      };
      expect(await main(argv, testIo({ env }))).toBe(1);
      expect(readFileSync(resultFile, "utf8")).toBe(`error: ${why}\n`);
      rmSync(resultFile);
      expect(JSON.parse(webhook.posts.at(-1)!)).toMatchObject({ outcome: "failed", error: why });
    }
  });

  it.each([
    ["--dry-run", true],
    ["--dry-run=server", true],
    ["--dry-run=true", true],
    ["--dry-run=none", false],
    ["--dry-run=false", false],
  ])(
    "%s, the run refused on another flag: its report says whether it was a dry run",
    async (flag, dryRun) => {
      const env = { KUBECTL_AUTOUPDATE_WEBHOOK_URL: webhook.url.href };
      expect(await main(["apply", flag, "--yes=maybe"], testIo({ env }))).toBe(1);
      expect(JSON.parse(webhook.posts[0]!)).toMatchObject({ outcome: "failed", dryRun });
    },
  );

  it("plan, and apply's help, report nothing", async () => {
    const env = { KUBECTL_AUTOUPDATE_WEBHOOK_URL: webhook.url.href };
    expect(await main(["plan", "--concurency=4"], testIo({ env }))).toBe(1);
    expect(await main(["apply", "--help"], testIo({ env }))).toBe(0);
    expect(webhook.posts).toHaveLength(0);
  });

  it("reports nothing when its webhook flags are wrong too", async () => {
    const env = { KUBECTL_AUTOUPDATE_WEBHOOK_URL: "not a url" };
    expect(await main(["apply", "--yes", "--concurrency=100"], testIo({ env }))).toBe(1);
    expect(webhook.posts).toHaveLength(0);
  });
});
