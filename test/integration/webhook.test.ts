/**
 * apply's webhook, from the built CLI to a real HTTP server on loopback: one RunReport per run that tried a
 * restart (or failed), a failing or hanging endpoint that changes nothing but one warning line (in bounded
 * time), and a URL that never shows — not in stdout, stderr, --verbose, any kubectl child's argv, stdin or
 * environment, nor in install-cron's objects. The registry is real (the plan needs a moved tag); kubectl
 * is the recording fake.
 */

import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCli } from "../support/cli.js";
import { pushCraftedImage } from "../support/crafted-image.js";
import { FakeCluster } from "../support/fake-kubectl.js";
import { startHttpProxy } from "../support/http-proxy.js";
import { makeCronJobRun, makeReplicaSet } from "../support/pods.js";
import { type Registry, startRegistry } from "../support/registry/distribution.js";
import { deploymentPod, type PlanRun, removeTempDirs, runPlan } from "../support/registry/harness.js";

const envName = "KUBECTL_AUTOUPDATE_WEBHOOK_URL";
const revision = "9f8e7d1c0b2a39485766554433221100ffeeddcc";
/** The parts of the URL a leak would show: its token path and query. */
const token = "s3cr3tT0k3n";
const path = `/services/T0001/B0002/${token}?sig=q5ig`;

/**
 * A webhook receiver (on loopback unless told): answers with `statuses` in turn (the last repeats), or
 * never (`hang`).
 */
class Receiver {
  readonly requests: { method: string; url: string; type: string; body: string }[] = [];
  statuses: number[] = [200];
  hang = false;
  private server: Server = createServer((req, res) => this.answer(req, res));
  private hanging: ServerResponse[] = [];

  constructor(private readonly address = "127.0.0.1") {}

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, this.address, resolve));
  }

  get url(): string {
    return `http://${this.address}:${(this.server.address() as AddressInfo).port}${path}`;
  }

  reset(statuses: number[] = [200], hang = false): void {
    this.requests.length = 0;
    this.statuses = statuses;
    this.hang = hang;
  }

  /** The one RunReport received. */
  report(): RunReportDoc {
    expect(this.requests).toHaveLength(1);
    return JSON.parse(this.requests[0]!.body) as RunReportDoc;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      this.requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        type: req.headers["content-type"] ?? "",
        body,
      });
      if (this.hang) {
        this.hanging.push(res);
        return;
      }
      const status = this.statuses[Math.min(this.requests.length - 1, this.statuses.length - 1)]!;
      res.writeHead(status).end(status < 300 ? "ok" : "no");
    });
  }
}

interface RunReportDoc {
  apiVersion: string;
  kind: string;
  id: string;
  outcome: string;
  error?: string;
  dryRun: boolean;
  summary: { kind: string; evicted: number; failed: number; dryRun: boolean } | null;
  restarts: {
    kind: string;
    name: string;
    strategy: string;
    outcome: string;
    reason?: string;
    pods: string[];
    images: { container: string; oldDigest: string; newDigest: string; newImage?: { revision?: string } }[];
  }[];
  text: string;
}

let registry: Registry;
const receiver = new Receiver();
let image: string;
let v1: string;
let v2: string;

beforeAll(async () => {
  registry = await startRegistry();
  await receiver.start();
  const ago = new Date(Date.now() - 12 * 60_000).toISOString().replace(/\.\d+Z$/, "Z");
  v1 = (await pushCraftedImage(registry.host, "hooked", "main", { content: "hooked v1", created: ago }))
    .manifest;
  v2 = (
    await pushCraftedImage(registry.host, "hooked", "main", {
      content: "hooked v2",
      created: ago,
      labels: { "org.opencontainers.image.revision": revision },
    })
  ).manifest;
  image = `${registry.host}/hooked:main`;
});

afterAll(async () => {
  removeTempDirs();
  await receiver.stop();
  await registry?.stop();
});

/** Two stale pods of Deployment/web: auto evicts them (the fake serves no Deployment object to roll). */
function cluster(extra: ConstructorParameters<typeof FakeCluster>[0] = {}) {
  return new FakeCluster({
    pods: [deploymentPod("web-1", image, v1), deploymentPod("web-2", image, v1)],
    objects: [makeReplicaSet("web-7d9c8b", "web")],
    ...extra,
  });
}

const apply = ["apply", "--yes", "--no-wait", "--resolver", "registry"];

/** Runs the CLI with kubectl children watched for the variable too. */
function run(fake: FakeCluster, args: string[], env: NodeJS.ProcessEnv = {}): Promise<PlanRun> {
  return runPlan(fake, args, { env: { FAKE_KUBECTL_LOG_ENV: envName, ...env } });
}

/** The URL (and its token) in no output, no kubectl argv or stdin, and no kubectl child's environment. */
function expectUrlNowhere(result: PlanRun, fake: FakeCluster): void {
  const places = {
    stdout: result.stdout,
    stderr: result.stderr,
    kubectl: JSON.stringify(fake.calls().map(({ argv, stdin }) => ({ argv, stdin }))),
  };
  for (const [where, text] of Object.entries(places)) {
    expect(text.includes(token), `token in ${where}`).toBe(false);
    expect(text.includes(receiver.url), `URL in ${where}`).toBe(false);
  }
  expect(fake.calls().length).toBeGreaterThan(0);
  for (const call of fake.calls()) expect(call.env).toEqual({ [envName]: null });
}

describe("the RunReport reaches the webhook", () => {
  it("from $KUBECTL_AUTOUPDATE_WEBHOOK_URL: one POST of the JSON document, after the restarts", async () => {
    receiver.reset();
    const fake = cluster();
    const result = await run(fake, apply, { [envName]: receiver.url });
    expect(result.code, result.stderr).toBe(0);
    expect(fake.podNames()).toEqual([]);
    expect(receiver.requests.map((r) => [r.method, r.url, r.type])).toEqual([
      ["POST", path, "application/json"],
    ]);
    const report = receiver.report();
    expect(report).toMatchObject({
      apiVersion: "kubectl-autoupdate/v1",
      kind: "RunReport",
      outcome: "succeeded",
      dryRun: false,
      summary: { kind: "RunSummary", evicted: 2, failed: 0 },
    });
    expect(report.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(report.restarts).toEqual([
      {
        namespace: "default",
        kind: "Deployment",
        name: "web",
        strategy: "evict",
        // Evicted under --no-wait: their replacements not checked.
        outcome: "started",
        reason: "not checked (--no-wait)",
        pods: ["web-1", "web-2"],
        images: [
          {
            container: "app",
            image,
            oldDigest: v1,
            newDigest: v2,
            newImage: { created: expect.any(String), revision },
          },
        ],
      },
    ]);
    expect(report.text).toMatch(
      new RegExp(
        `^kubectl-autoupdate apply: 2 evicted \\(of 2 planned\\)\\n• Deployment default/web \\(evict\\) started: not checked \\(--no-wait\\) — .*hooked:main ${v1.slice(7, 19)} → ${v2.slice(7, 19)} \\(revision 9f8e7d1, built 1[23]m ago\\)$`,
      ),
    );
    expect(result.stderr).not.toContain("webhook");
    expectUrlNowhere(result, fake);
  });

  it("from --webhook-url-file, and from --webhook-url; --verbose names the host only", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kau-webhook-"));
    const file = join(dir, "url");
    writeFileSync(file, `${receiver.url}\n`, { mode: 0o600 });
    receiver.reset();
    const fromFile = cluster();
    const viaFile = await run(fromFile, [...apply, "--webhook-url-file", file, "--verbose"]);
    expect(viaFile.code, viaFile.stderr).toBe(0);
    expect(receiver.report().outcome).toBe("succeeded");
    const host = new URL(receiver.url).host;
    expect(viaFile.stderr).toContain(`webhook: POST http://${host}/… → HTTP 200 (attempt 1)`);
    expectUrlNowhere(viaFile, fromFile);

    receiver.reset();
    const fromFlag = cluster();
    const viaFlag = await run(fromFlag, [...apply, "--webhook-url", receiver.url, "--verbose"]);
    expect(viaFlag.code, viaFlag.stderr).toBe(0);
    expect(receiver.requests).toHaveLength(1);
    // The flag was the user's own argv; nothing the tool prints or starts carries it on.
    expectUrlNowhere(viaFlag, fromFlag);
  });

  it("through HTTP_PROXY, the way kubectl would go; the proxy's credentials shown nowhere; a dead proxy named", async () => {
    const proxy = await startHttpProxy({ user: "hook-proxy", password: "pr0xy-s3cret" });
    const remote = new Receiver(inject("localAddress"));
    await remote.start();
    try {
      const fake = cluster();
      const result = await run(fake, [...apply, "--verbose"], {
        [envName]: remote.url,
        HTTP_PROXY: `http://hook-proxy:pr0xy-s3cret@${proxy.address}`,
      });
      expect(result.code, result.stderr).toBe(0);
      expect(remote.report().outcome).toBe("succeeded");
      expect(proxy.requests()).toEqual([`POST ${remote.url}`]);
      expect(result.stdout + result.stderr).not.toContain("pr0xy-s3cret");

      // A proxy that is down: the warning names it; the restarts stand.
      remote.reset();
      const down = await run(cluster(), apply, { [envName]: remote.url, HTTP_PROXY: "http://127.0.0.1:1" });
      expect(down.code, down.stderr).toBe(0);
      expect(remote.requests).toEqual([]);
      expect(down.stderr).toContain(
        `webhook to ${new URL(remote.url).host} not delivered: proxy 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1 after 3 attempts`,
      );
    } finally {
      await remote.stop();
      await proxy.stop();
    }
  });

  it("a dry run reports too, marked as one; a run with nothing to restart posts nothing", async () => {
    receiver.reset();
    const dry = await run(cluster(), [...apply, "--dry-run"], { [envName]: receiver.url });
    expect(dry.code, dry.stderr).toBe(0);
    const report = receiver.report();
    expect(report).toMatchObject({ dryRun: true, summary: { dryRun: true, evicted: 2 } });
    expect(report.text.split("\n")[0]).toBe(
      "kubectl-autoupdate apply: 2 evicted (of 2 planned, server dry run)",
    );

    receiver.reset();
    const idle = new FakeCluster({
      pods: [deploymentPod("web-1", image, v2)],
      objects: [makeReplicaSet("web-7d9c8b", "web")],
    });
    const nothing = await run(idle, apply, { [envName]: receiver.url });
    expect(nothing.code, nothing.stderr).toBe(0);
    expect(nothing.stderr).toContain("Nothing to restart.");
    expect(receiver.requests).toEqual([]);
  });

  it("a run that failed is reported as failed, with what it did; its exit code stays 1", async () => {
    receiver.reset();
    const refused = cluster({
      faults: {
        "pods/web-2/eviction": {
          stderr:
            'Error from server (Forbidden): pods "web-2" is forbidden: User "u" cannot create resource "pods/eviction" in API group "" in the namespace "default"\n',
        },
      },
    });
    const result = await run(refused, apply, { [envName]: receiver.url });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: some planned pods were not restarted; see above");
    const report = receiver.report();
    expect(report).toMatchObject({
      outcome: "failed",
      error: "some planned pods were not restarted",
      summary: { evicted: 1, failed: 1 },
    });
    expect(report.restarts[0]).toMatchObject({
      outcome: "failed",
      reason: expect.stringContaining("Forbidden"),
    });

    // A run that fails before its plan is reported too.
    receiver.reset();
    const broken = cluster({
      faults: { "get pods": { stderr: "Error from server (Forbidden): pods is forbidden\n" } },
    });
    const early = await run(broken, apply, { [envName]: receiver.url });
    expect(early.code).toBe(1);
    expect(receiver.report()).toMatchObject({
      outcome: "failed",
      error: "kubectl get failed: Error from server (Forbidden): pods is forbidden",
      summary: null,
      restarts: [],
    });
  });

  it("a scheduled run held back by a suspended Job is reported as failed, as every run that failed is", async () => {
    const job = (name: string, created: string, suspend: boolean) =>
      makeCronJobRun(name, "default", created, suspend);
    const jobs = [
      job("kubectl-autoupdate-29926870", "2026-11-25T13:10:00Z", true),
      job("kubectl-autoupdate-29926880", "2026-11-25T13:20:00Z", false),
    ];
    receiver.reset();
    const fake = cluster().on(["get", "jobs.batch", "--namespace=default"], {
      stdout: JSON.stringify({ kind: "List", items: jobs }),
    });
    const result = await run(fake, apply, {
      [envName]: receiver.url,
      KUBECTL_AUTOUPDATE_JOB: "kubectl-autoupdate-29926880",
      KUBECTL_AUTOUPDATE_JOB_NAMESPACE: "default",
    });
    expect(result.code).toBe(1);
    const error =
      "job kubectl-autoupdate-29926870 of cronjob/kubectl-autoupdate is suspended, not finished: no run restarts anything until it is resumed or deleted (kubectl delete job kubectl-autoupdate-29926870 -n default)";
    expect(result.stderr).toContain(`error: ${error}\n`);
    expect(fake.podNames()).toHaveLength(2);
    expect(receiver.report()).toMatchObject({ outcome: "failed", error, summary: null, restarts: [] });
  });
});

describe("a webhook that fails changes nothing but the report", () => {
  it("HTTP 500: three attempts, one warning line, the same restarts, exit 0", async () => {
    receiver.reset([500]);
    const fake = cluster();
    const result = await run(fake, apply, { [envName]: receiver.url });
    expect(result.code, result.stderr).toBe(0);
    expect(fake.podNames()).toEqual([]);
    expect(receiver.requests).toHaveLength(3);
    const host = new URL(receiver.url).host;
    expect(result.stderr.split("\n").filter((l) => l.includes("webhook"))).toEqual([
      `Warning: webhook to ${host} not delivered: HTTP 500 after 3 attempts`,
    ]);
    expectUrlNowhere(result, fake);
  });

  it("an endpoint that never answers: each attempt times out (--webhook-timeout 1s); bounded, exit 0", async () => {
    receiver.reset([200], true);
    const fake = cluster();
    const result = await run(fake, [...apply, "--webhook-timeout", "1s"], { [envName]: receiver.url });
    expect(result.code, result.stderr).toBe(0);
    expect(fake.podNames()).toEqual([]);
    expect(receiver.requests).toHaveLength(3);
    expect(result.stderr).toContain("not delivered: no answer within 1s after 3 attempts\n");
    expectUrlNowhere(result, fake);
  });

  it("nothing listening: the run's failure stays its own (exit 1), the webhook's is one more line", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const url = `http://127.0.0.1:${port}${path}`;
    const fake = cluster({
      faults: { "/eviction": { stderr: "Error from server (InternalError): boom\n" } },
    });
    const result = await run(fake, apply, { [envName]: url });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines.slice(-2)).toEqual([
      `Warning: webhook to 127.0.0.1:${port} not delivered: ECONNREFUSED after 3 attempts`,
      "error: some planned pods were not restarted; see above",
    ]);
    expect(result.stderr).not.toContain(token);
  });

  it("a bad URL is refused before anything runs, without quoting it", async () => {
    const fake = cluster();
    const result = await run(fake, apply, { [envName]: `ftp://127.0.0.1${path}` });
    expect(result).toMatchObject({
      code: 1,
      stdout: "",
      stderr: "error: $KUBECTL_AUTOUPDATE_WEBHOOK_URL must be an https (or http) URL\n",
    });
    expect(fake.calls()).toEqual([]);
  });
});

describe("install-cron: the URL comes from a Secret, never into the CronJob", () => {
  it("--webhook-secret injects the Secret's key url as the variable; the URL is nowhere in the manifests", async () => {
    const fake = new FakeCluster();
    for (const output of ["yaml", "json"]) {
      const result = await runCli(
        ["install-cron", "-n", "tools", "--webhook-secret", "team-hooks", "--dry-run", "-o", output],
        fake.env({ [envName]: receiver.url }),
      );
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain("team-hooks");
      expect(result.stdout).toContain(envName);
      expect(result.stdout).toContain("secretKeyRef");
      expect(result.stdout.includes(token)).toBe(false);
      expect(result.stdout.includes("127.0.0.1")).toBe(false);
      expect(result.stderr.includes(token)).toBe(false);
    }
    const yaml = await runCli(
      ["install-cron", "-n", "tools", "--webhook-secret", "team-hooks", "--dry-run"],
      fake.env(),
    );
    expect(yaml.stdout).toMatch(
      /- name: KUBECTL_AUTOUPDATE_WEBHOOK_URL\n\s+valueFrom:\n\s+secretKeyRef:\n\s+name: team-hooks\n\s+key: url\n/,
    );
    // Nothing read from the cluster: install-cron never sees the Secret's value.
    expect(fake.calls()).toEqual([]);
  });

  it("--webhook-url is refused, with the way to a Secret, without quoting the URL", async () => {
    const fake = new FakeCluster();
    const result = await runCli(
      ["install-cron", "-n", "tools", `--webhook-url=${receiver.url}`, "--dry-run"],
      fake.env(),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("--webhook-secret NAME");
    expect(result.stderr.includes(token)).toBe(false);
    expect(fake.calls()).toEqual([]);
  });
});
