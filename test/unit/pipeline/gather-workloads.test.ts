/**
 * What the restart decision reads (pipeline/gather.ts gatherWorkloads, core's workloadKindsToRead): one
 * list per kind some pod to restart belongs to (under evict and delete, only StatefulSets and DaemonSets, to
 * see one being deleted); a refused list is a warning.
 */
import { describe, expect, it } from "vitest";
import { ClusterAccessError } from "../../../src/adapters/kubectl-errors.js";
import type { Plan, PlanPod, StrategyName } from "../../../src/core/plan.js";
import { workloadKindsToRead } from "../../../src/core/restart-strategy.js";
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
    pod("db-0", { kind: "StatefulSet", name: "db" }),
    pod("agent-x", { kind: "DaemonSet", name: "agent" }, "none"),
    pod("legacy-y", { kind: "ReplicationController", name: "legacy" }),
  ],
};

describe("which kinds are listed", () => {
  it.each<[StrategyName, WorkloadKind[]]>([
    ["auto", ["Deployment", "StatefulSet"]],
    ["rollout", ["Deployment", "StatefulSet"]],
    ["evict", ["StatefulSet"]],
    ["delete", ["StatefulSet"]],
  ])(
    "%s: %j (only kinds of pods to restart; under evict and delete, only those that recreate their pods)",
    (strategy, kinds) => {
      expect(workloadKindsToRead(plan, strategy)).toEqual(kinds);
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
      ): Promise<Workload[]> {
        calls.push(`${kind} ${JSON.stringify(scope)}`);
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
      ["Deployment", "StatefulSet"],
      "auto",
      warnings,
    );
    expect(calls.sort()).toEqual([
      'Deployment {"namespace":"shop","allNamespaces":false}',
      'StatefulSet {"namespace":"shop","allNamespaces":false}',
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
    await gatherWorkloads(kubectl, { allNamespaces: true }, ["DaemonSet"], "evict", warnings);
    expect(warnings).toEqual([
      "kubectl get failed: Error from server (Forbidden): daemonsets.apps is forbidden (DaemonSets not read: whether one is being deleted is not known)",
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
      gatherWorkloads(kubectl, { allNamespaces: true }, ["Deployment"], "auto", warnings),
    ).rejects.toBeInstanceOf(ClusterAccessError);
    expect(warnings).toEqual([]);
  });

  it("nothing to read, nothing called", async () => {
    const kubectl = {
      listWorkloads: () => {
        throw new Error("must not be called");
      },
    };
    const result = await gatherWorkloads(kubectl, { allNamespaces: true }, [], "auto", []);
    expect(result.workloads.size).toBe(0);
  });
});
