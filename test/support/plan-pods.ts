/**
 * A Plan's pods and containers as the renderers' tests need them: by default a stale container of
 * registry.example.com/shop/web:main in shop's pod NAME of Deployment web; each test names what it varies.
 */
import type { PlanContainer, PlanPod } from "../../src/core/plan.js";
import { digestOf } from "./pods.js";

export function planContainer(overrides: Partial<PlanContainer> = {}): PlanContainer {
  return {
    name: "app",
    init: false,
    image: "registry.example.com/shop/web:main",
    ref: "registry.example.com/shop/web:main",
    runningDigest: digestOf("v1"),
    latestDigest: digestOf("v2"),
    status: "stale",
    reason: "",
    pullPolicy: "Always",
    ...overrides,
  };
}

export function planPod(name: string, overrides: Partial<PlanPod> = {}): PlanPod {
  return {
    namespace: "shop",
    name,
    uid: `uid-${name}`,
    node: "n1",
    owner: { kind: "Deployment", name: "web" },
    labels: {},
    terminating: false,
    ended: false,
    controller: { kind: "ReplicaSet", name: "web-7d9c8b", uid: "uid-rs" },
    action: "delete",
    reason: "",
    warnings: [],
    containers: [planContainer()],
    ...overrides,
  };
}
