/**
 * The built CLI as a user meets it, on a real control plane: output forms (json, yaml, the table,
 * --no-headers, -o wide, colour), --exit-code, a missing docker or a stopped engine restarting nothing, apply
 * -o json keeping stdout to the document, Ctrl-C during apply (between deletions, and during a rollout, which
 * goes on on the server), and the confirmation prompt on a terminal. Each scenario is a namespace with three
 * stale replicas of a Deployment and a stale bare pod. (Faults only a fake kubectl can produce stay
 * in test/integration/cli.test.ts.)
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import type { Pod } from "../simulator/index.js";
import { cliPath } from "../support/cli.js";
import {
  apply,
  kk,
  kubectl,
  type PlanDoc,
  plugin,
  pluginEnv,
  settledWorkloads,
  until,
  useCluster,
} from "../support/e2e.js";
import { pushImage } from "../support/images.js";
import { anonymous } from "../support/registry/distribution.js";
import { barePod, deployment } from "../support/workloads.js";

const nodes = ["cli-containerd", "cli-docker"];
const cluster = useCluster({
  nodes: [
    { name: nodes[0]!, runtime: "containerd" },
    { name: nodes[1]!, runtime: "docker" },
  ],
  registries: [anonymous],
});
let scratch: string;

interface Scenario {
  ns: string;
  image: string;
  v1: string;
  v2: string;
}
/** Three stale replicas of Deployment web and the stale bare pod debug, each in its own namespace. */
const scenarios = new Map<string, Scenario>();
const scenario = (name: string) => scenarios.get(name)!;
/** A bare pod on a tag that never moved. */
const fresh = "e2e-cli-fresh";

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "kau-e2e-cli-"));
  await Promise.all([
    ...["read", "json", "sigint", "sigroll", "yes"].map(async (name) => {
      const ns = `e2e-cli-${name}`;
      await cluster.namespace(ns);
      const image = `${cluster.registry.host}/${name}:latest`;
      const v1 = await pushImage(image, `cli ${name} v1`);
      await apply(deployment("web", ns, 3, { image }), barePod("debug", ns, { image }));
      await cluster.sim.waitForPods({ namespace: ns, count: 4, digest: v1 });
      await settledWorkloads(ns);
      const v2 = await pushImage(image, `cli ${name} v2`);
      scenarios.set(name, { ns, image, v1, v2 });
    }),
    (async () => {
      await cluster.namespace(fresh);
      const image = `${cluster.registry.host}/fresh:latest`;
      const digest = await pushImage(image, "cli fresh");
      await apply(barePod("f", fresh, { image }));
      await cluster.sim.waitForPods({ namespace: fresh, count: 1, digest });
    })(),
  ]);
});

afterAll(async () => {
  await kk(["uncordon", ...nodes]).catch(() => "");
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The pods of a namespace as `name uid`, sorted; terminating ones marked. */
async function podUids(ns: string): Promise<string[]> {
  const pods = JSON.parse(await kk(["get", "pods", "-n", ns, "-o", "json"])).items as Pod[];
  return pods
    .map((p) => `${p.metadata.name} ${p.metadata.uid}${p.metadata.deletionTimestamp ? " terminating" : ""}`)
    .sort();
}

/** Waits until the pods with these `name uid` lines are gone for good; returns what is left. */
async function gone(ns: string, deleted: string[]): Promise<string[]> {
  return until(`${deleted.join(", ")} to go`, async () => {
    const now = await podUids(ns);
    return now.some((p) => deleted.some((d) => p.startsWith(d))) ? undefined : now;
  });
}

describe("output", () => {
  it("json and yaml print the same Plan document and nothing else", async () => {
    const { ns, image, v1, v2 } = scenario("read");
    const json = await plugin(["plan", "-n", ns, "-o", "json"]);
    const yaml = await plugin(["plan", "-n", ns, "-o", "yaml"]);
    expect(json.code, json.stderr).toBe(0);
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(YAML.parse(yaml.stdout)).toEqual(JSON.parse(json.stdout));
    const doc = JSON.parse(json.stdout) as PlanDoc;
    expect(Object.keys(doc)).toEqual(["apiVersion", "kind", "resolver", "strategy", "pods"]);
    expect(doc.strategy).toBe("auto");
    expect(doc.pods).toHaveLength(4);
    const replica = doc.pods.find((p) => p.owner?.kind === "Deployment")!;
    expect(Object.keys(replica)).toEqual([
      "namespace",
      "name",
      "owner",
      "action",
      "reason",
      "warnings",
      "restart",
      "containers",
    ]);
    expect(replica.restart).toEqual({
      strategy: "rollout",
      controller: { kind: "Deployment", name: "web" },
      reason: "rolling update of Deployment/web's 3 pods, maxSurge 25%, maxUnavailable 25%",
    });
    // A pod that is not restarted has no restart.
    expect(doc.pods.find((p) => p.owner === null)).not.toHaveProperty("restart");
    expect(Object.keys(replica.containers[0]!)).toEqual([
      "name",
      "init",
      "image",
      "ref",
      "runningDigest",
      "latestDigest",
      "status",
      "reason",
      "latestImage",
    ]);
    expect(replica.containers[0]).toEqual({
      name: "app",
      init: false,
      image,
      ref: image,
      runningDigest: v1,
      latestDigest: v2,
      status: "stale",
      reason: "",
      // What the new image's config says of itself: these test images carry a build time, no labels.
      latestImage: { created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    });
  });

  it("-o name prints a line for each pod apply would restart, as kubectl get -o name names pods", async () => {
    const { ns } = scenario("read");
    const [doc, names] = await Promise.all([
      plugin(["plan", "-n", ns, "-o", "json"]),
      plugin(["plan", "-n", ns, "-o", "name"]),
    ]);
    expect(names.code, names.stderr).toBe(0);
    const toRestart = (JSON.parse(doc.stdout) as PlanDoc).pods.filter((p) => p.action === "delete");
    expect(toRestart.length).toBeGreaterThan(0);
    expect(names.stdout).toBe(toRestart.map((p) => `pod/${p.name}\n`).join(""));
    // What kubectl takes back: each name is a pod of that namespace.
    expect(await kk(["get", "-n", ns, "-o", "name", ...names.stdout.trim().split("\n")])).toBe(names.stdout);
  });

  it("the table, --no-headers, -o wide, and colour only when asked", async () => {
    const { ns, v1, v2 } = scenario("read");
    const table = await plugin(["plan", "-n", ns]);
    expect(table.code, table.stderr).toBe(0);
    const [header, ...rows] = table.stdout.split("\n") as [string, ...string[]];
    // One namespace: no NAMESPACE column, as kubectl get shows none without -A.
    expect(header).toMatch(/^POD\s+OWNER\s+CONTAINER\s+IMAGE\s+RUNNING\s+LATEST\s+ACTION\s+REASON$/);
    const podRows = rows.filter((r) => /^(web-\S+|debug) /.test(r));
    expect(podRows).toHaveLength(4);
    // Columns line up under their headers, kubectl-style, on every row.
    for (const row of podRows) {
      expect(row.indexOf(v1.slice(7, 19))).toBe(header.indexOf("RUNNING"));
      expect(row.indexOf(v2.slice(7, 19))).toBe(header.indexOf("LATEST"));
    }
    const replicaRows = podRows.filter((r) => r.includes("Deployment/web"));
    expect(replicaRows).toHaveLength(3);
    for (const row of replicaRows) {
      expect(row.indexOf("Deployment/web")).toBe(header.indexOf("OWNER"));
      expect(row.indexOf("rollout")).toBe(header.indexOf("ACTION"));
      expect(row.slice(header.indexOf("REASON"))).toBe(
        "rolling update of Deployment/web's 3 pods, maxSurge 25%, maxUnavailable 25%",
      );
    }
    expect(podRows.find((r) => r.startsWith("debug "))).toMatch(/skip\s+no controller owns it/);
    expect(table.stdout).toContain(
      "4 stale (3 to restart in 1 namespace, 1 skipped), 0 unknown, 0 current (4 pods checked)",
    );
    expect(table.stdout).not.toContain("\u001b[");

    const bare = await plugin(["plan", "-n", ns, "--no-headers"]);
    expect(bare.stdout).not.toContain("NAMESPACE");
    expect(bare.stdout).not.toContain("pods checked");
    // The same rows (columns sized to the rows alone).
    const words = (line: string) => line.trim().split(/\s+/).join(" ");
    expect(bare.stdout.trim().split("\n").map(words)).toEqual(podRows.map(words));

    const wide = await plugin(["plan", "-n", ns, "-o", "wide"]);
    const [wideHeader, ...wideRows] = wide.stdout.split("\n") as [string, ...string[]];
    expect(wideHeader).toMatch(/NODE\s+CONTAINER\s+IMAGE\s+STATUS\s+RUNNING\s+LATEST/);
    const wideNodes = wideRows
      .filter((r) => /^(web-\S+|debug) /.test(r))
      .map((r) => r.slice(wideHeader.indexOf("NODE")).split(" ")[0]);
    expect(wideNodes).toHaveLength(4);
    for (const node of wideNodes) expect(nodes).toContain(node);

    const always = await plugin(["plan", "-n", ns, "--color", "always"], { NO_COLOR: "" });
    expect(always.stdout).toContain("\u001b[31mrollout");
    const auto = await plugin(["plan", "-n", ns, "--color", "auto"], { NO_COLOR: "1" });
    expect(auto.stdout).not.toContain("\u001b[");
    expect(auto.stdout).toContain("rollout");
  });

  it("--exit-code gates on staleness", async () => {
    const { ns } = scenario("read");
    expect((await plugin(["plan", "-n", ns, "--exit-code"])).code).toBe(2);
    expect((await plugin(["plan", "-n", ns])).code).toBe(0);
    const current = await plugin(["plan", "-n", fresh, "--exit-code"]);
    expect(current.code, current.stderr).toBe(0);
    expect(current.stdout).toContain("0 stale, 0 unknown, 1 current (1 pod checked)");
  });

  it("a user's kuberc (kubectl's defaults for people typing) does not reach the plugin's kubectl", async () => {
    const { ns } = scenario("read");
    const kuberc = join(scratch, "kuberc");
    // `get -o wide` by default: `get --raw`, which lists the pods, refuses any -o.
    writeFileSync(
      kuberc,
      "apiVersion: kubectl.config.k8s.io/v1beta1\nkind: Preference\ndefaults:\n" +
        "  - command: get\n    options:\n      - name: output\n        default: wide\n",
    );
    const typed = await kubectl(["get", "pods", "-n", ns], "", { KUBERC: kuberc });
    expect(typed.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
    const result = await plugin(["plan", "-n", ns, "--exit-code"], { KUBERC: kuberc });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toContain("4 stale");
  });
});

describe("docker trouble restarts nothing", () => {
  it("a missing docker says how to fix it, and nothing is restarted", async () => {
    const { ns } = scenario("read");
    const before = await podUids(ns);
    const result = await plugin(["apply", "-n", ns, "--yes", "--docker", "/nonexistent/docker"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "error: /nonexistent/docker: not found; install it, point --docker (or DOCKER) at it, or use --resolver registry, which needs no Docker\n",
    );
    expect(await podUids(ns)).toEqual(before);
  });

  it("a stopped Docker engine is one error, not a plan full of unknowns", async () => {
    const { ns } = scenario("read");
    const before = await podUids(ns);
    const result = await plugin(["apply", "-n", ns, "--yes"], {
      DOCKER_HOST: "unix:///nonexistent/docker.sock",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: docker cannot reach its engine: .*\n$/);
    expect(await podUids(ns)).toEqual(before);
  });
});

describe("apply", () => {
  it("with -o json the document stays alone on stdout; the report goes to stderr", async () => {
    const { ns } = scenario("json");
    const before = await podUids(ns);
    const result = await plugin(["apply", "-n", ns, "--yes", "--no-wait", "-o", "json", "--summary-json"]);
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as PlanDoc;
    expect(doc.kind).toBe("Plan");
    expect(doc.pods.map((p) => p.action).sort()).toEqual(["delete", "delete", "delete", "skip"]);
    expect(result.stderr).toContain(
      `deployment.apps ${ns}/web restart started (rollout, not followed: --no-wait)\n`,
    );
    // Not followed: the controller replaces them after the run.
    expect(result.stderr).toContain(
      "0 replaced by rollout, 3 still being replaced on the server (of 3 planned)",
    );
    expect(JSON.parse(result.stderr.trim().split("\n").at(-1)!)).toMatchObject({
      kind: "RunSummary",
      strategy: "auto",
      rolledOut: 0,
      inProgress: 3,
      deleted: 0,
      stale: 4,
      restarts: { rollout: 3, evict: 0, delete: 0 },
      controllers: [
        { namespace: ns, kind: "Deployment", name: "web", strategy: "rollout", pods: 3, outcome: "started" },
      ],
    });
    // Not followed, but started: the controller replaces the three replicas; the bare pod stays.
    const left = await gone(
      ns,
      before.filter((p) => p.startsWith("web-")),
    );
    expect(left.filter((p) => p.startsWith("debug "))).toEqual(before.filter((p) => p.startsWith("debug ")));
  });

  it("on SIGINT between deletions (--strategy delete) starts no new deletion and reports what was and wasn't done", async () => {
    const { ns } = scenario("sigint");
    const before = await podUids(ns);
    // No node takes the replacement, so apply is waiting for it when the interrupt comes.
    await kk(["cordon", ...nodes]);
    try {
      const args = ["apply", "-n", ns, "--yes", "--wait-timeout", "1m", "--strategy", "delete"];
      const child = spawn(process.execPath, [cliPath, ...args], {
        env: { ...process.env, ...pluginEnv(), NO_COLOR: "1" },
      });
      let stdout = "";
      let stderr = "";
      let first: string | undefined;
      child.stdout.on("data", (d) => {
        stdout += d;
        const deleted = new RegExp(`^pod ${ns}/(\\S+) deleted$`, "m").exec(stdout)?.[1];
        if (first === undefined && deleted) {
          first = deleted;
          child.kill("SIGINT");
        }
      });
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      const code = await new Promise<string>((done) =>
        child.on("exit", (c, signal) => done(`${c ?? signal}`)),
      );
      // Reported, then ended by the SIGINT, as kubectl ends: a shell loop around it stops too.
      expect(code, stderr).toBe("SIGINT");
      const interrupted = before
        .filter((p) => p.startsWith("web-") && !p.startsWith(`${first} `))
        .map((p) => p.split(" ")[0]!);
      expect(interrupted).toHaveLength(2);
      for (const name of interrupted) expect(stdout).toContain(`pod ${ns}/${name} not deleted: interrupted`);
      expect(stdout).toContain("1 deleted, 2 not started (of 3 planned)");
      expect(stderr).toContain("error: interrupted: no further restarts were started\n");
      // The deleted one goes; the other two replicas and the bare pod are untouched.
      const left = await gone(
        ns,
        before.filter((p) => p.startsWith(`${first} `)),
      );
      expect(left.filter((p) => !p.includes(" terminating") && before.includes(p))).toEqual(
        before.filter((p) => !p.startsWith(`${first} `)),
      );
    } finally {
      await kk(["uncordon", ...nodes]);
    }
    await cluster.sim.waitForPods({ namespace: ns, selector: "app=web", count: 3 });
  });

  it("on SIGINT during a rollout (the default) reports it still in progress on the server, where it goes on", async () => {
    const { ns, v2 } = scenario("sigroll");
    const before = await podUids(ns);
    // No node takes the rollout's new pod, so apply is following the rollout when the interrupt comes.
    await kk(["cordon", ...nodes]);
    try {
      const child = spawn(process.execPath, [cliPath, "apply", "-n", ns, "--yes", "--wait-timeout", "1m"], {
        env: { ...process.env, ...pluginEnv(), NO_COLOR: "1" },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => {
        stdout += d;
      });
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      const exited = new Promise<string>((done) => child.on("exit", (c, signal) => done(`${c ?? signal}`)));
      // The interrupt comes once the template is patched and the controller has made the new
      // ReplicaSet's pod.
      await until("the rollout's first new pod", async () => {
        const pods = JSON.parse(await kk(["get", "pods", "-n", ns, "-l", "app=web", "-o", "json"]))
          .items as Pod[];
        return pods.some((p) => !before.some((b) => b.startsWith(`${p.metadata.name} `))) ? true : undefined;
      });
      child.kill("SIGINT");
      const code = await exited;
      expect(code, stderr).toBe("SIGINT");
      expect(stdout).toMatch(
        new RegExp(`^deployment\\.apps ${ns}/web restart still in progress on the server \\(.+\\)$`, "m"),
      );
      expect(stdout).toContain("0 replaced by rollout, 3 still being replaced on the server (of 3 planned)");
      expect(stdout.split("\n").filter((l) => l.startsWith("pod "))).toEqual([]);
      expect(stderr).toContain(
        "error: interrupted: no further restarts were started; a rollout started goes on on the server\n",
      );
      // Nothing taken down meanwhile: every old replica still runs (maxUnavailable 25% of 3 is 0).
      const now = await podUids(ns);
      expect(now.filter((p) => before.includes(p))).toEqual(before);
    } finally {
      await kk(["uncordon", ...nodes]);
    }
    // The controller finishes what apply started.
    const after = await cluster.sim.waitForPods({ namespace: ns, selector: "app=web", count: 3, digest: v2 });
    expect(after.filter((p) => before.some((b) => b.startsWith(`${p.metadata.name} `)))).toEqual([]);
  });
});

describe("confirmation on a terminal", () => {
  /** Runs the plugin under `script`, which gives it a pseudo-terminal, and types `answer`. */
  function onTerminal(args: string[], answer: string) {
    const wrapper = join(scratch, `run-${Buffer.from(answer).toString("hex")}.sh`);
    const exports = Object.entries({ ...pluginEnv(), NO_COLOR: "1" })
      .map(([k, v]) => `export ${k}='${v}'`)
      .join("\n");
    writeFileSync(wrapper, `#!/bin/sh\n${exports}\nexec node ${cliPath} ${args.join(" ")}\n`, {
      mode: 0o755,
    });
    return new Promise<{ code: number; out: string }>((done) => {
      const child = spawn("script", ["-qec", wrapper, "/dev/null"]);
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

  it("asks, and restarts nothing on no", async () => {
    const { ns } = scenario("read");
    const before = await podUids(ns);
    const { code, out } = await onTerminal(["apply", "-n", ns], "n");
    expect(out).toContain(
      "Restart 3 pods in 1 namespace (rolling out 1 workload: all its pods are replaced)? [y/N]",
    );
    expect(code, out).toBe(1);
    expect(await podUids(ns)).toEqual(before);
  });

  it("Ctrl-C at the question (a key to the line editor, not a signal) ends it as an interrupt: nothing restarted, SIGINT", async () => {
    const { ns } = scenario("read");
    const before = await podUids(ns);
    const { code, out } = await onTerminal(["apply", "-n", ns], "\x03");
    expect(out).toContain("error: interrupted at the question: nothing restarted");
    // script(1) gives the child's end as bash does: 128 + the signal's number.
    expect(code, out).toBe(130);
    expect(await podUids(ns)).toEqual(before);
  });

  it("restarts on yes", async () => {
    const { ns, v2 } = scenario("yes");
    const before = await podUids(ns);
    const { code, out } = await onTerminal(["apply", "-n", ns, "--no-wait"], "y");
    expect(out).toContain(
      "Restart 3 pods in 1 namespace (rolling out 1 workload: all its pods are replaced)? [y/N]",
    );
    expect(code, out).toBe(0);
    expect(out).toContain(`deployment.apps ${ns}/web restart started (rollout, not followed: --no-wait)`);
    const left = await gone(
      ns,
      before.filter((p) => p.startsWith("web-")),
    );
    expect(left.filter((p) => p.startsWith("debug "))).toEqual(before.filter((p) => p.startsWith("debug ")));
    await cluster.sim.waitForPods({ namespace: ns, selector: "app=web", count: 3, digest: v2 });
    expect(cluster.sim.errors).toEqual([]);
  });
});
