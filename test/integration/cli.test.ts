/**
 * The built CLI as a user meets it: flags, errors, output forms, confirmation, failures and signals.
 * Images live in a real registry; kubectl is the recording fake, used here for faults a real API
 * server can't produce (kubectl missing, failing, printing garbage, a deletion failing mid-apply).
 */
import { execFile, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import YAML from "yaml";
import { cliPath, FakeCluster, fakeBin, repoRoot, runCli } from "../support/cli.js";
import { pushImage } from "../support/images.js";
import { makePod, makeReplicaSet } from "../support/pods.js";
import { type Registry, startRegistry } from "../support/registry.js";

let registry: Registry;
let image: string;
let v1: string;
let v2: string;

beforeAll(async () => {
  registry = await startRegistry();
  image = `${registry.host}/web:latest`;
  v1 = await pushImage(image, "cli v1");
  v2 = await pushImage(image, "cli v2");
});
afterAll(() => registry?.stop());

/** Three stale replicas of one Deployment and one stale bare pod. */
function staleCluster(faults: ConstructorParameters<typeof FakeCluster>[0]["faults"] = {}) {
  const replica = (suffix: string) =>
    makePod({
      name: `web-7d9c8b-${suffix}`,
      owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
      labels: { app: "web", "pod-template-hash": "7d9c8b" },
      containers: [{ name: "app", image, runningDigest: v1 }],
    });
  return new FakeCluster({
    pods: [
      replica("aaaaa"),
      replica("bbbbb"),
      replica("ccccc"),
      makePod({ name: "debug", owner: null, containers: [{ name: "sh", image, runningDigest: v1 }] }),
    ],
    objects: [makeReplicaSet("web-7d9c8b", "web")],
    faults,
  });
}

const run = (cluster: FakeCluster, args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(args, cluster.env({ DOCKER_HOST: inject("dockerHost"), ...env }));

describe("usage", () => {
  it("kubectl finds the plugin on PATH and shows its help", async () => {
    const result = await new Promise<string>((done) =>
      execFile(
        "kubectl",
        ["autoupdate", "--help"],
        { env: { ...process.env, PATH: `${repoRoot}/bin:${process.env["PATH"]}` } },
        (_, out) => done(out),
      ),
    );
    expect(result).toContain("Usage: kubectl autoupdate");
    expect(result).toMatch(/plan \[options\]/);
    expect(result).toMatch(/apply \[options\]/);
  });

  it.each([
    [["plan", "--bogus"], "error: unknown option '--bogus'"],
    [["plan", "-o", "xml"], "argument 'xml' is invalid"],
    [["plan", "--concurrency", "0"], 'error: invalid value "0" for --concurrency'],
    [["plan", "--pull-timeout", "soon"], 'error: invalid value "soon" for --pull-timeout'],
    [["apply", "--wait-timeout", "x"], 'error: invalid value "x" for --wait-timeout'],
    [["frobnicate"], "error: unknown command 'frobnicate'"],
  ])("%j is a one-line usage error, exit 1", async (args, message) => {
    const cluster = staleCluster();
    const result = await run(cluster, args);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(cluster.calls()).toEqual([]);
  });
});

describe("errors name their cause on one line", () => {
  it("a missing kubectl says how to fix it", async () => {
    const result = await run(staleCluster(), ["plan", "--kubectl", "/nonexistent/kubectl"]);
    expect(result).toMatchObject({
      code: 1,
      stderr: "error: /nonexistent/kubectl: not found; install it or point --kubectl (or KUBECTL) at it\n",
    });
  });

  it("a missing docker says how to fix it, and nothing is deleted", async () => {
    const cluster = staleCluster();
    const result = await run(cluster, ["apply", "--yes", "--docker", "/nonexistent/docker"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "error: /nonexistent/docker: not found; install it or point --docker (or DOCKER) at it\n",
    );
    expect(cluster.podNames()).toHaveLength(4);
  });

  it("a stopped Docker engine is one error, not a plan full of unknowns", async () => {
    const cluster = staleCluster();
    const result = await run(cluster, ["apply", "--yes"], { DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: docker cannot reach its engine: .*\n$/);
    expect(cluster.podNames()).toHaveLength(4);
  });

  it("kubectl failing shows its first stderr line; a stack trace only with --verbose", async () => {
    const forbidden =
      'Error from server (Forbidden): pods is forbidden: User "dev" cannot list resource "pods" in API group "" in the namespace "default"\n';
    const cluster = staleCluster({ "get pods": { stderr: `${forbidden}second line\n`, exitCode: 1 } });
    const plain = await run(cluster, ["plan"]);
    expect(plain).toMatchObject({ code: 1, stderr: `error: kubectl get failed: ${forbidden}` });
    const verbose = await run(cluster, ["plan", "--verbose"]);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toContain("ToolFailedError");
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });

  it("malformed kubectl output says so", async () => {
    const cluster = staleCluster({ "get pods": { stdout: "<html>proxy error</html>", exitCode: 0 } });
    expect(await run(cluster, ["plan"])).toMatchObject({
      code: 1,
      stderr: "error: kubectl get pods printed malformed JSON\n",
    });
  });

  it("a failure while gathering deletes nothing", async () => {
    const cluster = staleCluster({
      "get replicasets": { stderr: "error: You must be logged in to the server (Unauthorized)\n" },
    });
    const result = await run(cluster, ["apply", "--yes"]);
    expect(result.code).toBe(1);
    expect(cluster.calls().some((c) => c.argv.includes("delete"))).toBe(false);
  });
});

describe("output", () => {
  it("json and yaml print the same Plan document and nothing else", async () => {
    const cluster = staleCluster();
    const json = await run(cluster, ["plan", "-o", "json"]);
    const yaml = await run(cluster, ["plan", "-o", "yaml"]);
    expect(json.code).toBe(0);
    expect(YAML.parse(yaml.stdout)).toEqual(JSON.parse(json.stdout));
    const doc = JSON.parse(json.stdout);
    expect(Object.keys(doc)).toEqual(["apiVersion", "kind", "resolver", "pods"]);
    expect(Object.keys(doc.pods[0])).toEqual([
      "namespace",
      "name",
      "owner",
      "action",
      "reason",
      "warnings",
      "containers",
    ]);
    expect(Object.keys(doc.pods[0].containers[0])).toEqual([
      "name",
      "init",
      "image",
      "ref",
      "runningDigest",
      "latestDigest",
      "status",
      "reason",
    ]);
    expect(doc.pods[0].containers[0]).toEqual({
      name: "app",
      init: false,
      image,
      ref: image,
      runningDigest: v1,
      latestDigest: v2,
      status: "stale",
      reason: "",
    });
  });

  it("the table, --no-headers, -o wide, and colour only when asked", async () => {
    const cluster = staleCluster();
    const table = await run(cluster, ["plan"]);
    const [header, first] = table.stdout.split("\n") as [string, string];
    expect(header).toMatch(
      /^NAMESPACE {3}POD\s+OWNER\s+CONTAINER\s+IMAGE\s+RUNNING\s+LATEST\s+ACTION\s+REASON$/,
    );
    // Columns line up under their headers, kubectl-style.
    expect(first.indexOf("Deployment/web")).toBe(header.indexOf("OWNER"));
    expect(first.indexOf(v1.slice(7, 19))).toBe(header.indexOf("RUNNING"));
    expect(table.stdout).toContain(
      "3 pods to delete in 1 namespace, 1 skipped, 0 unknown, 0 current (4 pods checked)",
    );
    expect(table.stdout).not.toContain("\u001b[");

    const bare = await run(cluster, ["plan", "--no-headers"]);
    expect(bare.stdout).not.toContain("NAMESPACE");
    expect(bare.stdout).not.toContain("pods checked");
    expect(bare.stdout.trim().split("\n")).toHaveLength(4);

    const wide = await run(cluster, ["plan", "-o", "wide"]);
    expect(wide.stdout.split("\n")[0]).toMatch(/NODE\s+CONTAINER\s+IMAGE\s+STATUS\s+RUNNING\s+LATEST/);

    expect((await run(cluster, ["plan", "--color", "always"], { NO_COLOR: "" })).stdout).toContain(
      "\u001b[31mdelete",
    );
    expect((await run(cluster, ["plan", "--color", "auto"], { NO_COLOR: "1" })).stdout).not.toContain(
      "\u001b[",
    );
  });

  it("--exit-code gates on staleness", async () => {
    expect((await run(staleCluster(), ["plan", "--exit-code"])).code).toBe(2);
    expect((await run(staleCluster(), ["plan"])).code).toBe(0);
    const fresh = new FakeCluster({
      pods: [makePod({ name: "f", owner: null, containers: [{ name: "a", image, runningDigest: v2 }] })],
    });
    expect((await run(fresh, ["plan", "--exit-code"])).code).toBe(0);
  });
});

describe("apply", () => {
  it("keeps going past a failed deletion, reports each pod, exits 1", async () => {
    const cluster = staleCluster({
      "pods/web-7d9c8b-bbbbb": {
        stderr: 'Error from server (Forbidden): pods "web-7d9c8b-bbbbb" is forbidden\n',
      },
    });
    const result = await run(cluster, ["apply", "--yes", "--no-wait"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("pod default/web-7d9c8b-aaaaa deleted");
    expect(result.stdout).toContain(
      "pod default/web-7d9c8b-bbbbb not deleted: Error from server (Forbidden)",
    );
    expect(result.stdout).toContain("pod default/web-7d9c8b-ccccc deleted");
    expect(result.stdout).toContain("2 deleted, 1 failed (of 3 planned)");
    expect(result.stderr).toContain("error: some planned pods were not deleted");
    expect(cluster.podNames()).toEqual(["web-7d9c8b-bbbbb", "debug"]);
  });

  it("waits for a replacement before the next pod of the same controller, and stops at the timeout", async () => {
    const cluster = staleCluster();
    const result = await run(cluster, ["apply", "--yes", "--wait-timeout", "2s"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("pod default/web-7d9c8b-aaaaa deleted");
    expect(result.stdout).toMatch(
      /web-7d9c8b-bbbbb not deleted: ReplicaSet\/web-7d9c8b did not have 3 ready pods/,
    );
    expect(cluster.podNames()).toEqual(["web-7d9c8b-bbbbb", "web-7d9c8b-ccccc", "debug"]);
  });

  it("with -o json the document stays alone on stdout", async () => {
    const cluster = staleCluster();
    const result = await run(cluster, ["apply", "--yes", "--no-wait", "-o", "json", "--summary-json"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).kind).toBe("Plan");
    expect(result.stderr).toContain("3 deleted (of 3 planned)");
    expect(JSON.parse(result.stderr.trim().split("\n").at(-1)!)).toMatchObject({
      kind: "RunSummary",
      deleted: 3,
      stale: 4,
    });
  });

  it("on SIGINT starts no new deletion and reports what was and wasn't done", async () => {
    const cluster = staleCluster();
    const child = spawn(process.execPath, [cliPath, "apply", "--yes", "--wait-timeout", "1m"], {
      env: { ...process.env, ...cluster.env({ DOCKER_HOST: inject("dockerHost") }), NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    let interrupted = false;
    child.stdout.on("data", (d) => {
      stdout += d;
      if (!interrupted && stdout.includes("web-7d9c8b-aaaaa deleted")) {
        interrupted = true;
        child.kill("SIGINT");
      }
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const code = await new Promise<string>((done) => child.on("exit", (c, signal) => done(`${c ?? signal}`)));
    expect(code, stderr).toBe("130");
    expect(stdout).toContain("pod default/web-7d9c8b-bbbbb not deleted: interrupted");
    expect(stdout).toContain("pod default/web-7d9c8b-ccccc not deleted: interrupted");
    expect(stdout).toContain("1 deleted, 2 not started (of 3 planned)");
    expect(stderr).toContain("error: interrupted: no further pods were deleted");
    expect(cluster.podNames()).toEqual(["web-7d9c8b-bbbbb", "web-7d9c8b-ccccc", "debug"]);
  });
});

describe("confirmation on a terminal", () => {
  /** Runs the CLI under `script`, which gives it a pseudo-terminal, and types `answer`. */
  function onTerminal(cluster: FakeCluster, args: string[], answer: string) {
    const wrapper = join(cluster.dir, "run.sh");
    const env = cluster.env({ DOCKER_HOST: inject("dockerHost") });
    const exports = Object.entries(env)
      .map(([k, v]) => `export ${k}='${v}'`)
      .join("\n");
    writeFileSync(
      wrapper,
      `#!/bin/sh\n${exports}\nexport NO_COLOR=1\nexec node ${cliPath} ${args.join(" ")}\n`,
      {
        mode: 0o755,
      },
    );
    return new Promise<{ code: number; out: string }>((done) => {
      const child = spawn("script", ["-qec", wrapper, "/dev/null"], {
        env: { ...process.env, PATH: `${fakeBin}:${process.env["PATH"]}` },
      });
      let out = "";
      let answered = false;
      child.stdout.on("data", (d) => {
        out += d;
        if (!answered && out.includes("[y/N]")) {
          answered = true;
          child.stdin.write(`${answer}\n`);
        }
      });
      child.on("exit", (code) => done({ code: code ?? -1, out }));
    });
  }

  it("asks, and deletes nothing on no", async () => {
    const cluster = staleCluster();
    const { code, out } = await onTerminal(cluster, ["apply"], "n");
    expect(out).toContain("Delete 3 pods in 1 namespace? [y/N]");
    expect(code).toBe(1);
    expect(cluster.podNames()).toHaveLength(4);
  });

  it("deletes on yes", async () => {
    const cluster = staleCluster();
    const { code, out } = await onTerminal(cluster, ["apply", "--no-wait"], "y");
    expect(code, out).toBe(0);
    expect(cluster.podNames()).toEqual(["debug"]);
  });
});
