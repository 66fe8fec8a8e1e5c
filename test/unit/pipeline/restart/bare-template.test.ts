/**
 * A bare ReplicaSet or a ReplicationController makes every new pod from its template as it is now, as an
 * OnDelete StatefulSet does: one edited since the plan (`kubectl set image rs/web …`) would have each pod
 * replaced onto that edit, not only the new digest the plan showed. Its pods are left, saying why.
 */
import { describe, expect, it } from "vitest";
import type { Pod } from "../../../../src/core/k8s.js";
import { templateImagesChanged } from "../../../../src/core/since-plan.js";
import { FakeClock } from "../../../support/fake-clock.js";
import { InMemoryCluster } from "../../../support/in-memory-cluster.js";
import { runRestart } from "../../../support/restart.js";

/** The ReplicaSets read with this template's one container image, as if edited since the plan. */
class EditedTemplateCluster extends InMemoryCluster {
  templateImage: string | null = null;
  override async getObject<T>(resource: string, name: string, namespace: string): Promise<T | null> {
    const object = await super.getObject<{ spec: Record<string, unknown> }>(resource, name, namespace);
    if (object && resource === "replicasets.apps" && this.templateImage) {
      object.spec["template"] = { spec: { containers: [{ name: "app", image: this.templateImage }] } };
    }
    return object as T | null;
  }
}

describe("a bare ReplicaSet's template edited since the plan", () => {
  it("leaves its pods, naming the image its replacements would run", async () => {
    const clock = new FakeClock();
    const cluster = new EditedTemplateCluster(clock);
    const pods = cluster.addController({ name: "web", replicas: 2, strategy: "evict" });
    cluster.templateImage = "registry.test/shop/web:v2";
    const { reported } = await runRestart(clock, cluster, pods);
    expect(cluster.evictions()).toEqual([]);
    expect(reported).toHaveLength(2);
    expect(reported[0]).toMatch(
      /^web-0 not-started: ReplicaSet\/web's template names registry\.test\/shop\/web:v2 for container app since web-0 was made \(it runs .+\): its replacement would run that$/,
    );
  });

  it("the same image written another way is no change", () => {
    const pod = {
      metadata: { name: "web-0" },
      spec: { containers: [{ name: "app", image: "nginx" }] },
    } as unknown as Pod;
    const holder = (image: string) => ({
      kind: "ReplicaSet",
      metadata: { name: "web" },
      spec: { template: { spec: { containers: [{ name: "app", image }] } } },
    });
    expect(templateImagesChanged(pod, holder("docker.io/library/nginx:latest"))).toBeNull();
    expect(templateImagesChanged(pod, holder("nginx:1.27"))).toMatch(/template names nginx:1\.27/);
  });
});
