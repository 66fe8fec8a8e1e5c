/**
 * The Kubernetes Event recorded after each restart (events.k8s.io/v1), on the object `kubectl describe`
 * shows it with: the workload rolled out, or the controller that recreates an evicted or deleted pod (the
 * pod itself is gone, so it is the Event's `related` object). Normal `ImageUpdated` when the replacement
 * came up on the new image (or was not checked); Warning `ImageUpdateFailed` when it came back on the old
 * digest, was not Ready in time, or the rollout failed after the patch. What an evicted or deleted pod's
 * restart was for is on its Event when the replacement came back on the old digest, or was not checked
 * (core/restarted-for.ts). The next runs read those Events back (rememberedRestart): what they write and
 * how it is read are here together.
 */
import { eventReporter, type KubeEvent } from "./k8s.js";
import type { PlanContainer, PlanPod } from "./plan.js";
import type { CompletedRestart } from "./restart-outcomes.js";
import {
  firstRecordedAtAnnotation,
  heldEventReason,
  type RememberedRestart,
  restartedForAnnotation,
  uncheckedRestartAtAnnotation,
} from "./restarted-for.js";

const eventReasons = {
  updated: "ImageUpdated",
  failed: "ImageUpdateFailed",
  held: heldEventReason,
} as const;

/** events.k8s.io/v1 validation: the note is at most 1 kB, the reporting instance at most 128 characters. */
const maxNoteBytes = 1024;
const maxInstanceLength = 128;

const actions = { rollout: "Rollout", evict: "Evict", delete: "Delete" } as const;

/** The API group/version of each kind an Event may be about. */
const apiVersions: Record<string, string> = {
  Deployment: "apps/v1",
  StatefulSet: "apps/v1",
  DaemonSet: "apps/v1",
  ReplicaSet: "apps/v1",
  ReplicationController: "v1",
  Pod: "v1",
  CronJob: "batch/v1",
  Job: "batch/v1",
};

/**
 * The Event for one restart; `now` is the clock's, `instance` the reporting host (the CronJob's pod name).
 */
export function restartEvent(restart: CompletedRestart, now: number, instance: string): KubeEvent {
  const { regarding, namespace, pod, replacement } = restart;
  const failed = replacement.kind === "problem";
  return controllerEvent(regarding, namespace, rememberedOf(replacement), {
    eventTime: microTime(now),
    reportingInstance: instance,
    action: actions[restart.strategy],
    reason: failed ? eventReasons.failed : eventReasons.updated,
    type: failed ? "Warning" : "Normal",
    ...(pod ? { related: objectReference("Pod", pod.name, namespace, pod.uid) } : {}),
    note: restartNote(restart),
  });
}

/** What the restart was for, when its replacement came back on the old digest or was not checked. */
function rememberedOf(replacement: CompletedRestart["replacement"]): RememberedOnEvent | undefined {
  if (!replacement.restartedFor) return undefined;
  if (replacement.kind === "up") return { restartedFor: replacement.restartedFor };
  const { restartedFor, restartedAt } = replacement;
  if (restartedAt !== undefined) return { restartedFor, uncheckedRestartAt: restartedAt };
  // Without its time an unchecked restart would read as a checked one.
  return replacement.kind === "problem" ? { restartedFor } : undefined;
}

/**
 * Normal `ImageUpdateHeld` on a controller whose pods a run held since one of them was restarted in vain
 * (core/restarted-for.ts): the same remembered restart again, so the next runs still know once the first
 * Event expires.
 */
export function holdEvent(
  hold: RememberedRestart,
  pods: readonly PlanPod[],
  now: number,
  instance: string,
): KubeEvent {
  const names = pods.map((p) => p.name).join(", ");
  // A checked one's restart was when it was first recorded; an unchecked one names its restart's time.
  const firstAt = hold.uncheckedRestartAt === undefined ? { firstAt: hold.firstAt ?? hold.at } : {};
  return controllerEvent(
    hold.controller,
    hold.namespace,
    { ...hold, ...firstAt },
    {
      eventTime: microTime(now),
      reportingInstance: instance,
      action: "Hold",
      reason: eventReasons.held,
      type: "Normal",
      note: `Left pod${pods.length > 1 ? "s" : ""} ${names}: ${pods[0]?.reason ?? ""}`,
    },
  );
}

/** What a restart was for, as an Event records it (annotations). */
type RememberedOnEvent = Pick<RememberedRestart, "restartedFor" | "uncheckedRestartAt" | "firstAt">;

/** An Event of this tool on a controller, naming what a restart was for when it records one. */
export function controllerEvent(
  controller: { kind: string; name: string; uid?: string },
  namespace: string,
  remembered: RememberedOnEvent | undefined,
  fields: {
    eventTime: string;
    reportingInstance: string;
    action: string;
    reason: string;
    type: "Normal" | "Warning";
    related?: object;
    note: string;
  },
): KubeEvent {
  const { reportingInstance, note, related, ...facts } = fields;
  return {
    apiVersion: "events.k8s.io/v1",
    kind: "Event",
    metadata: {
      generateName: eventNamePrefix(controller.name),
      namespace,
      ...(remembered ? { annotations: rememberedAnnotations(remembered) } : {}),
    },
    ...facts,
    reportingController: eventReporter,
    reportingInstance: reportingInstance.slice(0, maxInstanceLength) || eventReporter,
    regarding: objectReference(controller.kind, controller.name, namespace, controller.uid),
    ...(related ? { related } : {}),
    note: truncateBytes(note, maxNoteBytes),
  };
}

function rememberedAnnotations({
  restartedFor,
  uncheckedRestartAt,
  firstAt,
}: RememberedOnEvent): Record<string, string> {
  return {
    [restartedForAnnotation]: restartedFor,
    ...(uncheckedRestartAt !== undefined
      ? { [uncheckedRestartAtAnnotation]: new Date(uncheckedRestartAt).toISOString() }
      : {}),
    ...(firstAt !== undefined ? { [firstRecordedAtAnnotation]: new Date(firstAt).toISOString() } : {}),
  };
}

/**
 * `Evicted pod web-1 for a new image: container app localhost:5000/web:main sha256:… → sha256:…, revision …`;
 * with `, but …` when the replacement did not come up as planned.
 */
export function restartNote(restart: CompletedRestart): string {
  const { pod, replacement } = restart;
  const done =
    restart.strategy === "rollout"
      ? "Rolled out for a new image"
      : `${restart.strategy === "evict" ? "Evicted" : "Deleted"} pod ${pod?.name ?? "?"} for a new image`;
  const how =
    replacement.kind === "problem"
      ? `, but ${replacement.reason}`
      : replacement.kind === "unchecked"
        ? ` (replacement not checked: ${replacement.why})`
        : "";
  return `${done}${how}: ${containerMoves(restart.pods).join("; ")}`;
}

/** Each distinct stale container of the pods: name, image, old → new digest, revision and version. */
function containerMoves(pods: readonly PlanPod[]): string[] {
  const moves = pods.flatMap((pod) => pod.containers.filter((c) => c.status === "stale").map(describeMove));
  return [...new Set(moves)];
}

function describeMove(c: PlanContainer): string {
  const image = c.latestImage;
  const facts = [
    ...(image?.revision ? [`revision ${image.revision}`] : []),
    ...(image?.version ? [`version ${image.version}`] : []),
  ];
  const move = `container ${c.name} ${c.image} ${c.runningDigest ?? "?"} → ${c.latestDigest ?? "?"}`;
  return facts.length > 0 ? `${move}, ${facts.join(", ")}` : move;
}

/**
 * The server completes the name with a unique part. The prefix must itself pass as a DNS subdomain once
 * that part follows (a trailing "." does not; a trailing "-" does), whatever the object's name length.
 */
function eventNamePrefix(name: string): string {
  // Cut at 200, the name may end in "-" or "." there, which cannot come before the "." that follows.
  return `${name.slice(0, 200).replace(/[-.]+$/, "")}.autoupdate-`;
}

export function objectReference(kind: string, name: string, namespace: string, uid: string | undefined) {
  return { apiVersion: apiVersions[kind] ?? "v1", kind, name, namespace, ...(uid ? { uid } : {}) };
}

/** metav1.MicroTime as the API server parses it: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** At most `max` bytes of UTF-8, cut at a character boundary, ending in "…" when cut. */
export function truncateBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  const ellipsis = "…";
  const head = Buffer.from(text).subarray(0, max - Buffer.byteLength(ellipsis));
  // A character cut in half decodes as U+FFFD: drop it.
  return head.toString("utf8").replace(/\uFFFD$/, "") + ellipsis;
}

/**
 * An Event of this tool as the list reads it: what it remembers, or null (most record a restart that went
 * well; an unchecked one whose restart time does not read could be taken for a checked one).
 */
export function rememberedRestart(event: ListedRestartEvent): RememberedRestart | null {
  const restartedFor = event.metadata?.annotations?.[restartedForAnnotation];
  const { kind, name, uid } = event.regarding ?? {};
  if (!restartedFor || !kind || !name || !uid) return null;
  const read = rememberedAt(event);
  const at = Number.isNaN(read) ? 0 : read;
  // A hold's Event: when the restart was first recorded, by the API server's clock as `at` is.
  const firstAt = Date.parse(event.metadata?.annotations?.[firstRecordedAtAnnotation] ?? "");
  const remembered = {
    namespace: event.metadata?.namespace ?? "default",
    controller: { kind, name, uid },
    restartedFor,
    at,
    ...(firstAt < at ? { firstAt } : {}),
  };
  const unchecked = event.metadata?.annotations?.[uncheckedRestartAtAnnotation];
  if (unchecked === undefined) return remembered;
  const uncheckedRestartAt = Date.parse(unchecked);
  if (Number.isNaN(uncheckedRestartAt)) return null;
  return { ...remembered, uncheckedRestartAt: uncheckedRestartAt + serverClockAhead(event) };
}

/**
 * When the Event was last written, on the API server's clock, by which the server drops it (--event-ttl)
 * and a run must write it again before: the writer's clock (eventTime, to the microsecond) may run minutes
 * off, which the Event's creation (the server's clock, to the second) shows.
 */
function rememberedAt(event: ListedRestartEvent): number {
  const written = Date.parse(event.series?.lastObservedTime ?? event.eventTime ?? "");
  if (Number.isNaN(written)) return Date.parse(event.metadata?.creationTimestamp ?? "");
  const ahead = clockAhead(event);
  return Math.abs(ahead) < 1000 ? written : written + ahead;
}

/** The parts of a listed Event (events.k8s.io/v1) this tool reads back. */
export interface ListedRestartEvent {
  metadata?: { namespace?: string; creationTimestamp?: string; annotations?: Record<string, string> };
  eventTime?: string;
  reason?: string;
  series?: { lastObservedTime?: string };
  regarding?: { kind?: string; name?: string; uid?: string };
}

/**
 * How far the API server's clock was ahead of the restarting machine's when the restart's own Event was
 * made (its creation against its eventTime): its unchecked restart time is on that machine's clock, which
 * a laptop's may be minutes off, and is compared with pods' creation times. A hold's Event carries a time
 * already on the server's clock.
 */
function serverClockAhead(event: ListedRestartEvent): number {
  return event.reason === heldEventReason ? 0 : clockAhead(event);
}

/** The Event's creation (the server's clock) less its eventTime (its writer's); 0 when either is missing. */
function clockAhead(event: ListedRestartEvent): number {
  const server = Date.parse(event.metadata?.creationTimestamp ?? "");
  const writer = Date.parse(event.eventTime ?? "");
  return Number.isNaN(server) || Number.isNaN(writer) ? 0 : server - writer;
}
