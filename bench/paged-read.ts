/**
 * The least a plan's pod list can cost: the same pages the plugin reads, the next page started as soon as
 * the current page's continue token has arrived (at most two at once, as the plugin does), every byte read
 * and dropped. "Merely reading the same pods from the same source." Each page by a `kubectl get --raw` of
 * its own, or, `viaProxy`, as the plugin reads them: the first so, the rest through the plugin's own page
 * proxy (src/adapters/page-proxy.ts), asked for as protobuf first. A protobuf page's framing is read up to
 * its continue token; every other byte is only counted.
 */
import { spawn } from "node:child_process";
import { createExec, type Exec } from "../src/adapters/exec.js";
import { startPageProxy } from "../src/adapters/page-proxy.js";
import { isProtobufType, ProtobufListStream, protobufFirst } from "../src/adapters/protobuf-list-stream.js";

export interface PagedRead {
  seconds: number;
  pages: number;
  bytes: number;
}

interface PageRead {
  token: Promise<string | null>;
  done: Promise<number>;
}

export async function pagedRead(
  kubectl: string,
  env: NodeJS.ProcessEnv,
  path: string,
  pageSize: number,
  viaProxy = false,
): Promise<PagedRead> {
  const t0 = process.hrtime.bigint();
  let pages = 0;
  let bytes = 0;
  let proxy: Proxy | null = null;
  const first = `${path}${path.includes("?") ? "&" : "?"}limit=${pageSize}`;
  let current = readPage(kubectl, env, first);
  try {
    for (;;) {
      pages++;
      const token = await current.token;
      let next: PageRead | null = null;
      if (token) {
        const uri = `${first}&continue=${encodeURIComponent(token)}`;
        if (viaProxy) proxy ??= await startProxy(kubectl, env);
        next = proxy ? proxy.read(uri) : readPage(kubectl, env, uri);
      }
      bytes += await current.done;
      if (!next) break;
      current = next;
    }
  } finally {
    proxy?.stop();
  }
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, pages, bytes };
}

interface Proxy {
  read(uri: string): PageRead;
  stop(): void;
}

async function startProxy(kubectl: string, env: NodeJS.ProcessEnv): Promise<Proxy> {
  const run = createExec();
  const exec: Exec = (file, args, options = {}) =>
    run(file, args, { ...options, env: { ...env, ...options.env } });
  const proxy = await startPageProxy({ plural: "pods", exec, kubectl, connectionArgs: [] });
  if (!proxy) throw new Error("kubectl proxy did not start");
  return {
    read: (uri) => {
      const page = scanned();
      // As the plugin asks for its pods: protobuf first, which a real API server (and the fake) serves.
      const options = {
        signal: new AbortController().signal,
        onStdout: page.chunk,
        accept: protobufFirst,
        onContentType: page.contentType,
      };
      void proxy.get(uri, options).then((result) => {
        if (result.exitCode === 0) page.end();
        else page.fail(new Error(`kubectl proxy ${uri}: ${result.stderr.trim()}`));
      });
      return page;
    },
    stop: () => proxy.close(),
  };
}

/** A page's continue token, read off its head, and its byte count. */
function scanned() {
  let head: string | null = "";
  /** Served as protobuf: its framing read up to the List's metadata. */
  let framing: ProtobufListStream | null = null;
  let bytes = 0;
  let found: (token: string | null) => void = () => {};
  const token = new Promise<string | null>((resolve) => {
    found = resolve;
  });
  let ended: (bytes: number) => void = () => {};
  let failed: (error: Error) => void = () => {};
  const done = new Promise<number>((resolve, reject) => {
    ended = resolve;
    failed = reject;
  });
  // A page that fails while the one before it is still read is reported when its turn comes.
  done.catch(() => {});
  return {
    token,
    done,
    contentType: (type: string) => {
      if (!isProtobufType(type)) return;
      framing = new ProtobufListStream(
        () => {},
        (metadata) => {
          found(metadata.continue || null);
          head = null;
        },
      );
    },
    chunk: (chunk: Buffer | string) => {
      bytes += chunk.length;
      if (head === null) return;
      if (framing) {
        framing.write(chunk);
        return;
      }
      head +=
        typeof chunk === "string"
          ? chunk.slice(0, 4096)
          : chunk.toString("latin1", 0, Math.min(chunk.length, 4096));
      // The List's metadata comes before its items.
      const items = head.indexOf('"items":');
      if (items !== -1 || head.length > 65536) {
        found(/"continue":"([^"]+)"/.exec(head.slice(0, items === -1 ? undefined : items))?.[1] ?? null);
        head = null;
      }
    },
    end: () => {
      found(null);
      ended(bytes);
    },
    fail: (error: Error) => {
      found(null);
      failed(error);
    },
  };
}

function readPage(kubectl: string, env: NodeJS.ProcessEnv, uri: string): PageRead {
  const child = spawn(kubectl, ["get", "--raw", uri], { env, stdio: ["ignore", "pipe", "pipe"] });
  const page = scanned();
  let stderr = "";
  child.stdout.on("data", page.chunk);
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.on("error", page.fail);
  child.on("close", (code) => {
    if (code === 0) page.end();
    else page.fail(new Error(`kubectl get --raw ${uri}: exit ${code}: ${stderr.trim()}`));
  });
  return page;
}
