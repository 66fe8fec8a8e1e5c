/**
 * One image's move, as apply reports it: `web:main 0e02c92a1b3c → c7ede51f0d9e (revision 9f8e7d1, built 12m
 * ago)`.
 */
import { buildTime } from "../core/image-age.js";
import { shortDigest } from "../core/image-id.js";
import type { NewImage, PlanContainer, PlanPod } from "../core/plan.js";
import { formatAge } from "../util/age.js";
import { escapeTerminal } from "./terminal-text.js";

/** As the plan's table shortens it, so the two can be matched; `?` where unknown. */
const short = (digest: string | null) => (digest ? shortDigest(digest) : "?");

/** A git-style short revision for a commit hash (SHA-1 or SHA-256); any other revision as written. */
export function shortRevision(revision: string): string {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(revision) ? revision.slice(0, 7) : revision;
}

/** `built 12m ago`, or what is wrong with the build time; `now` is the clock's. */
function builtAgo(image: NewImage, now: number): string {
  const time = buildTime(image.created, now);
  return time.ok ? `built ${formatAge(now - time.at)} ago` : "build time unknown";
}

/** The reference and the labels are as the pod spec and the image's pusher wrote them: escaped. */
function describeMove(container: PlanContainer, now: number): string {
  const move = `${container.image} ${short(container.runningDigest)} → ${short(container.latestDigest)}`;
  const image = container.latestImage;
  if (!image) return escapeTerminal(move);
  const facts = [
    ...(image.revision ? [`revision ${shortRevision(image.revision)}`] : []),
    ...(image.version ? [`version ${image.version}`] : []),
    builtAgo(image, now),
  ];
  return escapeTerminal(`${move} (${facts.join(", ")})`);
}

/** One line per distinct move among the pods' stale containers, in plan order. */
export function imageMoves(pods: readonly PlanPod[], now: number): string[] {
  const lines = pods.flatMap((pod) =>
    pod.containers.filter((c) => c.status === "stale").map((c) => describeMove(c, now)),
  );
  return [...new Set(lines)];
}
