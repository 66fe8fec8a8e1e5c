/**
 * A list read page by page, as the API server serves it (`limit`, then `continue`), each page's items read
 * by `read` as they stream in: the first page by `kubectl get --raw`, which copies the response body to
 * stdout as it arrives, and the pages after it through one `kubectl proxy` (page-proxy.ts) when one can be
 * started (as protobuf, read by `readProtobuf`, where the caller has one), else each by a `kubectl get --raw`
 * of its own. Neither kubectl nor this process ever holds more than the slim items.
 *
 * The next page starts as soon as the current page's continue token is read (the API server sends the
 * List's metadata before its items), so it overlaps the current page's transfer; at most two pages are in
 * flight. A continue token that expired (410 Gone) restarts the list once from the first page: the items
 * read so far are dropped, none is read twice.
 */
import { ToolFailedError } from "../errors.js";
import type { Exec } from "./exec.js";
import type { ExecResult } from "./exec-result.js";
import { type ChunkUse, type ItemReader, JsonListStream, type Shape } from "./json-list-stream.js";
import { kubectlFailure } from "./kubectl-errors.js";
import {
  continueTokenOf,
  isExpiredContinue,
  type ListedResource,
  listedResources,
  type PageQuery,
  pageUri,
  resourceVersionOf,
} from "./list-request.js";
import type { PageProxy } from "./page-proxy.js";
import {
  isProtobufType,
  type ProtobufItemReader,
  ProtobufListStream,
  protobufFirst,
} from "./protobuf-list-stream.js";

/** Items per page. The plan's memory does not depend on it (pages stream); see README "Cost". */
export const defaultPageSize = 2000;

export interface PagedListRequest<T> {
  exec: Exec;
  kubectl: string;
  /** The connection flags, first on every call. */
  connectionArgs: readonly string[];
  resource: ListedResource;
  /** `kubectl get RESOURCE`, for messages. */
  name: string;
  query: Omit<PageQuery, "continueToken" | "limit">;
  pageSize?: number;
  /** What of each item is kept (every other member is removed); all but managedFields when not given. */
  shape?: Shape;
  read: ItemReader<T>;
  /**
   * Reads an item served as protobuf: given, the pages through the proxy ask for protobuf first (built-in
   * kinds only), a third of the JSON's bytes, whose unread fields need no scan (protobuf-list-stream.ts).
   */
  readProtobuf?: ProtobufItemReader<T>;
  warn?: (line: string) => void;
  /**
   * The list's resourceVersion, from its first page (continued pages keep it): where a watch of the same
   * objects starts. Told again when the list restarts.
   */
  onVersion?: (resourceVersion: string) => void;
  /** The list starts again from its first page: every item read so far is dropped. */
  onRestart?: () => void;
  /** Stops the pages in flight (SIGTERM reaches this process only, not its kubectl children). */
  signal?: AbortSignal;
  /** Starts the proxy that serves the continued pages; without one, each page is a kubectl of its own. */
  startProxy?: (signal?: AbortSignal) => Promise<PageProxy | null>;
}

/** Reads every page; restarts once when a continue token expired. */
export async function readPagedList<T>(request: PagedListRequest<T>): Promise<T[]> {
  const { startProxy, signal } = request;
  const proxy = proxyOnDemand(startProxy && (() => startProxy(signal)));
  try {
    return await readListTwice(request, proxy);
  } finally {
    proxy.close();
  }
}

async function readListTwice<T>(request: PagedListRequest<T>, proxy: ProxyOnDemand): Promise<T[]> {
  try {
    return await readAllPages(request, proxy);
  } catch (error) {
    if (!(error instanceof ContinueExpired)) throw error;
    request.warn?.(
      `the ${request.name} list took longer than the API server keeps its continue token (410 Expired ` +
        `after ${error.itemsRead} read); read it again from the start`,
    );
    request.onRestart?.();
  }
  try {
    return await readAllPages(request, proxy);
  } catch (error) {
    if (!(error instanceof ContinueExpired)) throw error;
    // kubectl's own advice, to start a new list, is what was just done. Only the pods' list takes the
    // selectors; the others are narrowed by namespace alone.
    const narrowers = request.resource === listedResources.pods ? "-n, -l or --field-selector" : "-n";
    throw new ToolFailedError(
      `the ${request.name} list took longer than the API server keeps its continue token again, read from ` +
        `the start (410 Expired after ${error.itemsRead} read): narrow it with ${narrowers}, or run closer ` +
        "to the API server",
    );
  }
}

/** The proxy, started when the first continued page needs it; none once it stopped answering. */
interface ProxyOnDemand {
  get(): Promise<PageProxy | null>;
  lost(): void;
  close(): void;
}

function proxyOnDemand(start: (() => Promise<PageProxy | null>) | undefined): ProxyOnDemand {
  let started: Promise<PageProxy | null> | undefined;
  let lost = false;
  return {
    get: () => {
      if (lost || !start) return Promise.resolve(null);
      started ??= start().catch(() => null);
      return started;
    },
    lost: () => {
      lost = true;
    },
    close: () => void started?.then((proxy) => proxy?.close()),
  };
}

class ContinueExpired extends Error {
  constructor(
    readonly failure: ToolFailedError,
    readonly itemsRead: number,
  ) {
    super(failure.message);
  }
}

async function readAllPages<T>(request: PagedListRequest<T>, proxy: ProxyOnDemand): Promise<T[]> {
  const items: T[] = [];
  let page = startPage(request, undefined, null);
  for (;;) {
    const token = await page.continueToken;
    const next = token === null ? null : startPage(request, token, await proxy.get(), proxy.lost);
    const failure = await page.ended;
    if (failure) {
      next?.abort();
      if (failure instanceof ContinueExpired) throw new ContinueExpired(failure.failure, items.length);
      throw failure;
    }
    for (const item of page.items) items.push(item);
    if (!next) return items;
    page = next;
  }
}

interface Page<T> {
  items: T[];
  /** The next page's token as soon as this page's metadata is read; null on the last page or a failure. */
  continueToken: Promise<string | null>;
  /** Settles when kubectl ended and its output was read: null, or why the page failed (never rejects). */
  ended: Promise<Error | null>;
  abort(): void;
}

function startPage<T>(
  request: PagedListRequest<T>,
  continueToken: string | undefined,
  proxy: PageProxy | null,
  proxyLost: () => void = () => {},
): Page<T> {
  const uri = pageUri(request.resource, {
    ...request.query,
    limit: request.pageSize ?? defaultPageSize,
    ...(continueToken ? { continueToken } : {}),
  });
  const items: T[] = [];
  const controller = new AbortController();
  const stop = () => controller.abort();
  request.signal?.addEventListener("abort", stop, { once: true });
  if (request.signal?.aborted) stop();
  let foundToken: (token: string | null) => void = () => {};
  const token = new Promise<string | null>((resolve) => {
    foundToken = resolve;
  });
  let broken: unknown;
  const onMetadata = (metadata: unknown) => {
    const version = continueToken === undefined ? resourceVersionOf(metadata) : null;
    if (version !== null) request.onVersion?.(version);
    foundToken(continueTokenOf(metadata));
  };
  let stream: ListStream = new JsonListStream(
    (text, apart) => items.push(request.read(text, apart)),
    onMetadata,
    request.shape,
  );
  const { readProtobuf } = request;
  // The proxy says which it served (an API server may serve a kind as JSON only): the stream follows.
  const onContentType = (type: string) => {
    if (readProtobuf && isProtobufType(type)) {
      stream = new ProtobufListStream(
        (bytes, start, end) => items.push(readProtobuf(bytes, start, end)),
        onMetadata,
      );
    }
  };
  // kubectl's output is handed over; the proxy's pages are lent (page-proxy.ts).
  const write = (chunk: Buffer | string, use: ChunkUse) => {
    if (broken !== undefined) return;
    try {
      stream.write(chunk, use);
    } catch (error) {
      broken = error;
      controller.abort();
    }
  };
  const onStdout = (chunk: Buffer | string) => write(chunk, "handed-over");
  const viaKubectl = () =>
    request.exec(request.kubectl, [...request.connectionArgs, "get", "--raw", uri], {
      signal: controller.signal,
      onStdout,
    });
  const run = proxy
    ? proxy
        .get(uri, {
          signal: controller.signal,
          onStdout: (chunk) => write(chunk, "lent"),
          ...(readProtobuf ? { accept: protobufFirst, onContentType } : {}),
        })
        .then((result) => {
          if (!result.readByKubectl) return result;
          // Throttled, or the proxy's own failure to reach the server: kubectl retries this page, and the
          // proxy serves the next one. Only a proxy that no longer answers leaves every page to kubectl.
          if (result.proxyGone) proxyLost();
          return viaKubectl();
        })
    : viaKubectl();
  run.finally(() => request.signal?.removeEventListener("abort", stop)).catch(() => {});
  const ended = run.then(
    (result) => {
      const failure = pageFailure(result, stream, broken, request.name, continueToken !== undefined);
      foundToken(null);
      return failure;
    },
    (error: unknown) => {
      foundToken(null);
      return error instanceof Error ? error : new Error(String(error));
    },
  );
  return { items, continueToken: token, ended, abort: () => controller.abort() };
}

/** Why a page is unusable, or null: kubectl's error first, then what it printed. */
function pageFailure(
  result: ExecResult,
  stream: ListStream,
  broken: unknown,
  name: string,
  continued: boolean,
): Error | null {
  if (broken instanceof ToolFailedError) return broken;
  if (result.exitCode !== 0 && broken === undefined) {
    const failure = kubectlFailure(result, "kubectl get");
    if (continued && isExpiredContinue(result.stderr)) return new ContinueExpired(failure, 0);
    return /\(NotFound\)/.test(result.stderr)
      ? new ToolFailedError(`${failure.message}${pathDropped}`)
      : failure;
  }
  try {
    if (broken !== undefined) throw broken;
    stream.end();
    return null;
  } catch {
    return new ToolFailedError(
      stream instanceof ProtobufListStream
        ? `kubectl proxy served a malformed protobuf page for kubectl ${name}`
        : `kubectl ${name} printed malformed JSON`,
    );
  }
}

/** A page's reader, whichever the API server served. */
interface ListStream {
  write(chunk: Buffer | string, use?: ChunkUse): void;
  end(): void;
}

/**
 * Every list read here is of a built-in resource, which the API server always serves: a NotFound means the
 * request went elsewhere. The known way: a server URL with a path (a proxy such as Rancher's), which
 * kubectl before 1.34 leaves out of `get --raw` (kubernetes/kubectl#1676).
 */
const pathDropped =
  "; if your kubeconfig's server URL has a path (a proxy such as Rancher's), kubectl before 1.34 leaves it out of raw requests: use kubectl 1.34 or newer";
