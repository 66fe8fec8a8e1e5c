/**
 * A test file's real node (kubelet + containerd, test/testbed/node-start.sh) on the shared control plane,
 * with a real registry behind a counting proxy: every pull of the node and every request of the plugin
 * passes through it, so a test can count what a plan costs. Images are written for the node
 * (test/testbed/node-images.ts) and named by the proxy's address.
 *
 *   const lane = useRealNode({ name: "rn-strategies", namespaces: ["e2e-rn"] });
 *   const v1 = await lane.images.image("web", "web v1", { tag: "live" }); // lane.ref("web", "live")
 *   const pods = await settledPods("e2e-rn", "app=web", 2);
 *   const { result, cost } = await lane.counting(() => planJson(["-n", "e2e-rn"]));
 */
import { afterAll, beforeAll } from "vitest";
import { ImagePusher } from "../testbed/node-images.js";
import { launchRealNode, type RealNode } from "../testbed/scripts.js";
import { type Cluster, type ClusterOptions, kk, testbed, until, useCluster } from "./e2e.js";
import { anonymous } from "./registry/distribution.js";
import { type FaultProxy, startFaultProxy } from "./registry/fault-proxy.js";

export interface RealNodeLane {
  readonly node: RealNode;
  /** The file's cluster: its first registry is the one behind the proxy; others as asked. */
  readonly cluster: Cluster;
  /** In front of the first registry; images are pushed and pulled through it. */
  readonly proxy: FaultProxy;
  readonly images: ImagePusher;
  /** `proxyhost/repository:tag` or `…@digest`. */
  ref(repository: string, tagOrDigest: string): string;
  /**
   * Registry requests made by anyone but the node's containerd while `run` runs, by kind; with
   * `repository`, only those for it (so plans of different repositories can run side by side).
   */
  counting<T>(run: () => Promise<T>, repository?: string): Promise<{ result: T; cost: RegistryCost }>;
  /** Pins a pod template to the real node. */
  readonly onNode: { nodeSelector: Record<string, string> };
}

/** What a plan asked of the registry. */
export interface RegistryCost {
  manifestHead: number;
  manifestGet: number;
  blobGet: number;
  /** Every request, `METHOD path` (to read in a failed assertion). */
  requests: string[];
}

/**
 * Registers the file's hooks: the real node starts first and stops last (after useCluster's namespaces are
 * gone, their pods finished by the kubelet), a registry (anonymous, then `registries`) and the proxy.
 */
export function useRealNode(
  options: { name: string } & Pick<ClusterOptions, "namespaces" | "registries">,
): RealNodeLane {
  let node: RealNode | undefined;
  let proxy: FaultProxy | undefined;
  let images: ImagePusher | undefined;
  // Registered before useCluster's: afterAll hooks run as a stack, so the node stops after its namespaces
  // are gone.
  beforeAll(async () => {
    node = await launchRealNode(testbed(), { name: options.name });
  });
  afterAll(async () => {
    await node?.stop();
  });
  const cluster = useCluster({
    registries: [anonymous, ...(options.registries ?? [])],
    ...(options.namespaces ? { namespaces: options.namespaces } : {}),
  });
  beforeAll(async () => {
    proxy = await startFaultProxy(cluster.registry.host);
    images = new ImagePusher(proxy.host, node!.bin);
  });
  afterAll(async () => {
    await proxy?.stop();
  });
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`useRealNode: ${what} is not started yet`);
    return value;
  };
  return {
    get node() {
      return need(node, "the real node");
    },
    cluster,
    get proxy() {
      return need(proxy, "the proxy");
    },
    get images() {
      return need(images, "the image pusher");
    },
    ref(repository, tagOrDigest) {
      return need(images, "the image pusher").ref(repository, tagOrDigest);
    },
    async counting(run, repository) {
      const requests = need(proxy, "the proxy").requests;
      const from = requests.length;
      const result = await run();
      const made = requests
        .slice(from)
        .filter((r) => !r.userAgent.startsWith("containerd"))
        .filter((r) => repository === undefined || r.path.startsWith(`/v2/${repository}/`));
      const count = (method: string, kind: string) =>
        made.filter((r) => r.method === method && r.path.includes(`/${kind}/`)).length;
      return {
        result,
        cost: {
          manifestHead: count("HEAD", "manifests"),
          manifestGet: count("GET", "manifests"),
          blobGet: count("GET", "blobs"),
          requests: made.map((r) => `${r.method} ${r.path}`),
        },
      };
    },
    onNode: { nodeSelector: { "kubernetes.io/hostname": options.name } },
  };
}

/** A pod's first container as the kubelet reports it. */
export interface RunningPod {
  name: string;
  uid: string;
  owner: string;
  image: string;
  imageID: string;
}

interface PodJson {
  metadata: { name: string; uid: string; deletionTimestamp?: string; ownerReferences?: { kind: string }[] };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: {
      image: string;
      imageID: string;
      ready: boolean;
      state?: { running?: object; waiting?: { reason?: string; message?: string } };
    }[];
  };
}

/** The pods of `selector` in `ns`, terminating ones included, as `kubectl get pods -o json` lists them. */
export async function listPods(ns: string, selector: string): Promise<PodJson[]> {
  return (
    JSON.parse(await kk(["get", "pods", "-n", ns, "-l", selector, "-o", "json"])) as { items: PodJson[] }
  ).items;
}

/**
 * Waits until `selector` has exactly `count` pods, none terminating, each Running and Ready (and, with
 * `accept`, each accepted); their first containers as reported, sorted by name.
 */
export async function settledPods(
  ns: string,
  selector: string,
  count: number,
  accept: (pod: RunningPod) => boolean = () => true,
  timeoutMs = 180_000,
): Promise<RunningPod[]> {
  return until(
    `${count} settled pods ${selector} in ${ns}`,
    async () => {
      const pods = await listPods(ns, selector);
      if (pods.length !== count) return undefined;
      const running: RunningPod[] = [];
      for (const pod of pods) {
        const status = pod.status?.containerStatuses?.[0];
        const ready = pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
        if (pod.metadata.deletionTimestamp || !ready || !status?.state?.running || !status.imageID) {
          return undefined;
        }
        const seen = {
          name: pod.metadata.name,
          uid: pod.metadata.uid,
          owner: pod.metadata.ownerReferences?.[0]?.kind ?? "",
          image: status.image,
          imageID: status.imageID,
        };
        if (!accept(seen)) return undefined;
        running.push(seen);
      }
      return running.sort((a, b) => a.name.localeCompare(b.name));
    },
    timeoutMs,
  );
}

/** The digest in an imageID of containerd's form (`host/repo@sha256:…`). */
export const digestOf = (imageID: string): string => imageID.slice(imageID.indexOf("@") + 1);
