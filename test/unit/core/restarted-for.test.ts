import { describe, expect, it } from "vitest";
import type { PlanContainer, PlanPod } from "../../../src/core/plan.js";
import { restartedForValue } from "../../../src/core/restarted-for.js";
import { digestOf } from "../../support/pods.js";

const NEW = digestOf("v2");
const OTHER = digestOf("v3");

function container(
  name: string,
  status: PlanContainer["status"],
  latestDigest: string | null,
): PlanContainer {
  return {
    name,
    init: false,
    image: "shop/web:main",
    ref: "docker.io/shop/web:main",
    runningDigest: digestOf("v1"),
    latestDigest,
    status,
    reason: "",
    pullPolicy: "IfNotPresent",
  };
}
const pod = (...containers: PlanContainer[]) => ({ containers }) as unknown as PlanPod;

describe("what a rollout is for", () => {
  it("each stale container of the planned pods with its tag's digest, by name, once", () => {
    const value = restartedForValue([
      pod(container("side", "stale", OTHER), container("app", "stale", NEW)),
      pod(container("app", "stale", NEW), container("log", "current", NEW)),
    ]);
    expect(value).toBe(`app=${NEW},side=${OTHER}`);
  });

  it("nothing stale with a digest to name: none", () => {
    expect(restartedForValue([pod(container("app", "stale", null), container("log", "unknown", NEW))])).toBe(
      null,
    );
  });
});
