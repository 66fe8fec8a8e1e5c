/**
 * A pod whose image is an image ID (`sha256:<64 hex>`). The kubelet keeps the string as it is
 * (applyDefaultImageTag), and containerd's CRI (LocalResolve: `digest.Parse(ref)` succeeds → image ID) and
 * CRI-O resolve it to the local image with that ID: the container is pinned to an immutable image. The
 * plugin reads it as the Docker Hub tag `docker.io/library/sha256:<hex>` and asks Docker Hub for it.
 */
import { describe, expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import { imagesInUse, imagesToResolve } from "../../../src/core/images-in-use.js";
import { indexOwners } from "../../../src/core/owners.js";
import { digestOf, makePod, makeReplicaSet } from "../../support/pods.js";

const ID = digestOf("the local image's config"); // sha256:<64 hex>, an image ID
const REPO_DIGEST = digestOf("nginx manifest");

describe("image: sha256:<image ID>", () => {
  const pod = makePod({
    name: "web-7d9c8b-x2x9q",
    owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
    // containerd reports the image's first repo digest as imageID (here it was once pulled as nginx).
    containers: [{ name: "app", image: ID, imageID: `docker.io/library/nginx@${REPO_DIGEST}` }],
  });

  it("is not a tag to resolve: no registry is asked about docker.io/library/sha256", () => {
    expect(imagesToResolve(imagesInUse([pod])).map((i) => i.key)).toEqual([]);
  });

  it("is pinned (an image ID never moves), not unknown", () => {
    const plan = decidePlan({
      resolver: "registry",
      pods: [pod],
      owners: indexOwners([makeReplicaSet("web-7d9c8b", "web")]),
      resolutions: new Map(),
    });
    expect(plan.pods[0]!.containers[0]!).toMatchObject({
      status: "pinned",
      reason: "pinned by image ID",
      ref: ID,
    });
  });
});
