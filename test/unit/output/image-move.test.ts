/** apply's line for each image's move: old → new digest, and what the new image's labels say of it. */
import { describe, expect, it } from "vitest";
import type { NewImage, PlanPod } from "../../../src/core/plan.js";
import { imageMoves } from "../../../src/output/image-move.js";
import { planContainer, planPod } from "../../support/plan-pods.js";
import { digestOf } from "../../support/pods.js";

const now = Date.parse("2026-11-30T12:00:00Z");
const OLD = digestOf("v1");
const NEW = digestOf("v2");

function podWith(image: string, latestImage?: NewImage): PlanPod {
  const container = planContainer({
    image,
    ref: image,
    runningDigest: OLD,
    latestDigest: NEW,
    ...(latestImage ? { latestImage } : {}),
  });
  return planPod("web-1", { containers: [container] });
}

describe("imageMoves", () => {
  it("names the revision (a commit's short hash), the version and the build's age", () => {
    const pod = podWith("web:main", {
      created: "2026-11-30T11:48:00Z",
      revision: "9f8e7d1c0b2a39485766554433221100ffeeddcc",
      version: "1.4.0",
    });
    expect(imageMoves([pod], now)).toEqual([
      `web:main ${OLD.slice(7, 19)} → ${NEW.slice(7, 19)} (revision 9f8e7d1, version 1.4.0, built 12m ago)`,
    ]);
  });

  it("shortens a SHA-256 git commit as a SHA-1 one", () => {
    const pod = podWith("web:main", { created: null, revision: "9f8e7d1".padEnd(64, "0") });
    expect(imageMoves([pod], now)).toEqual([
      `web:main ${OLD.slice(7, 19)} → ${NEW.slice(7, 19)} (revision 9f8e7d1, build time unknown)`,
    ]);
  });

  it("labels as the image's pusher wrote them reach the terminal escaped: one line, no control character", () => {
    const hostile = "1.4\u001b]0;all pods current\u0007\u001b[2K\nsecond line";
    const pod = podWith("web:main", { created: null, revision: hostile, version: hostile });
    const [line, ...more] = imageMoves([pod], now);
    expect(more).toEqual([]);
    expect(line).toBe(
      `web:main ${OLD.slice(7, 19)} → ${NEW.slice(7, 19)} (revision 1.4^[]0;all pods current^G^[[2K\\nsecond line, version 1.4^[]0;all pods current^G^[[2K\\nsecond line, build time unknown)`,
    );
  });
});
