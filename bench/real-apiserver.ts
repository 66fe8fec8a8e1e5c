/**
 * The real API server: the test bed's control plane (test/testbed), filled with pods that need no node
 * (a scheduler name no scheduler serves, so they stay Pending and untouched; no owners, so the garbage
 * collector leaves them be). They are created straight through the API with the test bed's admin
 * certificate, 16 requests at a time: 10,000 take well under a minute.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { join } from "node:path";

export interface Testbed {
  dir: string;
  kubeconfig: string;
  bin: string;
  apiserver: string;
  stop(): void;
}

export function startTestbed(root: string, dir: string): Testbed {
  const script = join(root, "test", "testbed");
  const out = execFileSync(join(script, "start.sh"), [dir], {
    encoding: "utf8",
    env: { ...process.env, TESTBED_WATCH_PID: String(process.pid) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const env = Object.fromEntries(
    out
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  let stopped = false;
  return {
    dir,
    kubeconfig: env["KUBECONFIG"]!,
    bin: env["TESTBED_BIN"]!,
    apiserver: env["TESTBED_APISERVER"]!,
    stop() {
      if (stopped) return;
      stopped = true;
      execFileSync(join(script, "stop.sh"), [dir], { stdio: "ignore" });
    },
  };
}

/** An HTTPS agent holding the admin certificate. */
function adminAgent(tb: Testbed): Agent {
  const pki = join(tb.dir, "pki");
  return new Agent({
    keepAlive: true,
    maxSockets: 16,
    ca: readFileSync(join(pki, "ca.crt")),
    cert: readFileSync(join(pki, "admin.crt")),
    key: readFileSync(join(pki, "admin.key")),
  });
}

/** A JSON request; resolves with the status code. */
function call(tb: Testbed, agent: Agent, method: string, path: string, body?: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${tb.apiserver}${path}`,
      { method, agent, headers: { "Content-Type": "application/json", Accept: "application/json" } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** A pod as a Deployment would make it (app, sidecar, init container, env, probes, volumes), ~3 KB stored. */
function podBody(namespace: string, i: number, registry: string) {
  const app = `web-${Math.floor(i / 10)}`;
  const container = (name: string, image: string) => ({
    name,
    image,
    env: [
      { name: "LOG_LEVEL", value: "info" },
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "DB_URL", value: `postgres://db.${namespace}.svc:5432/app` },
    ],
    ports: [{ name: "http", containerPort: 8080 }],
    resources: { limits: { memory: "256Mi" }, requests: { cpu: "100m", memory: "128Mi" } },
    volumeMounts: [{ name: "config", mountPath: "/etc/app" }],
    readinessProbe: { httpGet: { path: "/ready", port: 8080 }, periodSeconds: 5 },
  });
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${app}-5f7c9d8b6-${i.toString(36).padStart(5, "0")}`,
      namespace,
      labels: { app, "app.kubernetes.io/part-of": "shop", "pod-template-hash": "5f7c9d8b6" },
      annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": "9090" },
    },
    spec: {
      schedulerName: "bench-no-scheduler",
      initContainers: [{ name: "init-net", image: `${registry}/bench-init@sha256:${"1a".repeat(32)}` }],
      containers: [
        container("app", `${registry}/bench-${i % 100}:latest`),
        { ...container("proxy", `${registry}/bench-proxy@sha256:${"5e".repeat(32)}`), ports: [] },
      ],
      volumes: [{ name: "config", configMap: { name: `${app}-config` } }],
    },
  };
}

/**
 * Creates pods `first`…`first + count - 1` over `namespaces` namespaces (bench-0…, made when missing);
 * returns the seconds it took.
 */
export async function fillWithPods(
  tb: Testbed,
  count: number,
  namespaces: number,
  first = 0,
): Promise<number> {
  const t0 = Date.now();
  const agent = adminAgent(tb);
  for (let n = 0; n < namespaces; n++) {
    await call(tb, agent, "POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: `bench-${n}` },
    });
  }
  // The ServiceAccount admission refuses pods until the namespace's `default` account exists.
  for (let n = 0; n < namespaces; n++) {
    for (
      let tries = 0;
      (await call(tb, agent, "GET", `/api/v1/namespaces/bench-${n}/serviceaccounts/default`)) !== 200;
      tries++
    ) {
      if (tries > 300) throw new Error(`no default ServiceAccount in bench-${n}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  let next = first;
  const worker = async () => {
    for (let i = next++; i < first + count; i = next++) {
      const namespace = `bench-${i % namespaces}`;
      const code = await call(
        tb,
        agent,
        "POST",
        `/api/v1/namespaces/${namespace}/pods`,
        podBody(namespace, i, "registry.bench.invalid"),
      );
      if (code !== 201) throw new Error(`creating pod ${i}: HTTP ${code}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  agent.destroy();
  return (Date.now() - t0) / 1000;
}
