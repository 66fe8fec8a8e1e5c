/**
 * readPagedList against a scripted kubectl (the continue tokens, the expiry and the timing are what a
 * real API server cannot be made to produce on demand): order, the overlap of two pages, the restart.
 */
import { getEventListeners } from "node:events";
import { describe, expect, it, vi } from "vitest";
import type { Exec, ExecOptions } from "../../../src/adapters/exec.js";
import type { ExecResult } from "../../../src/adapters/exec-result.js";
import { parsedBy } from "../../../src/adapters/json-list-stream.js";
import { listedResources } from "../../../src/adapters/list-request.js";
import type { PageProxy } from "../../../src/adapters/page-proxy.js";
import { readPagedList } from "../../../src/adapters/paged-list.js";
import { decodePod } from "../../../src/adapters/pod-protobuf.js";
import { podPage } from "../../support/protobuf.js";

const tick = () => new Promise((r) => setTimeout(r, 1));

interface Script {
  /** Items of each page, by the continue token that asks for it ("" for the first). */
  pages: Record<string, { items: string[]; next?: string }>;
  /** Tokens answered 410 Expired, as many times as listed. */
  expire?: string[];
  /** Tokens answered with this failure. */
  fail?: Record<string, string>;
  /** Tokens whose kubectl dies with this message after the metadata and one item. */
  breakOff?: Record<string, string>;
}

function scripted(script: Script) {
  const log: { token: string; start: number; end: number; aborted: boolean }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let clock = 0;
  const exec: Exec = async (_file, args, options: ExecOptions = {}) => {
    const uri = new URL(args.at(-1)!, "https://api.invalid");
    const token = uri.searchParams.get("continue") ?? "";
    const entry = { token, start: clock++, end: -1, aborted: false };
    log.push(entry);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const done = (result: Partial<ExecResult>): ExecResult => {
      inFlight--;
      entry.end = clock++;
      return { exitCode: 0, stdout: "", stderr: "", interrupted: false, ...result };
    };
    await tick();
    const expireAt = script.expire?.indexOf(token) ?? -1;
    if (expireAt !== -1) {
      script.expire!.splice(expireAt, 1);
      return done({
        exitCode: 1,
        stderr: "Error from server (Expired): The provided continue parameter is too old\n",
      });
    }
    if (script.fail?.[token]) return done({ exitCode: 1, stderr: script.fail[token] });
    const page = script.pages[token]!;
    // A continued page's resourceVersion differs here, to show which page the list's is taken from.
    const resourceVersion = token === "" ? "7" : `7.${token}`;
    const metadata = page.next ? { resourceVersion, continue: page.next } : { resourceVersion };
    // The API server's order: kind and metadata first, then the items, one chunk each.
    options.onStdout?.(
      `{"kind":"PodList","apiVersion":"v1","metadata":${JSON.stringify(metadata)},"items":[`,
    );
    for (const [i, name] of page.items.entries()) {
      await tick();
      if (options.signal?.aborted) {
        entry.aborted = true;
        return done({ exitCode: 143, interrupted: true });
      }
      if (i === 1 && script.breakOff?.[token]) return done({ exitCode: 1, stderr: script.breakOff[token] });
      options.onStdout?.(`${i ? "," : ""}{"metadata":{"name":"${name}"}}`);
    }
    options.onStdout?.("]}\n");
    return done({});
  };
  return { exec, log, maxInFlight: () => maxInFlight };
}

/**
 * A page proxy over the same script: `via` records which way each page went; after `answers` pages it has
 * gone (the next page never reaches it).
 */
function scriptedProxy(exec: Exec, via: string[], answers = Number.POSITIVE_INFINITY) {
  const events: string[] = [];
  const proxy: PageProxy = {
    get: async (uri, options) => {
      if (answers-- <= 0) {
        via.push("proxy gone");
        return {
          exitCode: 1,
          stdout: "",
          stderr: "error: kubectl proxy: gone\n",
          interrupted: false,
          readByKubectl: true,
          proxyGone: true,
        };
      }
      via.push("proxy");
      return exec("kubectl", ["get", "--raw", uri], options);
    },
    close: () => events.push("closed"),
  };
  return { proxy, events };
}

/** `events` gets each item read (`read a`) and each restart, in order. */
function read(
  script: Script,
  warnings: string[] = [],
  signal?: AbortSignal,
  events: string[] = [],
  startProxy?: (exec: Exec) => Promise<PageProxy | null>,
  resource = "pods",
) {
  const kubectl = scripted(script);
  const result = readPagedList({
    ...(startProxy ? { startProxy: () => startProxy(kubectl.exec) } : {}),
    ...(signal ? { signal } : {}),
    exec: kubectl.exec,
    kubectl: "kubectl",
    connectionArgs: ["--context=prod"],
    resource: listedResources[resource]!,
    name: `get ${resource}`,
    query: {},
    pageSize: 2,
    read: parsedBy((item: { metadata: { name: string } }) => {
      events.push(`read ${item.metadata.name}`);
      return item.metadata.name;
    }),
    warn: (line) => warnings.push(line),
    onRestart: () => events.push("restart"),
    onVersion: (version) => events.push(`version ${version}`),
  });
  return { result, kubectl };
}

const threePages: Script["pages"] = {
  "": { items: ["a", "b"], next: "t1" },
  t1: { items: ["c", "d"], next: "t2" },
  t2: { items: ["e"] },
};

describe("readPagedList", () => {
  it("continued pages go through one proxy, started at the first token and closed at the end", async () => {
    const via: string[] = [];
    let started = 0;
    let closed: string[] = [];
    const { result, kubectl } = read({ pages: threePages }, [], undefined, [], async (exec) => {
      started++;
      const fake = scriptedProxy(exec, via);
      closed = fake.events;
      return fake.proxy;
    });
    expect(await result).toEqual(["a", "b", "c", "d", "e"]);
    expect(kubectl.log.map((l) => l.token)).toEqual(["", "t1", "t2"]);
    expect(via).toEqual(["proxy", "proxy"]);
    expect(started).toBe(1);
    await tick();
    expect(closed).toEqual(["closed"]);
  });

  it("pages through the proxy are read to the same items though it lends each piece in one buffer, overwritten after", async () => {
    const lent = Buffer.alloc(3);
    const { result } = read({ pages: threePages }, [], undefined, [], async (exec) => {
      const { proxy } = scriptedProxy(exec, []);
      return {
        ...proxy,
        get: (uri, options) =>
          proxy.get(uri, {
            ...options,
            // Three bytes at a time: items and strings span pieces, which a stream must copy to keep.
            onStdout: (chunk) => {
              const bytes = Buffer.from(chunk);
              for (let at = 0; at < bytes.length; at += lent.length) {
                const n = bytes.copy(lent, 0, at);
                options.onStdout(lent.subarray(0, n));
                lent.fill("z");
              }
            },
          }),
      };
    });
    expect(await result).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("a proxy that has gone leaves the page it missed, and the rest, to a kubectl each", async () => {
    const via: string[] = [];
    const { result, kubectl } = read(
      { pages: threePages },
      [],
      undefined,
      [],
      async (exec) => scriptedProxy(exec, via, 0).proxy,
    );
    expect(await result).toEqual(["a", "b", "c", "d", "e"]);
    expect(kubectl.log.map((l) => l.token)).toEqual(["", "t1", "t2"]);
    expect(via).toEqual(["proxy gone"]);
  });

  it("a page the proxy leaves to kubectl (throttled: 429 with Retry-After) takes only that page from it", async () => {
    const via: string[] = [];
    let throttled = false;
    const { result, kubectl } = read({ pages: threePages }, [], undefined, [], async (exec) => ({
      get: async (uri, options) => {
        if (!throttled) {
          throttled = true;
          via.push("proxy throttled");
          const answer = { exitCode: 1, stdout: "", stderr: "error: kubectl proxy answered 429\n" };
          return { ...answer, interrupted: false, readByKubectl: true };
        }
        via.push("proxy");
        return exec("kubectl", ["get", "--raw", uri], options);
      },
      close: () => {},
    }));
    expect(await result).toEqual(["a", "b", "c", "d", "e"]);
    expect(kubectl.log.map((l) => l.token)).toEqual(["", "t1", "t2"]);
    expect(via).toEqual(["proxy throttled", "proxy"]);
  });

  it("a list of one page starts no proxy", async () => {
    let started = 0;
    const { result } = read({ pages: { "": { items: ["a"] } } }, [], undefined, [], async () => {
      started++;
      return null;
    });
    expect(await result).toEqual(["a"]);
    expect(started).toBe(0);
  });

  it("follows the tokens, keeps the order, and starts the next page while the current one streams", async () => {
    const { result, kubectl } = read({ pages: threePages });
    expect(await result).toEqual(["a", "b", "c", "d", "e"]);
    expect(kubectl.log.map((l) => l.token)).toEqual(["", "t1", "t2"]);
    // Page 2 started before page 1 ended, and never more than two at once.
    expect(kubectl.log[1]!.start).toBeLessThan(kubectl.log[0]!.end);
    expect(kubectl.maxInFlight()).toBe(2);
  });

  it("an expired token restarts from the first page once, with a warning; nothing read twice", async () => {
    const warnings: string[] = [];
    const events: string[] = [];
    const { result, kubectl } = read({ pages: threePages, expire: ["t2"] }, warnings, undefined, events);
    expect(await result).toEqual(["a", "b", "c", "d", "e"]);
    expect(kubectl.log.map((l) => l.token)).toEqual(["", "t1", "t2", "", "t1", "t2"]);
    // The reader is told before the first page is read again (a count of items read starts over).
    // The list's resourceVersion (a watch's start) is told again from the new first page.
    expect(events.slice(events.indexOf("restart"))).toEqual([
      "restart",
      "version 7",
      ...["a", "b", "c", "d", "e"].map((n) => `read ${n}`),
    ]);
    expect(events.filter((e) => e.startsWith("version"))).toEqual(["version 7", "version 7"]);
    expect(events.filter((e) => e === "restart")).toHaveLength(1);
    expect(warnings).toEqual([
      "the get pods list took longer than the API server keeps its continue token (410 Expired after 4 read); read it again from the start",
    ]);
  });

  it("a second expiry is the error: the list named, and what to do other than what was done", async () => {
    const { result } = read({ pages: threePages, expire: ["t1", "t1"] });
    await expect(result).rejects.toThrow(
      /^the get pods list took longer than the API server keeps its continue token again, read from the start \(410 Expired after 2 read\): narrow it with -n, -l or --field-selector, or run closer to the API server$/,
    );
  });

  it("a second expiry of a list the selectors do not narrow says -n alone", async () => {
    const script = { pages: threePages, expire: ["t1", "t1"] };
    const { result } = read(script, [], undefined, [], undefined, "replicasets.apps");
    await expect(result).rejects.toThrow(
      /^the get replicasets.apps list .*: narrow it with -n, or run closer/,
    );
  });

  it("any other failure is not retried: one line", async () => {
    const { result, kubectl } = read({
      pages: threePages,
      fail: {
        t1: 'Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods"\n',
      },
    });
    await expect(result).rejects.toThrow(
      /^kubectl get failed: Error from server \(Forbidden\): pods is forbidden: User "jane" cannot list resource "pods"$/,
    );
    expect(kubectl.log.map((l) => l.token)).toEqual(["", "t1"]);
  });

  it("NotFound for a built-in list: the request went elsewhere, and the known cause is said", async () => {
    // kubectl before 1.34 leaves a server URL's path (…/k8s/clusters/c-1) out of `get --raw`.
    const { result } = read({
      pages: threePages,
      fail: { "": "Error from server (NotFound): the server could not find the requested resource\n" },
    });
    await expect(result).rejects.toThrow(
      /^kubectl get failed: Error from server \(NotFound\): .*; if your kubeconfig's server URL has a path .* use kubectl 1\.34 or newer$/,
    );
  });

  it("a page cut off after its token fails the list, and the next page, already started, is stopped", async () => {
    const pages = { ...threePages, t2: { items: ["e", "f", "g", "h", "i", "j"] } };
    const { result, kubectl } = read({ pages, breakOff: { t1: "error: unexpected EOF\n" } });
    await expect(result).rejects.toThrow(/^kubectl get failed: error: unexpected EOF$/);
    // Stopped once the list has failed: waited for as a condition, not a time.
    await vi.waitFor(() =>
      expect(kubectl.log.map((l) => [l.token, l.aborted])).toEqual([
        ["", false],
        ["t1", false],
        ["t2", true],
      ]),
    );
  });

  it("the first page's failure is never taken for an expired token", async () => {
    const { result, kubectl } = read({ pages: threePages, expire: [""] });
    await expect(result).rejects.toThrow(/Expired/);
    expect(kubectl.log).toHaveLength(1);
  });

  it("an interrupt stops the pages in flight and starts no other; a finished list leaves no listener behind", async () => {
    const interrupt = new AbortController();
    const { result, kubectl } = read({ pages: threePages }, [], interrupt.signal);
    interrupt.abort();
    await expect(result).rejects.toThrow();
    expect(kubectl.log.some((l) => l.aborted)).toBe(true);
    expect(kubectl.log.map((l) => l.token)).not.toContain("t2");

    const quiet = new AbortController();
    expect(await read({ pages: threePages }, [], quiet.signal).result).toEqual(["a", "b", "c", "d", "e"]);
    expect(getEventListeners(quiet.signal, "abort")).toEqual([]);
  });
});

describe("pages served as protobuf", () => {
  /** The scripted pages through a proxy that serves the continued ones as protobuf when asked for it. */
  async function readBoth(servesProtobuf: boolean) {
    const kubectl = scripted({ pages: threePages });
    const accepted: (string | undefined)[] = [];
    const readAs: string[] = [];
    const proxy: PageProxy = {
      get: async (uri, options) => {
        accepted.push(options.accept);
        const token = new URL(uri, "https://api.invalid").searchParams.get("continue") ?? "";
        if (!servesProtobuf) {
          options.onContentType?.("application/json");
          return kubectl.exec("kubectl", ["get", "--raw", uri], options);
        }
        options.onContentType?.("application/vnd.kubernetes.protobuf");
        const page = threePages[token]!;
        const body = podPage(page.items, `7.${token}`, page.next);
        // Split inside an item: the stream carries the rest over.
        options.onStdout(body.subarray(0, body.length - 3));
        options.onStdout(body.subarray(body.length - 3));
        return { exitCode: 0, stdout: "", stderr: "", interrupted: false };
      },
      close: () => {},
    };
    const names = await readPagedList({
      startProxy: async () => proxy,
      exec: kubectl.exec,
      kubectl: "kubectl",
      connectionArgs: [],
      resource: listedResources["pods"]!,
      name: "get pods",
      query: {},
      pageSize: 2,
      read: parsedBy((item: { metadata: { name: string } }) => {
        readAs.push("json");
        return item.metadata.name;
      }),
      readProtobuf: (bytes, start, end) => {
        readAs.push("protobuf");
        return decodePod(bytes, start, end).metadata.name;
      },
    });
    return { names, accepted, readAs };
  }

  it("the proxy is asked for protobuf first; what it serves as protobuf is read as protobuf", async () => {
    const { names, accepted, readAs } = await readBoth(true);
    expect(names).toEqual(["a", "b", "c", "d", "e"]);
    expect(accepted).toEqual([
      "application/vnd.kubernetes.protobuf, application/json",
      "application/vnd.kubernetes.protobuf, application/json",
    ]);
    // The first page is kubectl get --raw's JSON (the pages overlap: read in any order).
    expect(readAs.sort()).toEqual(["json", "json", "protobuf", "protobuf", "protobuf"]);
  });

  it("an API server that serves JSON instead is read as JSON", async () => {
    const { names, readAs } = await readBoth(false);
    expect(names).toEqual(["a", "b", "c", "d", "e"]);
    expect(readAs).toEqual(["json", "json", "json", "json", "json"]);
  });
});
