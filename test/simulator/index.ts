/**
 * The node simulator: plays the kubelet this product depends on, against the real control plane of
 * test/testbed. See README.md for what it does and does not do.
 *
 *   const sim = await startSimulator({ kubeconfig, nodes: [{ name: "n1", runtime: "containerd" }] });
 *   …create workloads; kube-scheduler binds their pods to the simulated nodes…
 *   await sim.waitForPods({ namespace: "ns", selector: "app=web", count: 3, digest });
 *   await sim.stop();
 */
import { KubeClient, KubeError, type KubeObject } from "./kube-client.js";
import { type NodeSpec, type NodeTimings, type Pod, type SimEvent, SimNode } from "./node.js";

export { KubeClient } from "./kube-client.js";
export type { NodeSpec, Pod, SimEvent } from "./node.js";

export interface SimulatorOptions {
  kubeconfig: string;
  nodes: NodeSpec[];
  /** Registries besides loopback that are plain HTTP. */
  insecureRegistries?: string[];
  timings?: Partial<NodeTimings>;
}

const defaultTimings: NodeTimings = {
  maxGraceMs: 1000,
  jobRunMs: 1000,
  pullBackoffMs: 1000,
  pullBackoffMaxMs: 5000,
  leaseRenewMs: 10_000,
};

/** Label on every simulated Node, so tests can select them (and nodeSelector can pick a runtime). */
const simulatedLabel = "kubectl-autoupdate.test/simulated";
export const runtimeLabel = "kubectl-autoupdate.test/runtime";

export interface PodQuery {
  namespace: string;
  /** Label selector, kubectl syntax. */
  selector?: string;
  /** Exactly this many pods that are not terminating. */
  count: number;
  /** Every container's imageID ends with `@<digest>` (any of these digests). */
  digest?: string | string[];
  /** Default Running (and Ready); Succeeded for Job pods. */
  phase?: "Running" | "Succeeded";
  /** Ignore pods being deleted; by default the wait goes on until they are gone. */
  allowTerminating?: boolean;
  timeoutMs?: number;
}

export class Simulator {
  readonly events: SimEvent[] = [];
  /** Failures inside the simulator (API errors, a broken watch): tests assert there are none. */
  readonly errors: string[] = [];
  readonly nodes: SimNode[] = [];
  private readonly t0 = Date.now();

  constructor(readonly client: KubeClient) {}

  node(name: string): SimNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no simulated node ${name}`);
    return node;
  }

  /** Events of one namespace (and pod name prefix), oldest first. */
  eventsOf(namespace: string, podPrefix = ""): SimEvent[] {
    return this.events.filter((e) => e.namespace === namespace && e.pod.startsWith(podPrefix));
  }

  /** Milliseconds since the simulator started; the clock of `events`. */
  now(): number {
    return Date.now() - this.t0;
  }

  record(node: string, event: Omit<SimEvent, "at" | "node">): void {
    this.events.push({ at: this.now(), node, ...event });
  }

  /**
   * Waits until exactly `count` pods match, none terminating (unless allowed), all in `phase` (Running: and
   * Ready), and — with `digest` — every container runs one of those digests. Returns them; on timeout throws
   * what it saw.
   */
  async waitForPods(query: PodQuery): Promise<Pod[]> {
    const deadline = Date.now() + (query.timeoutMs ?? 60_000);
    const digests = query.digest === undefined ? null : [query.digest].flat();
    const phase = query.phase ?? "Running";
    let pods: Pod[] = [];
    for (;;) {
      const list = await this.client.get<{ items: Pod[] }>(`/api/v1/namespaces/${query.namespace}/pods`, {
        query: { labelSelector: query.selector },
      });
      pods = list.items.filter((p) => !p.metadata.deletionTimestamp);
      const ok =
        pods.length === query.count &&
        (query.allowTerminating === true || pods.length === list.items.length) &&
        pods.every(
          (p) =>
            p.status?.phase === phase &&
            (phase !== "Running" ||
              p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true) &&
            (digests === null ||
              (p.status?.containerStatuses ?? []).every((s) =>
                digests.some((d) => s.imageID.endsWith(`@${d}`)),
              )),
        );
      if (ok) return pods;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${query.count} ${phase} pods in ${query.namespace}` +
            `${query.selector ? ` (${query.selector})` : ""}${digests ? ` on ${digests.join(" or ")}` : ""}; saw:\n` +
            (list.items.map(describePod).join("\n") || "  (no pods)") +
            (this.errors.length > 0 ? `\nsimulator errors:\n  ${this.errors.join("\n  ")}` : ""),
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Stops every node; with `unregister` (default) deletes the Nodes and Leases too. */
  async stop(options: { unregister?: boolean } = {}): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    if (options.unregister !== false) {
      await Promise.all(this.nodes.map((n) => n.unregister().catch(() => {})));
    }
    this.client.close();
  }
}

/** One line per pod: name, node, phase, and each container's imageID or waiting reason. */
function describePod(p: Pod): string {
  const containers = (p.status?.containerStatuses ?? [])
    .map((s) => `${s.name}=${s.imageID || Object.values(s.state)[0]?.["reason"] || "?"}`)
    .join(" ");
  return `  ${p.metadata.name} node=${p.spec.nodeName ?? "-"} phase=${p.status?.phase ?? "-"}${
    p.metadata.deletionTimestamp ? " terminating" : ""
  } ${containers}`;
}

/**
 * Deletes the simulated Nodes already registered (and their Leases), e.g. those of an earlier test file that
 * crashed before its stop(): their pods and capacity would change the next file's counts (DaemonSet pods,
 * scheduling). Hence one simulator per control plane at a time, as the e2e files run.
 */
async function removeLeftoverNodes(client: KubeClient): Promise<void> {
  const list = await client.get<{ items: KubeObject[] }>("/api/v1/nodes", {
    query: { labelSelector: `${simulatedLabel}=true` },
  });
  const names = list.items.map((n) => n.metadata.name);
  if (names.length === 0) return;
  console.warn(`simulator: deleting simulated Nodes an earlier simulator left: ${names.join(", ")}`);
  await Promise.all(
    names.map(async (name) => {
      await client.delete(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`);
      await client.delete(`/api/v1/nodes/${name}`);
    }),
  );
}

/**
 * Removes simulated Nodes left by an earlier simulator, registers the nodes, waits until the node lifecycle
 * controller has lifted their not-ready taint (kube-scheduler places nothing before), and starts watching
 * their pods.
 */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const client = KubeClient.fromKubeconfig(options.kubeconfig);
  const sim = new Simulator(client);
  const timings = { ...defaultTimings, ...options.timings };
  options.nodes.forEach((spec, index) => {
    sim.nodes.push(
      new SimNode(
        spec,
        index + 1,
        client,
        timings,
        options.insecureRegistries ?? [],
        (event) => sim.record(spec.name, event),
        (message) => sim.errors.push(message),
      ),
    );
  });
  try {
    await removeLeftoverNodes(client);
    await Promise.all(
      sim.nodes.map((n) => n.register({ [simulatedLabel]: "true", [runtimeLabel]: n.runtime })),
    );
    await Promise.all(sim.nodes.map((n) => n.startPodWatch()));
    await waitSchedulable(
      client,
      sim.nodes.map((n) => n.name),
    );
  } catch (error) {
    await sim.stop();
    throw error;
  }
  return sim;
}

async function waitSchedulable(client: KubeClient, names: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const pending: string[] = [];
    for (const name of names) {
      const node = await client.get<{ spec?: { taints?: { key: string }[] } }>(`/api/v1/nodes/${name}`);
      if (node.spec?.taints?.some((t) => t.key.startsWith("node.kubernetes.io/"))) pending.push(name);
    }
    if (pending.length === 0) return;
    if (Date.now() > deadline) {
      throw new KubeError(0, "Timeout", `nodes still tainted not-ready after 60 s: ${pending.join(", ")}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
