/** A webhook endpoint on loopback for a test file: every body posted to it, kept in order. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach } from "vitest";

export interface WebhookReceiver {
  /** Its URL, once the file's tests begin. */
  url: URL;
  /** The bodies posted during the current test. */
  posts: string[];
}

/** Starts the endpoint before the file's tests, empties what it kept before each, stops it after them. */
export function webhookReceiver(): WebhookReceiver {
  const receiver = { url: new URL("http://127.0.0.1/"), posts: [] as string[] };
  let server: Server;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        receiver.posts.push(body);
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    receiver.url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    receiver.posts.length = 0;
  });
  return receiver;
}
