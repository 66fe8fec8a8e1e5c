/**
 * A list read page by page, as the API server serves it: one `kubectl get --raw` per page (`limit`, then
 * `continue`), each page's items read by `read` as they stream in. kubectl's --raw copies the response
 * body to stdout as it arrives, so neither kubectl nor this process ever holds more than the slim items.
 *
 * The next page's kubectl starts as soon as the current page's continue token is read (the API server
 * sends the List's metadata before its items), so its start-up overlaps the current page's transfer; at
 * most two pages are in flight. A continue token that expired (410 Gone) restarts the list once from the
 * first page: the items read so far are dropped, none is read twice.
 */
import { ToolFailedError } from "../errors.js";
import type { Exec } from "./exec.js";
import type { ExecResult } from "./exec-result.js";
import { type ItemReader, JsonListStream, type Shape } from "./json-list-stream.js";
import { kubectlFailure } from "./kubectl-errors.js";
import {
  continueTokenOf,
  isExpiredContinue,
  type ListedResource,
  type PageQuery,
  pageUri,
  resourceVersionOf,
} from "./list-request.js";

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
}

/** Reads every page; restarts once when a continue token expired. */
export async function readPagedList<T>(request: PagedListRequest<T>): Promise<T[]> {
  try {
    return await readAllPages(request);
  } catch (error) {
    if (!(error instanceof ContinueExpired)) throw error;
    request.warn?.(
      `the ${request.name} list took longer than the API server keeps its continue token (410 Expired ` +
        `after ${error.itemsRead} read); read it again from the start`,
    );
    request.onRestart?.();
  }
  try {
    return await readAllPages(request);
  } catch (error) {
    throw error instanceof ContinueExpired ? error.failure : error;
  }
}

class ContinueExpired extends Error {
  constructor(
    readonly failure: ToolFailedError,
    readonly itemsRead: number,
  ) {
    super(failure.message);
  }
}

async function readAllPages<T>(request: PagedListRequest<T>): Promise<T[]> {
  const items: T[] = [];
  let page = startPage(request, undefined);
  for (;;) {
    const token = await page.continueToken;
    const next = token === null ? null : startPage(request, token);
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

function startPage<T>(request: PagedListRequest<T>, continueToken: string | undefined): Page<T> {
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
  const stream = new JsonListStream(
    (text, apart) => items.push(request.read(text, apart)),
    (metadata) => {
      const version = continueToken === undefined ? resourceVersionOf(metadata) : null;
      if (version !== null) request.onVersion?.(version);
      foundToken(continueTokenOf(metadata));
    },
    request.shape,
  );
  const run = request.exec(request.kubectl, [...request.connectionArgs, "get", "--raw", uri], {
    signal: controller.signal,
    onStdout: (chunk) => {
      if (broken !== undefined) return;
      try {
        stream.write(chunk, true);
      } catch (error) {
        broken = error;
        controller.abort();
      }
    },
  });
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
  stream: JsonListStream,
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
    return new ToolFailedError(`kubectl ${name} printed malformed JSON`);
  }
}

/**
 * Every list read here is of a built-in resource, which the API server always serves: a NotFound means the
 * request went elsewhere. The known way: a server URL with a path (a proxy such as Rancher's), which
 * kubectl before 1.34 leaves out of `get --raw` (kubernetes/kubectl#1676).
 */
const pathDropped =
  "; if your kubeconfig's server URL has a path (a proxy such as Rancher's), kubectl before 1.34 leaves it out of raw requests: use kubectl 1.34 or newer";
