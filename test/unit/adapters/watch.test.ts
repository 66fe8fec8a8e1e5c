/**
 * watchObjects against a scripted kubectl: how the API server's events arrive (split anywhere, a UTF-8
 * character across chunks), and the ways a watch ends that a real API server does not produce on demand (an
 * ERROR event, a refusal, output that is not events).
 */
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import type { Exec, ExecOptions } from "../../../src/adapters/exec.js";
import type { ExecResult } from "../../../src/adapters/exec-result.js";
import { listedResources } from "../../../src/adapters/list-request.js";
import { controllerPodShape } from "../../../src/adapters/slim-objects.js";
import { type WatchChange, watchObjects } from "../../../src/adapters/watch.js";

const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name, uid: `uid-${name}`, managedFields: [{ manager: "kubelet" }], ...extra },
  spec: { nodeName: "n1", containers: [{ name: "app", image: "app:1", env: [{ name: "A", value: "b" }] }] },
  status: { phase: "Running", conditions: [{ type: "Ready", status: "True", reason: "r" }] },
});
const line = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

/** A kubectl that writes `chunks` (Buffers cut at the given sizes when `cut`) and then exits as `result`. */
function scripted(chunks: string[], result: Partial<ExecResult> = {}, cut = 0) {
  const calls: { args: readonly string[]; aborted: boolean }[] = [];
  const exec: Exec = async (_file, args, options: ExecOptions = {}) => {
    const call = { args, aborted: false };
    calls.push(call);
    const bytes = Buffer.from(chunks.join(""));
    const pieces =
      cut > 0
        ? Array.from({ length: Math.ceil(bytes.length / cut) }, (_, i) =>
            bytes.subarray(i * cut, (i + 1) * cut),
          )
        : chunks;
    for (const piece of pieces) {
      await new Promise((r) => setImmediate(r));
      if (options.signal?.aborted) {
        call.aborted = true;
        return { exitCode: 143, stdout: "", stderr: "", interrupted: true };
      }
      options.onStdout?.(piece);
    }
    return { exitCode: 0, stdout: "", stderr: "", interrupted: false, ...result };
  };
  return { exec, calls };
}

async function watch(exec: Exec, signal = new AbortController().signal, connectionArgs = ["--context=c1"]) {
  const changes: WatchChange<ReturnType<typeof pod>>[] = [];
  const end = await watchObjects<ReturnType<typeof pod>>({
    exec,
    kubectl: "kubectl",
    connectionArgs,
    resource: listedResources.pods!,
    query: {
      namespace: "shop",
      labelSelector: "app=web,tier in (a,b)",
      resourceVersion: "41",
      timeoutSeconds: 300,
    },
    shape: controllerPodShape,
    onChange: (change) => changes.push(change),
    signal,
  });
  return { end, changes };
}

describe("watchObjects", () => {
  it("asks for a watch from the list's resourceVersion, with the connection flags, and hands over each change cut to the shape", async () => {
    const { exec, calls } = scripted(
      [
        line("ADDED", pod("web-a")),
        line("BOOKMARK", { metadata: { resourceVersion: "50" } }),
        line("MODIFIED", pod("web-ü")),
        line("DELETED", pod("web-a")),
      ],
      {},
      7,
    );
    const { end, changes } = await watch(exec);
    expect(end).toEqual({ kind: "closed" });
    expect(calls[0]!.args.slice(0, 3)).toEqual(["--context=c1", "get", "--raw"]);
    const uri = new URL(calls[0]!.args[3]!, "https://api.invalid");
    expect(uri.pathname).toBe("/api/v1/namespaces/shop/pods");
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      labelSelector: "app=web,tier in (a,b)",
      watch: "true",
      resourceVersion: "41",
      timeoutSeconds: "300",
    });
    expect(changes.map((c) => `${c.type} ${c.object.metadata.name}`)).toEqual([
      "ADDED web-a",
      "MODIFIED web-ü",
      "DELETED web-a",
    ]);
    // Cut as a list's pods are: no managedFields, no env, conditions' type and status only.
    expect(changes[0]!.object).toEqual({
      metadata: { name: "web-a", uid: "uid-web-a" },
      spec: { nodeName: "n1", containers: [{ name: "app", image: "app:1" }] },
      status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
    });
  });

  it("is not given --request-timeout, which kubectl would apply to the whole stream and so cut the watch", async () => {
    const { exec, calls } = scripted([line("ADDED", pod("web-a"))]);
    const connectionArgs = ["--context=c1", "--request-timeout=5s", "--as=ops"];
    await watch(exec, new AbortController().signal, connectionArgs);
    expect(calls[0]!.args.slice(0, 4)).toEqual(["--context=c1", "--as=ops", "get", "--raw"]);
  });

  it("an ERROR event (a resourceVersion too old) fails the watch and stops its kubectl", async () => {
    const status = {
      kind: "Status",
      code: 410,
      reason: "Expired",
      message: "too old resource version: 41 (90)",
    };
    const { exec, calls } = scripted([
      line("ADDED", pod("web-a")),
      line("ERROR", status),
      line("ADDED", pod("web-b")),
    ]);
    const { end, changes } = await watch(exec);
    expect(end).toEqual({
      kind: "failed",
      reason: "the watch of pods ended: 410 Expired: too old resource version: 41 (90)",
    });
    expect(changes.map((c) => c.object.metadata.name)).toEqual(["web-a"]);
    expect(calls[0]!.aborted).toBe(true);
  });

  it("a refusal (no watch on pods) is told apart from other failures", async () => {
    const forbidden =
      'Error from server (Forbidden): pods is forbidden: User "u" cannot watch resource "pods"\n';
    expect((await watch(scripted([], { exitCode: 1, stderr: forbidden }).exec)).end).toEqual({
      kind: "refused",
      reason: expect.stringContaining("cannot watch resource"),
    });
    const refused =
      "The connection to the server 10.0.0.1:6443 was refused - did you specify the right host or port?\n";
    expect((await watch(scripted([], { exitCode: 1, stderr: refused }).exec)).end).toMatchObject({
      kind: "failed",
    });
  });

  it("output that is not watch events (a List, a proxy's page) fails it", async () => {
    const { end, changes } = await watch(scripted(['{"kind":"PodList","items":[]}\n']).exec);
    expect(end).toEqual({
      kind: "failed",
      reason: "kubectl get --raw pods?watch printed what is not a watch event",
    });
    expect(changes).toEqual([]);
  });

  it("a UTF-8 character split at every byte offset, and a last line without its newline", async () => {
    const bytes = Buffer.from(line("ADDED", pod("web-ü")) + line("ADDED", pod("web-é")).trimEnd());
    for (let cut = 1; cut < 24; cut++) {
      const { changes } = await watch(scripted([bytes.toString()], {}, cut).exec);
      expect(changes.map((c) => c.object.metadata.uid)).toEqual(["uid-web-ü", "uid-web-é"]);
    }
  });

  it("a stop that cuts an event off mid-line ends it closed; its listener on the signal is removed", async () => {
    const stop = new AbortController();
    const exec: Exec = async (_file, _args, options: ExecOptions = {}) => {
      options.onStdout?.('{"type":"ADDED","object":{"metadata":{"name":"a","ui');
      stop.abort();
      return { exitCode: -1, stdout: "", stderr: "", interrupted: true, killedBy: "SIGTERM" };
    };
    expect((await watch(exec, stop.signal)).end).toEqual({ kind: "closed" });
    expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
  });

  it("its stop signal ends it closed, its kubectl stopped", async () => {
    const stop = new AbortController();
    const { exec, calls } = scripted([line("ADDED", pod("web-a")), line("ADDED", pod("web-b"))]);
    const watching = watch(exec, stop.signal);
    stop.abort();
    expect((await watching).end).toEqual({ kind: "closed" });
    expect(calls[0]!.aborted).toBe(true);
  });
});
