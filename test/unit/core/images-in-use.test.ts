import { describe, expect, it } from "vitest";
import { imagesInUse, imagesToResolve, needsAccountSecrets } from "../../../src/core/images-in-use.js";
import type { Pod } from "../../../src/core/k8s.js";
import { digestOf, makePod, type PodSpec, type Runtime } from "../../support/pods.js";

const OLD = digestOf("web v1");
const NEW = digestOf("web v2");
const rs = { kind: "ReplicaSet", name: "web-7d9c8b" };

function webPod(overrides: Partial<PodSpec> = {}, runtime: Runtime = "containerd"): Pod {
  return makePod({
    name: "web-7d9c8b-x2x9q",
    runtime,
    owner: rs,
    containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD }],
    ...overrides,
  });
}

const nginx = "docker.io/library/nginx:latest";

describe("imagesToResolve", () => {
  it("leaves out tags no node runs with a comparable digest: asking would decide nothing", () => {
    const pods = [
      webPod({ name: "a", containers: [{ name: "c", image: "app:dev", imageID: OLD }] }),
      webPod({ name: "b", phase: "Pending", containers: [{ name: "c", image: "pending:1" }] }),
      webPod({
        name: "c",
        containers: [{ name: "c", image: "other:1", imageID: `registry.example.com/import-x@${OLD}` }],
      }),
      webPod({ name: "d", containers: [{ name: "c", image: "nginx:latest", runningDigest: OLD }] }),
      // Another repository of the same registry may prove the same image: worth asking.
      webPod({
        name: "e",
        containers: [{ name: "c", image: "mirror:1", imageID: `docker.io/library/nginx@${OLD}` }],
      }),
    ];
    expect(imagesToResolve(imagesInUse(pods)).map((i) => i.key)).toEqual([
      nginx,
      "docker.io/library/mirror:1",
    ]);
  });
});

describe("imagesInUse", () => {
  it("dedupes normalized references and collects pull secrets and running digests", () => {
    const pods = [
      webPod({
        name: "a",
        imagePullSecrets: ["regcred"],
        containers: [{ name: "c", image: "app", runningDigest: OLD }],
      }),
      webPod({
        name: "b",
        imagePullSecrets: ["regcred", "other"],
        containers: [{ name: "c", image: "app:latest", runningDigest: NEW }],
      }),
      webPod({
        name: "c",
        namespace: "x",
        containers: [{ name: "c", image: "docker.io/library/app", runningDigest: OLD }],
      }),
    ];
    const images = imagesInUse(pods);
    expect(images).toHaveLength(1);
    expect(images[0]).toMatchObject({
      key: "docker.io/library/app:latest",
      podCount: 3,
      pullSecrets: [
        { namespace: "default", name: "regcred" },
        { namespace: "default", name: "other" },
      ],
      serviceAccounts: [{ namespace: "x", name: "default" }],
    });
    expect([...images[0]!.running.values()]).toEqual([
      { repository: "docker.io/library/app", digest: OLD },
      { repository: "docker.io/library/app", digest: NEW },
    ]);
  });

  it("pods that share their lists (as a controller's pods do) are each counted, with their own namespace, secrets and account", () => {
    const first = webPod({ name: "a", imagePullSecrets: ["regcred"] });
    const sharing = (name: string, namespace: string, spec: Partial<Pod["spec"]>) => ({
      ...first,
      metadata: { ...first.metadata, name, namespace },
      spec: { ...first.spec, ...spec },
    });
    const pods = [
      first,
      sharing("b", "default", {}),
      sharing("c", "other", {}),
      sharing("d", "default", { imagePullSecrets: [{ name: "mirror" }] }),
      sharing("e", "default", { imagePullSecrets: undefined, serviceAccountName: "builder" }),
      sharing("f", "default", { imagePullSecrets: undefined, serviceAccountName: "deployer" }),
    ];
    const [image] = imagesInUse(pods);
    expect(image).toMatchObject({
      key: nginx,
      podCount: 6,
      pullSecrets: [
        { namespace: "default", name: "regcred" },
        { namespace: "other", name: "regcred" },
        { namespace: "default", name: "mirror" },
      ],
      serviceAccounts: [
        { namespace: "default", name: "builder" },
        { namespace: "default", name: "deployer" },
      ],
    });
  });
});

describe("needsAccountSecrets", () => {
  it("holds for a pod naming no pull secret that runs a tag worth resolving, and then the images agree", () => {
    const cases: [Pod, boolean][] = [
      [webPod(), true],
      [webPod({ imagePullSecrets: ["regcred"] }), false],
      [webPod({ containers: [{ name: "c", image: `nginx@${OLD}`, runningDigest: OLD }] }), false],
      [webPod({ phase: "Pending", containers: [{ name: "c", image: "pending:1" }] }), false],
      [
        webPod({ containers: [{ name: "c", image: "other:1", imageID: `registry.example.com/x@${OLD}` }] }),
        false,
      ],
    ];
    for (const [pod, expected] of cases) {
      expect(needsAccountSecrets(pod)).toBe(expected);
      // A pod for which it holds is always one the list of images needs ServiceAccounts for.
      if (expected) {
        expect(imagesToResolve(imagesInUse([pod])).some((i) => i.serviceAccounts.length > 0)).toBe(true);
      }
    }
  });
});
