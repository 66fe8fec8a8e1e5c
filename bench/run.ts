/**
 * Benchmark: how long a plan takes, what it asks of the registry and of kubectl, and how much memory the
 * plugin and every kubectl it runs need — side by side with merely reading the same pods from the same
 * source, and with the seed's algorithm (for each pod in turn: docker pull, compare; no dedupe, no
 * concurrency). Real Docker engine, real registry, the real kubectl (the test bed's, or --kubectl);
 * the pods come from a paged fake API server (bench/fake-apiserver.ts) and, for one comparison, from the
 * test bed's real API server.
 *
 *   npm run bench                 the full run (see README "Benchmark"); fails when a target is missed
 *   npm run bench -- --smoke      a quick size that keeps the benchmark working (CI); no control plane
 *   npm run bench -- --help       every option
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { defaultPageSize } from "../src/adapters/paged-list.js";
import { decodePod } from "../src/adapters/pod-protobuf.js";
import { ProtobufListStream } from "../src/adapters/protobuf-list-stream.js";
import { slimPod } from "../src/adapters/slim-objects.js";
import { SharedValues } from "../src/util/shared-values.js";
import { type ClusterModel, imageOf, tagOf } from "./cluster-model.js";
import { startFakeApiServer } from "./fake-apiserver.js";
import {
  type KubectlShim,
  kubectlShim,
  loadAverage,
  machineBusySeconds,
  median,
  requireGnuTime,
  spread,
  timed,
} from "./measure.js";
import { pagedRead } from "./paged-read.js";
import { type SelfTime, topSelfTimes } from "./profile.js";
import { encode, loadSchema, type ProtoSchema } from "./protobuf-encoder.js";
import { fillWithPods, startTestbed } from "./real-apiserver.js";
import {
  countRequests,
  delayedRegistry,
  ensureEngine,
  pushAll,
  type Registry,
  seedLoop,
  startRegistry,
} from "./registry.js";
import { type Executable, measureStartup, type Startup, startupRatios } from "./startup.js";

const root = resolve(import.meta.dirname, "..");

const usage = `npm run bench -- [options]
  --smoke                 CI size: 40 pods (seed, docker, registry), 4,500 pods on the paged fake, start-up ×5
  --cli PATH              the plugin to measure (default bin/kubectl-autoupdate, built first); any executable,
                          e.g. a self-contained build: start-up, plans and profile all run PATH
  --kubectl PATH          the real kubectl (default: the test bed's, from test/testbed/build.sh)
  --pods N --unique U --moved K,… --methods seed,docker,registry --reps R
                          the comparison with the seed's loop (default 1000, 100, 10,20, all three, 3)
  --scale-pods N,…        sizes for the plan-vs-read runs on the paged fake (default 150000; 0 for none)
  --scale-moved K,…       tags moved at those sizes (default 0,10)
  --scale-reps R          repetitions there (default 3)
  --get-reps R            repetitions of \`kubectl get pods -A -o json\` there (default 1: minutes each)
  --page-sizes N,…        raw paged reads at these page sizes, largest scale size and real API server
                          (default 500,2000,5000)
  --apiserver-pods N      pods created in the test bed's control plane for the real comparison (default 10000; 0: skip)
  --startup-reps N        start-up runs per command (default 20; 0: skip)
  --kubectl-cap-gb N      address-space cap of every kubectl (default 6): \`get pods -A -o json\` needs ~20 GB
                          at 150,000 pods; over the cap it dies, and the run says so
  --fake-json             the paged fake serves pods as JSON only, as for a kind without protobuf (default:
                          protobuf when asked for first, as the API server serves pods)
  --registry-delay MS     ms added each way between the registry and whoever asks it (a delaying TCP proxy on
                          loopback, which the pods name), as for a registry across a network (default 0)
  --profile               one plan at the largest scale size under node --cpu-prof: top self times
  --output json|table     the plan's output (default json, the Plan document; table prints only stale rows)
  --save FILE             where results go (default bench/last-results.json; a smoke run saves nothing)`;

const { values } = parseArgs({
  options: {
    help: { type: "boolean", default: false },
    smoke: { type: "boolean", default: false },
    cli: { type: "string" },
    kubectl: { type: "string" },
    pods: { type: "string" },
    unique: { type: "string" },
    moved: { type: "string" },
    reps: { type: "string" },
    methods: { type: "string" },
    "scale-pods": { type: "string" },
    "scale-moved": { type: "string" },
    "scale-reps": { type: "string" },
    "get-reps": { type: "string" },
    "page-sizes": { type: "string" },
    "apiserver-pods": { type: "string" },
    "startup-reps": { type: "string" },
    "kubectl-cap-gb": { type: "string" },
    "registry-delay": { type: "string" },
    "fake-json": { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    output: { type: "string", default: "json" },
    save: { type: "string" },
  },
});
if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

type Method = "seed" | "docker" | "registry";
const numbers = (text: string | undefined, fallback: number[]) =>
  text === undefined ? fallback : text.split(",").filter(Boolean).map(Number);
const smoke = values.smoke === true;
const pods = Number(values.pods ?? (smoke ? 40 : 1000));
const unique = Number(values.unique ?? (smoke ? 4 : 100));
const movedSizes = numbers(values.moved, smoke ? [1] : [10, 20]);
const reps = Number(values.reps ?? (smoke ? 1 : 3));
const methods = (values.methods ?? "seed,docker,registry").split(",") as Method[];
// The smoke size is over two pages, so its plans read pages through the proxy, as protobuf.
const scalePods = numbers(values["scale-pods"], smoke ? [4500] : [150_000]).filter((n) => n > 0);
const scaleMoved = numbers(values["scale-moved"], smoke ? [0, 1] : [0, 10]);
const scaleReps = Number(values["scale-reps"] ?? (smoke ? 1 : 3));
const getReps = Number(values["get-reps"] ?? 1);
const pageSizes = numbers(values["page-sizes"], smoke ? [] : [500, 2000, 5000]);
const apiserverPods = Number(values["apiserver-pods"] ?? (smoke ? 0 : 10_000));
const startupReps = Number(values["startup-reps"] ?? (smoke ? 5 : 20));
const cli = resolve(values.cli ?? join(root, "bin", "kubectl-autoupdate"));
const kubectlCapGb = Number(values["kubectl-cap-gb"] ?? 6);
const registryDelayMs = Number(values["registry-delay"] ?? 0);
const fakeJson = values["fake-json"] === true;
const output = values.output === "table" ? "table" : "json";
const save = smoke ? null : resolve(values.save ?? join(root, "bench", "last-results.json"));

// Checked before anything starts: a count of 0 repetitions would otherwise fail only after minutes of work.
const counts: [string, number[], number][] = [
  ["--pods", [pods], 1],
  ["--unique", [unique], 1],
  ["--moved", movedSizes, 0],
  ["--reps", [reps], 1],
  ["--scale-pods", scalePods, 1],
  ["--scale-moved", scaleMoved, 0],
  ["--scale-reps", [scaleReps], 1],
  ["--get-reps", [getReps], 0],
  ["--page-sizes", pageSizes, 1],
  ["--apiserver-pods", [apiserverPods], 0],
  ["--startup-reps", [startupReps], 0],
];
for (const [flag, given, least] of counts) {
  if (given.some((n) => !Number.isInteger(n) || n < least)) {
    const skip = flag === "--scale-reps" ? " (--scale-pods 0 skips the scale sizes)" : "";
    process.stderr.write(`bench: ${flag} takes whole numbers of at least ${least}${skip}\n`);
    process.exit(2);
  }
}

const work = mkdtempSync(join(tmpdir(), "kau-bench-"));
const cleanups: (() => void)[] = [() => rmSync(work, { recursive: true, force: true })];
process.on("exit", () => {
  for (const c of cleanups.reverse()) {
    try {
      c();
    } catch {
      // Go on with the others.
    }
  }
});
process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

function log(line: string) {
  process.stderr.write(`bench: ${line}\n`);
}

/** A plan (or the seed's loop) measured at one size. */
interface PlanMeasurement {
  method: Method;
  source: "fake" | "apiserver";
  pods: number;
  unique: number;
  moved: number;
  seconds: number[];
  /** From the plugin's start to the end of its last pod page. */
  listSeconds: number[];
  heads: number;
  gets: number;
  kubectlCalls: number;
  kubectlPeakRssMb: number | null;
  peakRssMb: number | null;
  cpu: CpuUse[];
  stale: number;
  load: number[];
  /** Why the run failed (e.g. its kubectl went over the cap); the numbers are then up to the failure. */
  failure: string | null;
}

/**
 * CPU seconds one run used: the plugin's own (null: a build that does not report it), its kubectl's, and
 * the whole machine's (those two, the fake API server, the registry, anything else running).
 */
interface CpuUse {
  plugin: number | null;
  kubectl: number;
  machine: number;
}

/** Reading the same pods without planning: the raw pages, or `kubectl get pods -A -o json`. */
interface ReadMeasurement {
  how: string;
  source: "fake" | "apiserver";
  pods: number;
  seconds: number[];
  kubectlPeakRssMb: number;
  kubectlCalls: number;
  megabytes: number | null;
  cpu: CpuUse[];
  load: number[];
  failure: string | null;
}

const plans: PlanMeasurement[] = [];
const reads: ReadMeasurement[] = [];
let startup: Startup[] = [];
let profile: { pods: number; totalMs: number; top: SelfTime[] } | null = null;
const notes: string[] = [];

/** The environment of every kubectl: the bench's kubeconfig, and a home of its own (discovery cache). */
function kubectlEnv(kubeconfig: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KUBECONFIG: kubeconfig,
    HOME: join(work, "home"),
    NO_COLOR: "1",
    KUBECTL_PATH: "",
  };
}

function fakeKubeconfig(url: string): string {
  const path = join(work, "fake.kubeconfig");
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters: [{name: bench, cluster: {server: "${url}"}}]
users: [{name: bench, user: {}}]
contexts: [{name: bench, context: {cluster: bench, user: bench}}]
current-context: bench
`,
  );
  return path;
}

/** The plugin's plan, -A, through the kubectl shim; its own peak RSS from its --verbose report. */
async function planRun(
  resolver: "docker" | "registry",
  env: NodeJS.ProcessEnv,
  shim: KubectlShim,
  extraNodeArgs: string[] = [],
) {
  shim.reset();
  const started = Date.now();
  const format = output === "json" ? ["-o", "json"] : [];
  const args = ["plan", "-A", ...format, "--resolver", resolver, "--concurrency", "8", "--verbose"];
  const [file, argv] =
    extraNodeArgs.length > 0 ? [process.execPath, [...extraNodeArgs, cli, ...args]] : [cli, args];
  const busy = machineBusySeconds();
  const run = await timed(file, [...argv, "--kubectl", shim.path], {
    env,
    keepStdout: true,
    rssFile: join(work, "plugin.rss"),
  });
  const machine = machineBusySeconds() - busy;
  // A build before the CPU time was reported prints the peak alone.
  const usage = /^peak RSS (\d+) MB(?:, CPU ([\d.]+) s)?$/m.exec(run.stderr);
  if (!usage) throw new Error(`no peak RSS line in:\n${run.stderr.slice(-2000)}`);
  const [, rss, pluginCpu] = usage;
  const calls = await shim.calls();
  // The pod list's calls: its first page, and the proxy that serves the rest (named after pods).
  const podCalls = calls.filter((c) =>
    /get --raw \S*\/pods\?|get pods|kubectl-autoupdate-proxy-pods-/.test(c.argv),
  );
  const failure = run.code === 0 ? null : (/^error: .*$/m.exec(run.stderr)?.[0] ?? `exit ${run.code}`);
  // Node's own warnings (a listener leak, say) show only at scale: a plan that prints one is a defect.
  const nodeWarning = /^\(node:\d+\) \w*Warning: .*$/m.exec(run.stderr);
  if (nodeWarning) throw new Error(`the plan printed Node's warning: ${nodeWarning[0]}`);
  return {
    seconds: run.seconds,
    listSeconds: (Math.max(...podCalls.map((c) => c.end)) - started) / 1000,
    stale: failure ? 0 : staleIn(run.stdout),
    peakRssMb: Number(rss),
    kubectlCalls: calls.length,
    kubectlPeakRssMb: Math.max(...calls.map((c) => c.peakRssMb)),
    cpu: { plugin: pluginCpu === undefined ? null : Number(pluginCpu), kubectl: kubectlCpu(calls), machine },
    failure,
  };
}

function kubectlCpu(calls: readonly { cpuSeconds: number }[]): number {
  return calls.reduce((sum, c) => sum + c.cpuSeconds, 0);
}

/** Pods to restart (the Plan document's action "delete", however done), or the table's summary line's. */
function staleIn(stdout: string): number {
  if (output === "json") {
    return (JSON.parse(stdout) as { pods: { action: string }[] }).pods.filter((p) => p.action === "delete")
      .length;
  }
  const summary = /^(\d+) stale(?: \((\d+) to restart)?/m.exec(stdout);
  if (!summary) throw new Error(`no summary line in the plan's table:\n${stdout.slice(-500)}`);
  return Number(summary[2] ?? 0);
}

async function measurePlan(
  method: Method,
  size: { source: "fake" | "apiserver"; pods: number; moved: number; reps: number },
  env: NodeJS.ProcessEnv,
  shim: KubectlShim,
  registry: Registry | null,
  model: ClusterModel | null,
): Promise<PlanMeasurement> {
  const m: PlanMeasurement = {
    method,
    source: size.source,
    pods: size.pods,
    unique,
    moved: size.moved,
    seconds: [],
    listSeconds: [],
    heads: 0,
    gets: 0,
    kubectlCalls: 0,
    kubectlPeakRssMb: null,
    peakRssMb: null,
    cpu: [],
    stale: 0,
    load: [],
    failure: null,
  };
  for (let r = 0; r < size.reps && !m.failure; r++) {
    m.load.push(loadAverage());
    const from = registry ? statSync(registry.accessLog).size : 0;
    if (method === "seed") {
      const t0 = process.hrtime.bigint();
      m.stale = await seedLoop(podsOf(model!));
      m.seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    } else {
      const result = await planRun(method, env, shim);
      m.seconds.push(result.seconds);
      m.listSeconds.push(result.listSeconds);
      m.stale = result.stale;
      m.peakRssMb = Math.max(m.peakRssMb ?? 0, result.peakRssMb);
      m.kubectlCalls = result.kubectlCalls;
      m.kubectlPeakRssMb = Math.max(m.kubectlPeakRssMb ?? 0, result.kubectlPeakRssMb);
      m.cpu.push(result.cpu);
      m.failure = result.failure;
    }
    if (registry) Object.assign(m, countRequests(registry.accessLog, from));
  }
  log(
    `${method} ${size.source} P=${size.pods} K=${size.moved}: median ${median(m.seconds).toFixed(2)} s, ` +
      `plugin ${m.peakRssMb ?? "-"} MB, kubectl ${m.kubectlPeakRssMb ?? "-"} MB, ${m.kubectlCalls} kubectl calls, ` +
      `${m.heads} HEAD, ${m.gets} GET, stale ${m.stale} (load ${m.load.map((l) => l.toFixed(1)).join("/")})` +
      (m.failure ? `; FAILED: ${m.failure}` : ""),
  );
  plans.push(m);
  return m;
}

function* podsOf(model: ClusterModel): Generator<{ image: string; running: string }> {
  for (let j = 0; j < model.pods; j++) {
    const tag = tagOf(j, model.unique);
    yield { image: imageOf(model, tag), running: model.runningDigest(tag) };
  }
}

async function measureRead(
  how: "paged" | "proxied" | "get -o json",
  size: { source: "fake" | "apiserver"; pods: number; reps: number; pageSize?: number },
  env: NodeJS.ProcessEnv,
  shim: KubectlShim,
  controller?: ControllerPods,
): Promise<ReadMeasurement> {
  const pageSize = size.pageSize ?? defaultPageSize;
  const where = controller ? `-n ${controller.namespace} -l ${controller.selector}` : "-A";
  const m: ReadMeasurement = {
    how:
      how === "get -o json"
        ? `get pods ${where} -o json`
        : `${how === "proxied" ? proxiedRead : "get --raw"}, ${pageSize} a page${controller ? `, ${where}` : ""}`,
    source: size.source,
    pods: size.pods,
    seconds: [],
    kubectlPeakRssMb: 0,
    kubectlCalls: 0,
    megabytes: null,
    cpu: [],
    load: [],
    failure: null,
  };
  for (let r = 0; r < size.reps && !m.failure; r++) {
    m.load.push(loadAverage());
    shim.reset();
    const busy = machineBusySeconds();
    if (how !== "get -o json") {
      const path = controller
        ? `/api/v1/namespaces/${controller.namespace}/pods?labelSelector=${encodeURIComponent(controller.selector)}`
        : "/api/v1/pods";
      const read = await pagedRead(shim.path, env, path, pageSize, how === "proxied");
      m.seconds.push(read.seconds);
      m.megabytes = read.bytes / 1e6;
    } else {
      const args = controller ? ["-n", controller.namespace, "-l", controller.selector] : ["-A"];
      const run = await timed(shim.path, ["get", "pods", ...args, "-o", "json"], {
        env,
        rssFile: join(work, "get.rss"),
      });
      if (run.code !== 0) m.failure = `exit ${run.code}: ${run.stderr.trim().split("\n")[0]}`;
      m.seconds.push(run.seconds);
    }
    const calls = await shim.calls();
    m.cpu.push({ plugin: null, kubectl: kubectlCpu(calls), machine: machineBusySeconds() - busy });
    m.kubectlCalls = calls.length;
    m.kubectlPeakRssMb = Math.max(m.kubectlPeakRssMb, ...calls.map((c) => c.peakRssMb));
  }
  log(
    `read ${m.how} ${size.source} P=${size.pods}: median ${median(m.seconds).toFixed(2)} s, kubectl ${m.kubectlPeakRssMb} MB, ${m.kubectlCalls} calls` +
      (m.failure ? `; FAILED: ${m.failure}` : ""),
  );
  reads.push(m);
  return m;
}

/**
 * The read through kubectl proxy, where the kubectl measured has one (a plan without it reads a page each).
 */
async function measureProxiedRead(
  size: { source: "fake" | "apiserver"; pods: number; reps: number },
  env: NodeJS.ProcessEnv,
  shim: KubectlShim,
): Promise<void> {
  try {
    await measureRead("proxied", size, env, shim);
  } catch (error) {
    // The smoke run checks that the proxied read works; a full run reports what it could measure.
    if (smoke) throw error;
    log(`read through kubectl proxy ${size.source} P=${size.pods}: not measured: ${error}`);
  }
}

function testbedKubectl(): string {
  const bin = execFileSync(join(root, "test", "testbed", "build.sh"), {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return join(bin.trim(), "kubectl");
}

/**
 * The messages of a pod as the test bed's Kubernetes defines them: its k8s.io/api and apimachinery
 * generated.proto, in the Go module cache its build fetched them into (test/testbed/build-lib.sh).
 */
function podSchema(): ProtoSchema {
  const goMod = readFileSync(join(root, "test", "testbed", "kube", "go.mod"), "utf8");
  const version = /^\s*k8s\.io\/api => k8s\.io\/api (v[\w.-]+)$/m.exec(goMod)?.[1];
  if (!version) throw new Error("no k8s.io/api version in test/testbed/kube/go.mod");
  const cache = process.env["KUBECTL_AUTOUPDATE_CACHE"] ?? join(homedir(), ".cache", "kubectl-autoupdate");
  let schema: ProtoSchema;
  try {
    schema = loadSchema(join(cache, "testbed", "go", "mod"), version);
  } catch (error) {
    throw new Error(
      `the pods' protobuf messages (k8s.io/api ${version}) are not in the test bed's module cache; run test/testbed/build.sh: ${String(error)}`,
    );
  }
  // The pods the real API server served both ways (the unit tests' fixtures): encoded here from their JSON,
  // they must read as what it served.
  const fixtures = join(root, "test", "fixtures", "objects");
  const served = JSON.parse(readFileSync(join(fixtures, "pods-served.json"), "utf8")) as { items: unknown[] };
  const encoded = served.items.map((pod) => encode(schema, "k8s.io.api.core.v1.Pod", pod));
  const real: Buffer[] = [];
  const stream = new ProtobufListStream((bytes, start, end) => real.push(bytes.subarray(start, end)));
  stream.write(readFileSync(join(fixtures, "pods-served.pb")));
  stream.end();
  const slim = (pod: Buffer) => JSON.stringify(slimPod(decodePod(pod, 0, pod.length), new SharedValues()));
  if (encoded.some((pod, i) => slim(pod) !== slim(real[i]!))) {
    throw new Error("the fake's protobuf of the fixture pods does not read as the real API server's");
  }
  return schema;
}

async function main() {
  requireGnuTime();
  if (values.cli === undefined)
    execFileSync("node", [join(root, "scripts", "build.mjs")], { cwd: root, stdio: "inherit" });
  mkdirSync(join(work, "home"));
  const kubectl = values.kubectl ? resolve(values.kubectl) : testbedKubectl();
  const shim = kubectlShim(work, kubectl, kubectlCapGb);
  log(`plugin ${cli}; kubectl ${kubectl}; load ${loadAverage()}`);

  if (startupReps > 0) {
    startup = await measureStartup(cli, startupReps, smoke ? undefined : hostExecutable());
    for (const s of startup)
      log(`start-up ${s.command}: median ${median(s.seconds).toFixed(3)} s (${spread(s.seconds, 3)})`);
  }

  ensureEngine(root, work, cleanups);
  const registry = await startRegistry(work, cleanups);
  const all = Array.from({ length: unique }, (_, i) => i);
  const maxMoved = Math.max(0, ...movedSizes, ...(scalePods.length > 0 ? scaleMoved : []));
  log(`pushing ${unique} images to ${registry.host}, and new versions of ${maxMoved}`);
  const v1 = await pushAll(work, registry.host, all, "v1");
  const v2 = await pushAll(work, registry.host, all.slice(0, maxMoved), "v2");
  const imageHost =
    registryDelayMs > 0 ? await delayedRegistry(registry, registryDelayMs, cleanups) : registry.host;
  if (registryDelayMs > 0)
    log(`the pods name ${imageHost}: the registry, ${registryDelayMs} ms farther each way`);
  // K moved: tags below K run their v1 while v2 is pushed; the others run what their tag names now.
  const modelOf = (p: number, moved: number): ClusterModel => ({
    pods: p,
    unique,
    registry: imageHost,
    runningDigest: (t) => (t < moved ? v1.get(t)! : (v2.get(t) ?? v1.get(t)!)),
  });
  const staleOf = (p: number, moved: number) => {
    let n = 0;
    for (let j = 0; j < p; j++) if (tagOf(j, unique) < moved) n++;
    return n;
  };

  const fake = await startFakeApiServer(fakeJson ? null : podSchema());
  cleanups.push(() => void fake.close());
  const env = kubectlEnv(fakeKubeconfig(fake.url));

  // The seed comparison, and nothing moved: the registry resolver must cost exactly one HEAD per reference.
  fake.serve(modelOf(pods, 0));
  await measureRead("paged", { source: "fake", pods, reps: Math.max(reps, 3) }, env, shim);
  if (methods.includes("registry")) {
    const unmoved = await measurePlan(
      "registry",
      { source: "fake", pods, moved: 0, reps },
      env,
      shim,
      registry,
      null,
    );
    if (unmoved.heads !== unique || unmoved.gets !== 0 || unmoved.stale !== 0) {
      throw new Error(
        `nothing moved, yet ${unmoved.heads} HEAD and ${unmoved.gets} GET for ${unique} references`,
      );
    }
  }
  for (const moved of movedSizes) {
    const model = modelOf(pods, moved);
    fake.serve(model);
    for (const method of methods) {
      const m = await measurePlan(method, { source: "fake", pods, moved, reps }, env, shim, registry, model);
      if (m.stale !== staleOf(pods, moved))
        throw new Error(`${method} found ${m.stale} stale pods, expected ${staleOf(pods, moved)}`);
    }
  }

  // Plan against merely reading the same pods, at scale.
  for (const p of scalePods) {
    fake.serve(modelOf(p, 0));
    await measureRead("paged", { source: "fake", pods: p, reps: scaleReps }, env, shim);
    await measureProxiedRead({ source: "fake", pods: p, reps: scaleReps }, env, shim);
    if (getReps > 0) await measureRead("get -o json", { source: "fake", pods: p, reps: getReps }, env, shim);
    if (p === Math.max(...scalePods)) {
      for (const size of pageSizes.filter((s) => s !== defaultPageSize)) {
        await measureRead("paged", { source: "fake", pods: p, reps: scaleReps, pageSize: size }, env, shim);
      }
    }
    for (const moved of scaleMoved) {
      fake.serve(modelOf(p, moved));
      const m = await measurePlan(
        "registry",
        { source: "fake", pods: p, moved, reps: scaleReps },
        env,
        shim,
        registry,
        null,
      );
      // A plan over the kubectl cap (the list all at once, before streaming) is reported, not checked; the
      // smoke run is CI's check that the paged plans work at all, so any failure there fails it.
      if (m.failure && smoke) throw new Error(`the plan of ${p} pods failed: ${m.failure}`);
      if (m.failure) continue;
      if (m.stale !== staleOf(p, moved))
        throw new Error(`plan found ${m.stale} stale pods, expected ${staleOf(p, moved)}`);
      if (moved === 0 && (m.heads !== unique || m.gets !== 0)) {
        throw new Error(`nothing moved, yet ${m.heads} HEAD and ${m.gets} GET for ${unique} references`);
      }
    }
  }

  if (values.profile && scalePods.length > 0) {
    const p = Math.max(...scalePods);
    fake.serve(modelOf(p, Math.max(...scaleMoved)));
    const dir = join(work, "profile");
    await planRun("registry", env, shim, ["--cpu-prof", `--cpu-prof-dir=${dir}`]);
    profile = { pods: p, ...topSelfTimes(dir, 25) };
    log(`profile of one plan at ${p} pods: ${profile.totalMs.toFixed(0)} ms sampled`);
  }
  await fake.close();

  if (apiserverPods > 0) await realApiServer(shim);

  report();
}

/** The test bed's control plane: the plan's list phase against plain `kubectl get pods -A -o json`. */
async function realApiServer(shim: KubectlShim) {
  log(`starting the test bed's control plane`);
  const tb = startTestbed(root, join(work, "testbed"));
  cleanups.push(() => tb.stop());
  try {
    const seconds = await fillWithPods(tb, apiserverPods, 10);
    log(`created ${apiserverPods} pods in ${seconds.toFixed(1)} s`);
    notes.push(
      `real API server: ${apiserverPods} pods created in ${seconds.toFixed(1)} s (16 POSTs at a time)`,
    );
    const env = kubectlEnv(tb.kubeconfig);
    const size = { source: "apiserver" as const, pods: apiserverPods, reps: Math.max(scaleReps, 3) };
    await measureRead("get -o json", size, env, shim);
    for (const pageSize of [...new Set([defaultPageSize, ...pageSizes])]) {
      await measureRead("paged", { ...size, pageSize }, env, shim);
    }
    await measureProxiedRead(size, env, shim);
    await measurePlan("registry", { ...size, moved: 0 }, env, shim, null, null);
    // What apply lists at every poll while an evicted pod's replacement starts: its controller's pods.
    // fillWithPods gives each namespace a tenth of the pods, all with one pod-template-hash.
    const controller = { namespace: "bench-0", selector: "pod-template-hash=5f7c9d8b6" };
    const one = { ...size, pods: Math.ceil(apiserverPods / 10) };
    await measureRead("get -o json", one, env, shim, controller);
    await measureRead("paged", one, env, shim, controller);
  } finally {
    tb.stop();
  }
}

/** One controller's pods: those its selector finds in its namespace. */
interface ControllerPods {
  namespace: string;
  selector: string;
}

function planTable(rows: readonly PlanMeasurement[]): string {
  const lines = [
    "| source | method | pods | unique | moved | median s | spread s | list phase s | vs read | vs seed | HEAD | GET | kubectl calls | plugin peak RSS MB | kubectl peak RSS MB | plugin CPU s | kubectl CPU s | machine CPU s | cores busy | stale found |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const m of rows) {
    const seed = plans.find((s) => s.method === "seed" && s.pods === m.pods && s.moved === m.moved);
    const med = median(m.seconds);
    const read = readOf(m.source, m.pods);
    const vsRead = read && m.method !== "seed" && !m.failure ? `${(med / read).toFixed(2)}×` : "";
    const vsSeed = seed && m.method !== "seed" ? `${(median(seed.seconds) / med).toFixed(1)}×` : "";
    const list = m.listSeconds.length > 0 ? median(m.listSeconds).toFixed(2) : "-";
    lines.push(
      `| ${m.source} | ${m.method} | ${m.pods} | ${m.unique} | ${m.moved} | ${failed(m.failure, med)} | ${spread(m.seconds)} | ${list} | ${vsRead} | ${vsSeed} | ${m.heads} | ${m.gets} | ${m.method === "seed" ? "-" : m.kubectlCalls} | ${m.peakRssMb ?? "-"} | ${m.kubectlPeakRssMb ?? "-"} | ${cpuCells(m, true)} | ${m.stale} |`,
    );
  }
  return lines.join("\n");
}

/** A median, or how long a run took to fail and why. */
function failed(failure: string | null, seconds: number): string {
  return failure ? `failed after ${seconds.toFixed(1)}: ${failure.replaceAll("|", "/")}` : seconds.toFixed(2);
}

function readTable(): string {
  const lines = [
    "| source | pods | read | median s | spread s | kubectl calls | kubectl peak RSS MB | MB read | kubectl CPU s | machine CPU s | cores busy |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of reads) {
    lines.push(
      `| ${r.source} | ${r.pods} | ${r.how} | ${failed(r.failure, median(r.seconds))} | ${spread(r.seconds)} | ${r.kubectlCalls} | ${r.kubectlPeakRssMb} | ${r.megabytes?.toFixed(0) ?? "-"} | ${cpuCells(r, false)} |`,
    );
  }
  return lines.join("\n");
}

/**
 * Medians of the CPU seconds a measurement's runs used, and of the cores each kept busy ("-": none measured).
 */
function cpuCells(m: { cpu: CpuUse[]; seconds: number[] }, withPlugin: boolean): string {
  const of = (xs: (number | null)[]) => {
    const known = xs.filter((x): x is number => x !== null);
    return known.length > 0 ? median(known).toFixed(2) : "-";
  };
  const cells = [
    of(m.cpu.map((c) => c.kubectl)),
    of(m.cpu.map((c) => c.machine)),
    of(m.cpu.map((c, i) => c.machine / m.seconds[i]!)),
  ];
  return (withPlugin ? [of(m.cpu.map((c) => c.plugin)), ...cells] : cells).join(" | ");
}

/**
 * Whether a plan's time at scale is bound by the machine's cores: the CPU everything used while it ran,
 * spread evenly over every core, is the least time it could take here, and so the least "vs read". The
 * machine's CPU counts every process on it: the bench wants the machine to itself.
 */
function cpuBounds(): string[] {
  const cores = availableParallelism();
  const lines: string[] = [];
  for (const m of plans.filter((x) => x.method === "registry" && !x.failure)) {
    const read = readMeasurementOf(m.source, m.pods);
    if (!read || m.cpu.length === 0 || read.cpu.length === 0) continue;
    const least = median(m.cpu.map((c) => c.machine)) / cores;
    const readSeconds = median(read.seconds);
    const plugin = m.cpu.some((c) => c.plugin === null)
      ? ""
      : `, the plugin ${median(m.cpu.map((c) => c.plugin!)).toFixed(2)} s`;
    lines.push(
      `cpu: ${m.source} P=${m.pods} K=${m.moved}: the plan used ${median(m.cpu.map((c) => c.machine)).toFixed(2)} s of the machine's CPU ` +
        `(kubectl ${median(m.cpu.map((c) => c.kubectl)).toFixed(2)} s${plugin}); on ${cores} cores it cannot take less than ` +
        `${least.toFixed(2)} s, ${(least / readSeconds).toFixed(2)}× the read (${readSeconds.toFixed(2)} s, ` +
        `${median(read.cpu.map((c) => c.machine)).toFixed(2)} s of CPU); it took ${median(m.seconds).toFixed(2)} s`,
    );
  }
  return lines;
}

/** How the plugin reads a list longer than a page: the first by get --raw, the rest through kubectl proxy. */
const proxiedRead = "get --raw, then kubectl proxy";

/**
 * "Merely reading the same pods from the same source": the pages at the plugin's page size, read as the
 * plugin reads them (through kubectl proxy) where that was measured, else each by a get --raw of its own.
 */
function readMeasurementOf(source: string, p: number): ReadMeasurement | undefined {
  const at = (how: string) =>
    reads.find((x) => x.source === source && x.pods === p && x.how === `${how}, ${defaultPageSize} a page`);
  return at(proxiedRead) ?? at("get --raw");
}

function readOf(source: string, p: number): number | null {
  const r = readMeasurementOf(source, p);
  return r ? median(r.seconds) : null;
}

/**
 * The issue's targets, each read off the measurements it is about; what the run did not measure is left out.
 */
function targets(): { line: string; met: boolean }[] {
  const checks: { line: string; met: boolean }[] = [];
  const check = (what: string, value: number, unit: string, ok: (v: number) => boolean) => {
    if (Number.isFinite(value)) checks.push({ line: `${what}: ${value.toFixed(2)}${unit}`, met: ok(value) });
  };
  const find = (method: Method, p: number, moved: number) =>
    plans.find((m) => m.source === "fake" && m.method === method && m.pods === p && m.moved === moved);
  const med = (m: PlanMeasurement | undefined) => (m ? median(m.seconds) : Number.NaN);
  for (const m of plans.filter((x) => x.method === "registry" && x.moved === 0 && !x.failure)) {
    checks.push({
      line: `nothing moved (${m.source}, P=${m.pods}): ${m.heads} HEAD, ${m.gets} GET for ${m.unique} references (exactly one HEAD each)`,
      met: m.source === "apiserver" || (m.heads === m.unique && m.gets === 0),
    });
  }
  for (const moved of movedSizes) {
    const seed = med(find("seed", 1000, moved));
    const registry = find("registry", 1000, moved);
    check(
      `registry beyond the list, P=1000 K=${moved} (≤ 0.25 s)`,
      med(registry) - (readOf("fake", 1000) ?? Number.NaN),
      " s",
      (v) => v <= 0.25,
    );
    check(`registry vs seed, P=1000 K=${moved} (≥ 50×)`, seed / med(registry), "×", (v) => v >= 50);
    if (moved === 20)
      check("docker vs seed, P=1000 K=20 (≥ 3×)", seed / med(find("docker", 1000, 20)), "×", (v) => v >= 3);
  }
  for (const m of plans.filter((x) => x.source === "fake" && x.pods === 150_000)) {
    if (m.failure) {
      checks.push({ line: `plan at P=150000 K=${m.moved} failed: ${m.failure}`, met: false });
      continue;
    }
    check(
      `plugin peak RSS, P=150000 K=${m.moved} (≤ 250 MB)`,
      m.peakRssMb ?? Number.NaN,
      " MB",
      (v) => v <= 250,
    );
    check(
      `kubectl peak RSS, P=150000 K=${m.moved} (≤ 250 MB)`,
      m.kubectlPeakRssMb ?? Number.NaN,
      " MB",
      (v) => v <= 250,
    );
    check(
      `plan vs reading the same pages, P=150000 K=${m.moved} (≤ 1.3×)`,
      median(m.seconds) / (readOf("fake", 150_000) ?? Number.NaN),
      "×",
      (v) => v <= 1.3,
    );
  }
  // The target is the plugin run by node; the executable's ratio to its own Node.js is reported only.
  for (const s of startup.filter((x) => x.floor === "node -e 0")) {
    check(
      `start-up ${s.command} vs node -e 0 (≤ 1.3×)`,
      startupRatios(startup).get(s.command)!,
      "×",
      (v) => v <= 1.3,
    );
  }
  return checks;
}

/**
 * The self-contained executable of this machine's platform, made from the bundle just built (as
 * `npm run sea` makes it), with the Node.js binary it was made from; none on a platform without one.
 */
function hostExecutable(): Executable | undefined {
  // scripts/*.mjs are plain JavaScript: asked through node.
  const facts = JSON.parse(
    execFileSync(
      "node",
      [
        "--input-type=module",
        "-e",
        `const { hostPlatform, NODE_VERSION } = await import("./scripts/platforms.mjs");
         const { nodeBinary } = await import("./scripts/node-binaries.mjs");
         const p = hostPlatform();
         console.log(JSON.stringify(p && { name: p.os + "/" + p.arch, dir: p.os + "-" + p.arch, exe: p.exe, node: nodeBinary(p), version: NODE_VERSION }));`,
      ],
      { cwd: root, encoding: "utf8" },
    ),
  ) as { name: string; dir: string; exe: string; node: string; version: string } | null;
  if (!facts) return undefined;
  const out = join(work, "sea");
  execFileSync("node", [join(root, "scripts", "sea.mjs"), "--out", out, facts.name], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  return { path: join(out, facts.dir, facts.exe), node: facts.node, nodeVersion: facts.version };
}

function report() {
  const out: string[] = [];
  const fakePlans = plans.filter((m) => m.source === "fake");
  out.push(planTable(fakePlans), "", readTable());
  const real = plans.filter((m) => m.source === "apiserver");
  if (real.length > 0) out.push("", planTable(real));
  if (startup.length > 0) {
    const ratios = startupRatios(startup);
    out.push("", "| start-up | median s | spread s | vs its node -e 0 |", "|---|---|---|---|");
    for (const s of startup) {
      const ratio = ratios.get(s.command);
      out.push(
        `| ${s.command} | ${median(s.seconds).toFixed(3)} | ${spread(s.seconds, 3)} | ${ratio ? `${ratio.toFixed(2)}×` : ""} |`,
      );
    }
  }
  if (profile) {
    out.push(
      "",
      `Top self times, one plan at ${profile.pods} pods (${profile.totalMs.toFixed(0)} ms sampled):`,
      "",
    );
    out.push("| function | self ms | share |", "|---|---|---|");
    for (const t of profile.top)
      out.push(`| ${t.name} | ${t.ms.toFixed(0)} | ${(t.share * 100).toFixed(1)}% |`);
  }
  out.push("", ...cpuBounds());
  for (const note of notes) out.push(`note: ${note}`);
  process.stdout.write(`${out.join("\n")}\n`);
  const checked = targets();
  for (const { line, met } of checked) process.stdout.write(`target ${met ? "met" : "MISSED"}: ${line}\n`);
  // The smoke size keeps the benchmark working; it must not replace the numbers README quotes.
  if (!save) return;
  writeFileSync(
    save,
    `${JSON.stringify({ date: new Date().toISOString(), cli, output, registryDelayMs, cores: availableParallelism(), plans, reads, cpu: cpuBounds(), startup, profile, notes, targets: checked }, null, 2)}\n`,
  );
  if (checked.some((c) => !c.met)) throw new Error("a target was missed (see above)");
}

// Exit explicitly: the registry child would keep the event loop alive; the exit handlers stop it.
main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.stack : error}\n`);
    process.exit(1);
  },
);
