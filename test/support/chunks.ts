import type { ChunkUse, JsonListStream } from "../../src/adapters/json-list-stream.js";

/** Every way a stream can be handed its chunks. */
export const chunkUses: readonly ChunkUse[] = ["copy", "handed-over", "lent"];

/**
 * Writes `bytes` to a list stream in chunks of `size` bytes (or of the sizes it gives): the caller's,
 * handed over, or lent through one buffer that is overwritten once each call returns, as the page proxy
 * reads.
 */
export function writeInChunks(
  stream: JsonListStream,
  bytes: Buffer,
  size: number | (() => number),
  use: ChunkUse,
): void {
  const next = typeof size === "number" ? () => size : size;
  let lent = Buffer.alloc(0);
  for (let i = 0; i < bytes.length; ) {
    const chunk = bytes.subarray(i, i + next());
    i += chunk.length;
    if (use === "copy") stream.write(chunk);
    else if (use === "handed-over") stream.write(Buffer.from(chunk), use);
    else {
      if (lent.length < chunk.length) lent = Buffer.alloc(chunk.length);
      stream.write(lent.subarray(0, chunk.copy(lent)), use);
      lent.fill("}");
    }
  }
}
