/**
 * What the restart decision reads (pipeline/gather.ts gatherWorkloads, core's workloadsToRead): one list
 * per kind some pod to restart belongs to, for the workloads they belong to (under evict and delete, only
 * StatefulSets and DaemonSets, to see one being deleted); a refused list is a warning.
 */
import { describe, expect, it } from "vitest";
import { ClusterAccessError } from "../../../src/adapters/kubectl-errors.js";
import type { Plan, PlanPod, StrategyName } from "../../../src/core/plan.js";
import { workloadsToRead } from "../../../src/core/restart-strategy.js";
import type { Workload, WorkloadKind } from "../../../src/core/workload.js";
import { ToolFailedError } from "../../../src/errors.js";
import { gatherWorkloads } from "../../../src/pipeline/gather.js";

const pod = (
  name: string,
  owner: { kind: string; name: string },
  action: PlanPod["action"] = "delete",
): PlanPod => ({
  namespace: "shop",
  name,
  uid: name,
  node: "",
  owner,
  labels: {},
  terminating: false,
  ended: false,
  controller: { kind: owner.kind === "Deployment" ? "ReplicaSet" : owner.kind, name: owner.name, uid: "u" },
  action,
  reason: "",
  warnings: [],
  containers: [],
});
const plan: Plan = {
  resolver: "registry",
  pods: [
    pod("web-1", { kind: "Deployment", name: "web" }),
    pod("web-2", { kind: "Deployment", name: "web" }),
    pod("api-1", { kind: "Deployment", name: "api" }),
    pod("cache-1", { kind: "Deployment", name: "cache" }, "skip"),
    pod("db-0", { kind: "StatefulSet", name: "db" }),
    pod("agent-x", { kind: "DaemonSet", name: "agent" }, "none"),
    pod("legacy-y", { kind: "ReplicationController", name: "legacy" }),
  ],
};

describe("which workloads are read", () => {
  const rolled = { Deployment: ["shop/web", "shop/api"], StatefulSet: ["shop/db"] };
  it.each<[StrategyName, Partial<Record<WorkloadKind, string[]>>]>([
    ["auto", rolled],
    ["rollout", rolled],
    ["evict", { StatefulSet: ["shop/db"] }],
    ["delete", { StatefulSet: ["shop/db"] }],
  ])(
    "%s: %j (only those of pods to restart; under evict and delete, only kinds that recreate their pods)",
    (strategy, names) => {
      const toRead = workloadsToRead(plan, strategy);
      expect(Object.fromEntries([...toRead].map(([kind, set]) => [kind, [...set]]))).toEqual(names);
      expect([...toRead.keys()]).toEqual(Object.keys(names));
    },
  );
});

describe("gatherWorkloads", () => {
  it("one list per kind in the pods' namespace (never their selectors); a refused list is a warning", async () => {
    const calls: string[] = [];
    const kubectl = {
      async listWorkloads(
        kind: WorkloadKind,
        scope: { namespace?: string; allNamespaces: boolean },
        names: ReadonlySet<string>,
      ): Promise<Workload[]> {
        calls.push(`${kind} ${JSON.stringify(scope)} ${[...names]}`);
        if (kind === "StatefulSet") {
          throw new ToolFailedError(
            "kubectl get failed: Error from server (Forbidden): statefulsets.apps is forbidden",
          );
        }
        return [{ kind, metadata: { name: "web", namespace: "shop" }, spec: {} }];
      },
    };
    const warnings: string[] = [];
    const scope = {
      namespace: "shop",
      allNamespaces: false,
      selector: "app=web",
      fieldSelector: "spec.nodeName=n1",
    };
    const { workloads, unreadable } = await gatherWorkloads(
      kubectl,
      scope,
      new Map([
        ["Deployment", new Set(["shop/web"])],
        ["StatefulSet", new Set(["shop/db"])],
      ]),
      "auto",
      warnings,
    );
    expect(calls.sort()).toEqual([
      'Deployment {"namespace":"shop","allNamespaces":false} shop/web',
      'StatefulSet {"namespace":"shop","allNamespaces":false} shop/db',
    ]);
    expect([...workloads.keys()]).toEqual(["shop/Deployment/web"]);
    expect([...unreadable.keys()]).toEqual(["StatefulSet"]);
    expect(warnings).toEqual([
      "kubectl get failed: Error from server (Forbidden): statefulsets.apps is forbidden (StatefulSets not read: their pods are evicted under auto, left under rollout)",
    ]);
  });

  it("under evict and delete, a refused list says what is not known", async () => {
    const kubectl = {
      async listWorkloads(): Promise<Workload[]> {
        throw new ToolFailedError(
          "kubectl get failed: Error from server (Forbidden): daemonsets.apps is forbidden",
        );
      },
    };
    const warnings: string[] = [];
    await gatherWorkloads(
      kubectl,
      { allNamespaces: true },
      new Map([["DaemonSet", new Set(["shop/agent"])]]),
      "evict",
      warnings,
    );
    expect(warnings).toEqual([
      "kubectl get failed: Error from server (Forbidden): daemonsets.apps is forbidden (DaemonSets not read: whether one is being deleted, or runs pods on nodes it no longer schedules to, is seen at each pod's turn)",
    ]);
  });

  it("the cluster lost (not a refusal) stops the run: auto would evict a Deployment's pods", async () => {
    const kubectl = {
      async listWorkloads(): Promise<Workload[]> {
        throw new ClusterAccessError("the login expired", { kind: "unauthorized" }, "");
      },
    };
    const warnings: string[] = [];
    await expect(
      gatherWorkloads(
        kubectl,
        { allNamespaces: true },
        new Map([["Deployment", new Set(["shop/web"])]]),
        "auto",
        warnings,
      ),
    ).rejects.toBeInstanceOf(ClusterAccessError);
    expect(warnings).toEqual([]);
  });

  it("nothing to read, nothing called", async () => {
    const kubectl = {
      listWorkloads: () => {
        throw new Error("must not be called");
      },
    };
    const result = await gatherWorkloads(kubectl, { allNamespaces: true }, new Map(), "auto", []);
    expect(result.workloads.size).toBe(0);
  });
});
