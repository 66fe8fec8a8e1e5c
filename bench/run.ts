/**
 * Benchmark: how long a plan takes, what it asks of the registry and of kubectl, and how much memory it
 * needs — against the seed's algorithm (for each pod in turn: docker pull, compare; no dedupe, no
 * concurrency). Real Docker engine, real registry; the pod list is served by the recording fake kubectl
 * (the API server is not what is measured here).
 *
 *   npm run bench                      P=1,000 U=100, K=10 and K=20, 3 repetitions, + 10,000-pod memory run
 *   npm run bench -- --smoke           a quick size that keeps the benchmark working (CI)
 *   npm run bench -- --pods 500 --unique 50 --moved 5 --reps 5 --methods seed,docker,registry
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "..");
const cli = join(root, "bin", "kubectl-autoupdate");
const fakeBin = join(root, "test", "bin");

type Method = "seed" | "docker" | "registry";

interface Measurement {
  method: Method;
  pods: number;
  unique: number;
  moved: number;
  seconds: number[];
  heads: number;
  gets: number;
  kubectlCalls: number;
  peakRssMb: number | null;
  stale: number;
}

const { values } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    pods: { type: "string" },
    unique: { type: "string" },
    moved: { type: "string" },
    reps: { type: "string" },
    methods: { type: "string" },
    "memory-pods": { type: "string" },
  },
});

const smoke = values.smoke === true;
const pods = Number(values.pods ?? (smoke ? 40 : 1000));
const unique = Number(values.unique ?? (smoke ? 4 : 100));
const movedSizes = values.moved ? values.moved.split(",").map(Number) : smoke ? [1] : [10, 20];
const reps = Number(values.reps ?? (smoke ? 1 : 3));
const methods = (values.methods ?? "seed,docker,registry").split(",") as Method[];
const memoryPods = Number(values["memory-pods"] ?? (smoke ? 0 : 10_000));

const work = mkdtempSync(join(tmpdir(), "kau-bench-"));
const cleanups: (() => void)[] = [() => rmSync(work, { recursive: true, force: true })];
process.on("exit", () => {
  for (const c of cleanups.reverse()) c();
});
process.on("SIGINT", () => process.exit(130));

function log(line: string) {
  process.stderr.write(`bench: ${line}\n`);
}

/** A Docker engine: the one in $DOCKER_HOST when it answers, else a private one for this run. */
function ensureEngine(): void {
  const answers = () => {
    try {
      execFileSync("docker", ["version", "--format", "{{.Server.Version}}"], {
        stdio: "pipe",
        timeout: 15_000,
      });
      return true;
    } catch {
      return false;
    }
  };
  if (process.env["DOCKER_HOST"] && answers()) return;
  const dir = join(work, "dockerd");
  const out = execFileSync(join(root, "test", "infra", "dockerd.sh"), ["start", dir], { encoding: "utf8" });
  process.env["DOCKER_HOST"] = /DOCKER_HOST=(\S+)/.exec(out)![1];
  cleanups.push(() =>
    execFileSync(join(root, "test", "infra", "dockerd.sh"), ["stop", dir], { stdio: "ignore" }),
  );
}

/** A registry whose access log (one line per request, with its method) goes to a file we can count. */
async function startRegistry(): Promise<{ host: string; accessLog: string }> {
  const dir = join(work, "registry");
  const config = join(work, "registry.yml");
  writeFileSync(
    config,
    `version: 0.1\nlog: {level: info, accesslog: {disabled: false}}\nstorage: {filesystem: {rootdirectory: ${dir}}}\nhttp: {addr: 127.0.0.1:0}\n`,
  );
  const accessLog = join(work, "access.log");
  writeFileSync(accessLog, "");
  const child = spawn("sh", [
    "-c",
    `exec docker-registry serve ${config} >>${accessLog} 2>${join(work, "registry.err")}`,
  ]);
  cleanups.push(() => child.kill());
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const port = /listening on \S+:(\d+)/.exec(readFileSync(join(work, "registry.err"), "utf8"))?.[1];
    if (port) return { host: `127.0.0.1:${port}`, accessLog };
  }
  throw new Error("the registry did not start");
}

async function pushAll(host: string, indexes: number[], version: string): Promise<Map<number, string>> {
  const digests = new Map<number, string>();
  const queue = [...indexes];
  const worker = async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const ctx = mkdtempSync(join(work, "ctx-"));
      writeFileSync(join(ctx, "Dockerfile"), "FROM scratch\nCOPY content /content\n");
      writeFileSync(join(ctx, "content"), `bench ${i} ${version}`);
      const ref = `${host}/bench-${i}:latest`;
      await run("docker", ["build", "-q", "-t", ref, ctx]);
      const { stdout } = await run("docker", ["push", ref]);
      digests.set(i, /digest: (sha256:[a-f0-9]{64})/.exec(stdout)![1]!);
      rmSync(ctx, { recursive: true });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return digests;
}

/** The pod list, shaped like kubectl's: Deployment pods on containerd nodes running the v1 digests. */
function writeCluster(host: string, count: number, v1: Map<number, string>): { state: string; log: string } {
  const items = Array.from({ length: count }, (_, j) => {
    const i = j % unique;
    const image = `${host}/bench-${i}:latest`;
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: `bench-${i}-5f7c9d-${j.toString(36).padStart(5, "0")}`,
        namespace: `team-${i % 10}`,
        uid: `00000000-0000-4000-8000-${j.toString(16).padStart(12, "0")}`,
        labels: { app: `bench-${i}`, "pod-template-hash": "5f7c9d" },
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: `bench-${i}-5f7c9d`,
            controller: true,
            blockOwnerDeletion: true,
            uid: `rs-${i}`,
          },
        ],
        creationTimestamp: "2026-11-20T10:00:00Z",
        resourceVersion: "1",
      },
      spec: {
        containers: [
          {
            name: "app",
            image,
            imagePullPolicy: "Always",
            resources: { requests: { cpu: "10m", memory: "16Mi" } },
            terminationMessagePath: "/dev/termination-log",
            terminationMessagePolicy: "File",
            volumeMounts: [
              {
                mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
                name: "kube-api-access",
                readOnly: true,
              },
            ],
          },
        ],
        nodeName: `node-${j % 20}`,
        restartPolicy: "Always",
        serviceAccountName: "default",
        volumes: [
          {
            name: "kube-api-access",
            projected: {
              defaultMode: 420,
              sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: "token" } }],
            },
          },
        ],
      },
      status: {
        phase: "Running",
        conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2026-11-20T10:00:02Z" }],
        containerStatuses: [
          {
            name: "app",
            image: image,
            imageID: `${host}/bench-${i}@${v1.get(i)}`,
            containerID: `containerd://${j.toString(16).padStart(64, "0")}`,
            ready: true,
            started: true,
            restartCount: 0,
            state: { running: { startedAt: "2026-11-20T10:00:01Z" } },
          },
        ],
        hostIP: "10.0.0.1",
        podIP: "10.244.0.1",
        qosClass: "Burstable",
      },
    };
  });
  const replicaSets = Array.from({ length: unique }, (_, i) => ({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name: `bench-${i}-5f7c9d`,
      namespace: `team-${i % 10}`,
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "Deployment", name: `bench-${i}`, controller: true, uid: `d-${i}` },
      ],
    },
  }));
  const state = join(work, `cluster-${count}.json`);
  const podsFile = join(work, `pods-${count}.json`);
  const log = join(work, `kubectl-${count}.jsonl`);
  writeFileSync(podsFile, JSON.stringify(items));
  writeFileSync(state, JSON.stringify({ podsFile, objects: replicaSets, serviceAccounts: [] }));
  writeFileSync(log, "");
  return { state, log };
}

function countRequests(accessLog: string, from: number): { heads: number; gets: number } {
  const added = readFileSync(accessLog, "utf8").slice(from);
  return {
    heads: (added.match(/"HEAD \/v2\/[^"]*\/manifests\//g) ?? []).length,
    gets: (added.match(/"GET \/v2\/[^"]*\/manifests\//g) ?? []).length,
  };
}

/** The seed's loop: every pod in turn, docker pull, then RepoDigests[0] against the imageID. */
async function seedLoop(state: string): Promise<number> {
  const { podsFile } = JSON.parse(readFileSync(state, "utf8")) as { podsFile: string };
  const pods = JSON.parse(readFileSync(podsFile, "utf8")) as {
    spec: { containers: { image: string }[] };
    status: { containerStatuses: { imageID: string }[] };
  }[];
  let stale = 0;
  for (const pod of pods) {
    const image = pod.spec.containers[0]!.image;
    await run("docker", ["pull", "-q", image]);
    const { stdout } = await run("docker", [
      "image",
      "inspect",
      "--format",
      "{{index .RepoDigests 0}}",
      image,
    ]);
    const running = pod.status.containerStatuses[0]!.imageID.split("@")[1];
    if (stdout.trim().split("@")[1] !== running) stale++;
  }
  return stale;
}

/** Runs the CLI's plan; its own peak RSS (kubectl's not included) comes from its --verbose report. */
async function planRun(resolver: "docker" | "registry", cluster: { state: string; log: string }) {
  const env = {
    ...process.env,
    PATH: `${fakeBin}:${process.env["PATH"]}`,
    FAKE_KUBECTL_STATE: cluster.state,
    FAKE_KUBECTL_LOG: cluster.log,
    KUBECTL_PATH: "",
    NO_COLOR: "1",
  };
  const { stdout, stderr } = await run(
    process.execPath,
    [cli, "plan", "-A", "-o", "json", "--resolver", resolver, "--concurrency", "8", "--verbose"],
    { env, maxBuffer: 1024 * 1024 * 1024 },
  );
  const doc = JSON.parse(stdout) as { pods: { action: string }[] };
  const rss = /^peak RSS (\d+) MB$/m.exec(stderr)?.[1];
  if (rss === undefined) throw new Error(`no peak RSS line in:\n${stderr.slice(-2000)}`);
  return { stale: doc.pods.filter((p) => p.action === "delete").length, peakRssMb: Number(rss) };
}

async function measure(
  method: Method,
  cluster: { state: string; log: string },
  registry: { accessLog: string },
  size: { pods: number; moved: number },
): Promise<Measurement> {
  const seconds: number[] = [];
  let requests = { heads: 0, gets: 0 };
  let kubectlCalls = 0;
  let peak: number | null = null;
  let stale = 0;
  for (let r = 0; r < reps; r++) {
    const from = statSync(registry.accessLog).size;
    writeFileSync(cluster.log, "");
    const t0 = process.hrtime.bigint();
    if (method === "seed") {
      stale = await seedLoop(cluster.state);
    } else {
      const result = await planRun(method, cluster);
      stale = result.stale;
      peak = Math.max(peak ?? 0, result.peakRssMb);
    }
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    requests = countRequests(registry.accessLog, from);
    kubectlCalls = readFileSync(cluster.log, "utf8").split("\n").filter(Boolean).length;
  }
  const m = {
    method,
    pods: size.pods,
    unique,
    moved: size.moved,
    seconds,
    ...requests,
    kubectlCalls,
    peakRssMb: peak,
    stale,
  };
  log(
    `${method} P=${size.pods} K=${size.moved}: median ${median(seconds).toFixed(2)} s, ${requests.heads} HEAD, ${requests.gets} GET, stale ${stale}`,
  );
  return m;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Time of the one kubectl list alone, so "beyond the kubectl list" can be read off. */
async function kubectlListSeconds(cluster: { state: string; log: string }): Promise<number> {
  const env = {
    ...process.env,
    FAKE_KUBECTL_STATE: cluster.state,
    FAKE_KUBECTL_LOG: join(work, "list.jsonl"),
  };
  const times: number[] = [];
  for (let r = 0; r < Math.max(reps, 3); r++) {
    const t0 = process.hrtime.bigint();
    await run(join(fakeBin, "kubectl"), ["get", "pods", "--all-namespaces", "-o", "json"], {
      env,
      maxBuffer: 1024 * 1024 * 1024,
    });
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return median(times);
}

function table(results: Measurement[], listSeconds: Map<number, number>): string {
  const lines = [
    "| method | pods | unique | moved | median s | spread s | vs seed | HEAD | GET | kubectl calls | peak RSS MB | stale found |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const m of results) {
    const seed = results.find((s) => s.method === "seed" && s.pods === m.pods && s.moved === m.moved);
    const med = median(m.seconds);
    const ratio = seed && m.method !== "seed" ? `${(median(seed.seconds) / med).toFixed(1)}×` : "";
    const spread = `${Math.min(...m.seconds).toFixed(2)}–${Math.max(...m.seconds).toFixed(2)}`;
    const beyond =
      m.method === "registry"
        ? ` (+${(med - (listSeconds.get(m.pods) ?? 0)).toFixed(2)} beyond the list)`
        : "";
    lines.push(
      `| ${m.method} | ${m.pods} | ${m.unique} | ${m.moved} | ${med.toFixed(2)}${beyond} | ${spread} | ${ratio} | ${m.heads} | ${m.gets} | ${m.method === "seed" ? "-" : m.kubectlCalls} | ${m.peakRssMb?.toFixed(0) ?? "-"} | ${m.stale} |`,
    );
  }
  return lines.join("\n");
}

/**
 * The targets, each read off the measurements it is about; sizes the run did not measure (a smoke
 * run) are left out. Returns one line per target.
 */
function targets(results: Measurement[], listSeconds: Map<number, number>): { line: string; met: boolean }[] {
  const med = (m: Measurement | undefined) => (m ? median(m.seconds) : Number.NaN);
  const find = (method: Method, p: number, moved: number) =>
    results.find((m) => m.method === method && m.pods === p && m.moved === moved);
  const checks: { line: string; met: boolean }[] = [];
  const check = (what: string, value: number, unit: string, ok: (v: number) => boolean) => {
    if (!Number.isNaN(value)) checks.push({ line: `${what}: ${value.toFixed(2)}${unit}`, met: ok(value) });
  };
  for (const moved of movedSizes) {
    const seed = med(find("seed", 1000, moved));
    const registry = find("registry", 1000, moved);
    check(
      `registry beyond the kubectl list, P=1000 K=${moved} (≤ 1 s)`,
      med(registry) - (listSeconds.get(1000) ?? 0),
      " s",
      (v) => v <= 1,
    );
    check(`registry vs seed, P=1000 K=${moved} (≥ 50×)`, seed / med(registry), "×", (v) => v >= 50);
    if (moved === 20)
      check("docker vs seed, P=1000 K=20 (≥ 3×)", seed / med(find("docker", 1000, 20)), "×", (v) => v >= 3);
  }
  const unmoved = find("registry", pods, 0);
  if (unmoved) {
    checks.push({
      line: `nothing moved: ${unmoved.heads} HEAD, ${unmoved.gets} GET for ${unique} references (exactly one HEAD each)`,
      met: unmoved.heads === unique && unmoved.gets === 0,
    });
  }
  const big = results.find((m) => m.method === "registry" && m.pods === 10_000);
  check("peak RSS at 10,000 pods (≤ 200 MB)", big?.peakRssMb ?? Number.NaN, " MB", (v) => v <= 200);
  return checks;
}

async function main() {
  ensureEngine();
  execFileSync("node", [join(root, "scripts", "build.mjs")], { cwd: root, stdio: "inherit" });
  const registry = await startRegistry();
  const all = Array.from({ length: unique }, (_, i) => i);
  log(`pushing ${unique} images to ${registry.host}`);
  const v1 = await pushAll(registry.host, all, "v1");
  const cluster = writeCluster(registry.host, pods, v1);
  const results: Measurement[] = [];
  const listSeconds = new Map([[pods, await kubectlListSeconds(cluster)]]);

  // Nothing moved: the registry resolver must cost exactly one HEAD per unique reference and no GET.
  if (methods.includes("registry")) {
    const unmoved = await measure("registry", cluster, registry, { pods, moved: 0 });
    results.push(unmoved);
    if (unmoved.heads !== unique || unmoved.gets !== 0 || unmoved.stale !== 0) {
      throw new Error(
        `nothing moved, yet ${unmoved.heads} HEAD and ${unmoved.gets} GET for ${unique} references`,
      );
    }
  }

  let movedSoFar = 0;
  for (const moved of movedSizes) {
    await pushAll(registry.host, all.slice(movedSoFar, moved), "v2");
    movedSoFar = moved;
    for (const method of methods) {
      const m = await measure(method, cluster, registry, { pods, moved });
      if (m.stale !== (pods / unique) * moved)
        throw new Error(`${method} found ${m.stale} stale pods, expected ${(pods / unique) * moved}`);
      results.push(m);
    }
  }

  if (memoryPods > 0 && methods.includes("registry")) {
    const big = writeCluster(registry.host, memoryPods, v1);
    listSeconds.set(memoryPods, await kubectlListSeconds(big));
    results.push(await measure("registry", big, registry, { pods: memoryPods, moved: movedSoFar }));
  }

  process.stdout.write(`${table(results, listSeconds)}\n`);
  const checked = targets(results, listSeconds);
  for (const { line, met } of checked) process.stdout.write(`target ${met ? "met" : "MISSED"}: ${line}\n`);
  // The smoke size keeps the benchmark working; it must not replace the numbers README quotes.
  if (smoke) return;
  writeFileSync(
    join(root, "bench", "last-results.json"),
    `${JSON.stringify({ date: new Date().toISOString(), results, targets: checked }, null, 2)}\n`,
  );
  if (checked.some((c) => !c.met)) throw new Error("a target was missed (see above)");
}

// Exit explicitly: the registry child would keep the event loop alive; the exit handler stops it.
main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.stack : error}\n`);
    process.exit(1);
  },
);
