/**
 * The least a plan's pod list can cost: the same `kubectl get --raw` pages the plugin reads, the next
 * page started as soon as the current page's continue token has arrived (at most two at once, as the
 * plugin does), every byte read and dropped. "Merely reading the same pods from the same source."
 */
import { spawn } from "node:child_process";

export interface PagedRead {
  seconds: number;
  pages: number;
  bytes: number;
}

export async function pagedRead(
  kubectl: string,
  env: NodeJS.ProcessEnv,
  path: string,
  pageSize: number,
): Promise<PagedRead> {
  const t0 = process.hrtime.bigint();
  let pages = 0;
  let bytes = 0;
  const first = `${path}${path.includes("?") ? "&" : "?"}limit=${pageSize}`;
  let current = readPage(kubectl, env, first);
  for (;;) {
    pages++;
    const token = await current.token;
    const next = token ? readPage(kubectl, env, `${first}&continue=${encodeURIComponent(token)}`) : null;
    bytes += await current.done;
    if (!next) break;
    current = next;
  }
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, pages, bytes };
}

function readPage(kubectl: string, env: NodeJS.ProcessEnv, uri: string) {
  const child = spawn(kubectl, ["get", "--raw", uri], { env, stdio: ["ignore", "pipe", "pipe"] });
  let head: string | null = "";
  let found: (token: string | null) => void = () => {};
  const token = new Promise<string | null>((resolve) => {
    found = resolve;
  });
  let bytes = 0;
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    if (head === null) return;
    head += chunk.toString("latin1", 0, Math.min(chunk.length, 4096));
    // The List's metadata comes before its items.
    const items = head.indexOf('"items":');
    if (items !== -1 || head.length > 65536) {
      found(/"continue":"([^"]+)"/.exec(head.slice(0, items === -1 ? undefined : items))?.[1] ?? null);
      head = null;
    }
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      found(null);
      if (code === 0) resolve(bytes);
      else reject(new Error(`kubectl get --raw ${uri}: exit ${code}: ${stderr.trim()}`));
    });
  });
  // A page that fails while the one before it is still read is reported when its turn comes.
  done.catch(() => {});
  return { token, done };
}
