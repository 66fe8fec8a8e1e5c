/**
 * `npm run demo`: kubectl autoupdate against a local sandbox, for whoever has no cluster at hand. It starts
 * the test bed's control plane (test/testbed: built once from the Go module proxy, then cached), two
 * simulated nodes (test/simulator: the kubelet's part, one containerd, one cri-dockerd) and a local registry
 * (Debian's docker-registry); pushes images and deploys a few workloads on mutable tags; moves two tags as a
 * CI push would; then runs `kubectl autoupdate plan`, `apply --yes` and `plan` again through the test bed's
 * kubectl, printing their real output; and tears everything down — also on Ctrl-C. Needs no root.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { startSimulator } from "../test/simulator/index.js";
import { pushCraftedImage } from "../test/support/crafted-image.js";
import { startRegistry } from "../test/support/registry/distribution.js";
import { deployment, statefulSet } from "../test/support/workloads.js";
import { buildTestbed, launchTestbed } from "../test/testbed/scripts.js";

const root = resolve(import.meta.dirname, "..");
const namespace = "shop";
const started = Date.now();

/** What has to be stopped, in the order started; torn down last first. */
const teardown: { what: string; stop: () => Promise<void> }[] = [];
/** The kubectl the demo runs now, which an interrupt is passed on to. */
let child: ChildProcess | undefined;
/** While the control plane is built nothing else runs: an interrupt may leave at once. */
let building = false;

class Interrupted extends Error {}
let interrupted = false;
let onInterrupt: () => void = () => {};
const interruption = new Promise<never>((_, reject) => {
  onInterrupt = () => reject(new Interrupted());
});
interruption.catch(() => undefined);

const say = (line: string) => process.stdout.write(`\x1b[2m${line}\x1b[0m\n`);
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    // The terminal and npm may both pass the same Ctrl-C on; the teardown runs once, to the end.
    if (interrupted) return;
    interrupted = true;
    say(`\ndemo: ${signal}: tearing the sandbox down`);
    // test/testbed/scripts.ts kills the build's process group when this process exits.
    if (building) process.exit(130);
    child?.kill("SIGINT");
    onInterrupt();
  });
}

/** Waits for `work`, or throws Interrupted as soon as the demo is interrupted. */
function unlessInterrupted<T>(work: Promise<T>): Promise<T> {
  return Promise.race([work, interruption]);
}

/** Starts something the teardown must stop; a start under way is let finish, then stopped. */
async function start<T>(what: string, starting: Promise<T>, stop: (t: T) => Promise<void>): Promise<T> {
  const value = await starting;
  teardown.push({ what, stop: () => stop(value) });
  if (interrupted) throw new Interrupted();
  return value;
}

async function tearDown(): Promise<void> {
  for (const { what, stop } of teardown.splice(0).reverse()) {
    try {
      await stop();
    } catch (error) {
      process.exitCode = 1;
      process.stderr.write(`demo: stopping ${what} failed: ${(error as Error).message}\n`);
    }
  }
}

/** Runs `kubectl ARGS` as a user would type it, showing the command and its real output. */
async function kubectl(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  process.stdout.write(`\n\x1b[1m$ kubectl ${args.join(" ")}\x1b[0m\n`);
  const code = await new Promise<number>((done, fail) => {
    child = spawn("kubectl", args, { env: { ...process.env, ...env }, stdio: "inherit" });
    child.on("error", fail);
    child.on("exit", (exit, signal) => done(exit ?? (signal ? 128 : 1)));
  });
  child = undefined;
  if (interrupted) throw new Interrupted();
  return code;
}

function missingPrerequisites(): string[] {
  const onPath = (name: string) =>
    (process.env["PATH"] ?? "").split(":").some((dir) => dir && existsSync(join(dir, name)));
  const missing: string[] = [];
  if (!existsSync(join(root, "dist", "kubectl-autoupdate.mjs")))
    missing.push("the plugin's build: npm run build");
  if (!onPath("docker-registry")) missing.push("Debian's docker-registry: apt-get install docker-registry");
  // The test bed's scripts use them (test/testbed/build.sh, start.sh).
  for (const tool of ["jq", "curl", "openssl"]) {
    if (!onPath(tool)) missing.push(`${tool}: apt-get install ${tool}`);
  }
  if (!onPath("go") && !existsSync("/usr/local/go/bin/go")) {
    missing.push("Go 1.25 or later, to build the control plane the first time (go.dev/dl)");
  }
  return missing;
}

async function main(): Promise<void> {
  const missing = missingPrerequisites();
  if (missing.length > 0) {
    process.stderr.write(`demo: missing: ${missing.join("; ")}\n`);
    process.exitCode = 1;
    return;
  }

  say("demo: the Kubernetes test bed (built from the Go module proxy the first time: 5–25 min; then cached)");
  building = true;
  await buildTestbed();
  building = false;
  let t = Date.now();
  const tb = await start("the control plane", launchTestbed("kau-demo-"), (c) => c.stop());
  say(
    `demo: control plane (kube-apiserver, etcd, controller-manager, scheduler) up in ${seconds(t)} at ${tb.apiserver}`,
  );
  say(`demo: its files: ${tb.dir}`);

  const registry = await start("the registry", startRegistry(), (r) => r.stop());
  t = Date.now();
  const nodes = startSimulator({
    kubeconfig: tb.kubeconfig,
    nodes: [
      { name: "node-a", runtime: "containerd" },
      { name: "node-b", runtime: "docker" },
    ],
  });
  const sim = await start("the simulated nodes", nodes, (n) => n.stop());
  say(
    `demo: registry at ${registry.host}; simulated nodes node-a (containerd) and node-b (cri-dockerd) in ${seconds(t)}`,
  );

  const env = {
    KUBECONFIG: tb.kubeconfig,
    // The test bed's kubectl first, then the plugin and its completion helper, as installed from source.
    PATH: `${tb.bin}:${join(root, "bin")}:${process.env["PATH"]}`,
    KUBECTL: "",
    KUBECTL_PATH: "",
  };
  const admin = (args: string[], input?: string) =>
    new Promise<void>((done, fail) => {
      const child = spawn(join(tb.bin, "kubectl"), args, { env: { ...process.env, ...env }, stdio: "pipe" });
      let stderr = "";
      child.stderr.on("data", (chunk) => {
        stderr += chunk;
      });
      child.on("error", fail);
      child.on("exit", (code) => (code === 0 ? done() : fail(new Error(`kubectl ${args[0]}: ${stderr}`))));
      child.stdin.end(input ?? "");
    });

  const image = (name: string, tag: string) => `${registry.host}/shop/${name}:${tag}`;
  const push = (name: string, tag: string, revision: string, minutesAgo: number) =>
    pushCraftedImage(registry.host, `shop/${name}`, tag, {
      content: `${name} ${revision}`,
      created: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
      labels: { "org.opencontainers.image.revision": revision },
    });
  const first = await Promise.all([
    push("web", "main", "4f0c2a91d3e8b7c6a5f4e3d2c1b0a9f8e7d6c5b4", 60 * 24),
    push("api", "latest", "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b", 60 * 24),
    push("worker", "1.2", "1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c", 60 * 24 * 3),
  ]);
  await admin(["create", "namespace", namespace]);
  await waitFor(() => admin(["get", "serviceaccount", "default", "-n", namespace]));
  const bare = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "debug-shell", namespace },
    spec: { containers: [{ name: "sh", image: image("web", "main") }] },
  };
  await admin(
    ["apply", "-f", "-"],
    [
      // Always, as a mutable tag wants: with IfNotPresent the nodes would start their cached old image again.
      deployment("web", namespace, 3, { image: image("web", "main"), pullPolicy: "Always" }),
      deployment("api", namespace, 2, { image: image("api", "latest") }),
      statefulSet("worker", namespace, 2, { image: image("worker", "1.2"), pullPolicy: "Always" }),
      bare,
    ]
      .map((o) => JSON.stringify(o))
      .join("\n"),
  );
  t = Date.now();
  await unlessInterrupted(
    Promise.all([
      sim.waitForPods({ namespace, selector: "app=web", count: 3, digest: first[0].manifest }),
      sim.waitForPods({ namespace, selector: "app=api", count: 2, digest: first[1].manifest }),
      sim.waitForPods({ namespace, selector: "app=worker", count: 2, digest: first[2].manifest }),
    ]),
  );
  say(
    `demo: in namespace ${namespace}: Deployment web (3 × web:main), Deployment api (2 × api:latest), ` +
      `StatefulSet worker (2 × worker:1.2), bare Pod debug-shell (web:main); all running in ${seconds(t)}`,
  );

  await Promise.all([
    push("web", "main", "c7ede51f2d8311aa0b9c8d7e6f5a4b3c2d1e0f9a", 20),
    push("api", "latest", "0e02c92c72ee4d3c2b1a0f9e8d7c6b5a4f3e2d1c", 15),
  ]);
  say(
    "demo: CI pushed new images: web:main and api:latest moved (built 20 and 15 min ago); worker:1.2 did not",
  );

  const plan = ["autoupdate", "plan", "-n", namespace, "--resolver", "registry"];
  await kubectl(plan, env);
  await kubectl(["autoupdate", "apply", "-n", namespace, "--resolver", "registry", "--yes"], env);
  await kubectl(plan, env);
  process.stdout.write("\n");
}

async function waitFor(probe: () => Promise<unknown>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await probe();
      return;
    } catch (error) {
      if (i >= 120) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

try {
  await main();
} catch (error) {
  process.exitCode = error instanceof Interrupted ? 130 : 1;
  if (!(error instanceof Interrupted)) process.stderr.write(`demo: ${(error as Error).message}\n`);
} finally {
  const stopping = teardown.length > 0;
  await tearDown();
  if (stopping) {
    say(
      `demo: stopped the simulated nodes, the registry and the control plane (its files removed); ${seconds(started)} in all`,
    );
  }
}
