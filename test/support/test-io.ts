/** An Io for tests that run a command in process: streams nobody reads unless given, no environment. */
import { PassThrough } from "node:stream";
import type { Io } from "../../src/io.js";

export function testIo(overrides: Partial<Io> = {}): Io {
  return {
    stdout: new PassThrough() as unknown as NodeJS.WriteStream,
    stderr: new PassThrough() as unknown as NodeJS.WriteStream,
    stdin: new PassThrough() as unknown as NodeJS.ReadStream,
    env: {},
    home: "/home/tester",
    hostname: "test-host",
    signal: new AbortController().signal,
    ...overrides,
  };
}
