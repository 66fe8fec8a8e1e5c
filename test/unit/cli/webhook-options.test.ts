/**
 * Where apply's webhook URL comes from (flag, file, environment) and how a bad one is refused: every
 * message names where the URL came from, never the URL (it is a secret).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseApplyOptions } from "../../../src/cli/options.js";
import { parseWebhookOptions } from "../../../src/cli/webhook-options.js";
import { proxyFor } from "../../../src/core/proxy.js";
import { UsageError } from "../../../src/errors.js";

const url = "https://hooks.example.com/services/T0001/B0002/s3cr3tT0k3n";
const other = "https://other.example.com/hook/t0k3n-two";
const env = "KUBECTL_AUTOUPDATE_WEBHOOK_URL";

function urlFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), "kau-unit-webhook-"));
  const path = join(dir, "url");
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

/** The UsageError's message, checked not to quote any URL given. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).not.toContain("s3cr3t");
    expect(message).not.toContain("t0k3n");
    expect(message).not.toContain("hooks.example.com");
    return message;
  }
  throw new Error("not refused");
}

describe("where the URL comes from", () => {
  it("none configured: no webhook", () => {
    expect(parseWebhookOptions({}, {})).toBeUndefined();
    expect(parseApplyOptions({}, {})).not.toHaveProperty("webhook");
  });

  it("the variable set but empty (a --webhook-secret Secret whose url is empty) is refused, as an empty flag is, not taken for none", () => {
    expect(() => parseWebhookOptions({}, { [env]: "" })).toThrow(
      new UsageError(
        `$${env} is set but empty: set it to the webhook's URL (under install-cron, the url key of its --webhook-secret Secret), or unset it`,
      ),
    );
    expect(() => parseWebhookOptions({ webhookUrl: "" }, {})).toThrow(/--webhook-url is not one URL/);
  });

  it("the environment, a file, the flag; the flag wins over the environment", () => {
    expect(parseWebhookOptions({}, { [env]: url })).toMatchObject({ url: new URL(url), timeoutMs: 10_000 });
    expect(parseWebhookOptions({ webhookUrlFile: urlFile(`${url}\n`) }, {})?.url.href).toBe(url);
    expect(parseWebhookOptions({ webhookUrl: other }, { [env]: url })?.url.href).toBe(other);
    expect(parseWebhookOptions({ webhookUrlFile: urlFile(other) }, { [env]: url })?.url.href).toBe(other);
    expect(parseApplyOptions({ webhookTimeout: "2s" }, { [env]: url }).webhook).toMatchObject({
      url: new URL(url),
      timeoutMs: 2000,
    });
  });

  it("goes through the environment's proxy; one it cannot use is refused before anything runs", () => {
    const target = parseWebhookOptions({}, { [env]: url, HTTPS_PROXY: "proxy.example:3128" });
    expect(target && proxyFor(target.proxy, target.url)?.host).toBe("proxy.example:3128");
    const noProxy = parseWebhookOptions(
      {},
      { [env]: url, HTTPS_PROXY: "proxy.example:3128", NO_PROXY: ".example.com" },
    );
    expect(noProxy && proxyFor(noProxy.proxy, noProxy.url)).toBeNull();
    expect(refusal(() => parseWebhookOptions({}, { [env]: url, https_proxy: "proxy example:3128" }))).toBe(
      "https_proxy: not a proxy address (want http://HOST:PORT)",
    );
  });

  it("the flag and the file together are refused", () => {
    expect(refusal(() => parseWebhookOptions({ webhookUrl: url, webhookUrlFile: urlFile(url) }, {}))).toBe(
      "give --webhook-url or --webhook-url-file, not both",
    );
  });
});

describe("a bad URL is refused without being quoted", () => {
  it.each([
    ["not a URL", `hooks.example.com/s3cr3tT0k3n`, "--webhook-url is not a URL"],
    ["another scheme", `ftp://hooks.example.com/s3cr3tT0k3n`, "--webhook-url must be an https (or http) URL"],
    [
      "credentials in it",
      `https://user:s3cr3t@hooks.example.com/x`,
      "--webhook-url must not carry a user name or password",
    ],
    ["two URLs", `${url} ${other}`, "--webhook-url is not one URL"],
    ["empty", "", "--webhook-url is not one URL"],
  ])("%s", (_, value, message) => {
    expect(refusal(() => parseWebhookOptions({ webhookUrl: value }, {}))).toBe(message);
  });

  it("from the environment or a file, the message names that source", () => {
    expect(refusal(() => parseWebhookOptions({}, { [env]: "s3cr3t t0k3n" }))).toBe(
      "$KUBECTL_AUTOUPDATE_WEBHOOK_URL is not one URL",
    );
    const file = urlFile(`${url}\n${other}\n`);
    expect(refusal(() => parseWebhookOptions({ webhookUrlFile: file }, {}))).toBe(
      `the URL in --webhook-url-file ${file} is not one URL`,
    );
    expect(refusal(() => parseWebhookOptions({ webhookUrlFile: "/nonexistent/url" }, {}))).toBe(
      "cannot read --webhook-url-file: no such file",
    );
  });

  it("a URL given to --webhook-url-file (where its file belongs) is refused without being quoted", () => {
    const given = "https://hooks.slack.com/services/T0001/B0002/s3cr3tT0k3n";
    const message = refusal(() => parseWebhookOptions({ webhookUrlFile: given }, {}));
    expect(message).toBe(
      "--webhook-url-file takes a file holding the URL and was given a URL: put it in $KUBECTL_AUTOUPDATE_WEBHOOK_URL, or in a file",
    );
    const schemeless = "hooks.slack.com/services/T0001/B0002/s3cr3tT0k3n";
    expect(refusal(() => parseWebhookOptions({ webhookUrlFile: schemeless }, {}))).toBe(
      "cannot read --webhook-url-file: no such file",
    );
  });

  it("--webhook-timeout must be a positive duration", () => {
    expect(refusal(() => parseWebhookOptions({ webhookTimeout: "0s" }, {}))).toBe(
      "--webhook-timeout must be longer than 0",
    );
    expect(refusal(() => parseWebhookOptions({ webhookTimeout: "1000h" }, {}))).toBe(
      "--webhook-timeout must be at most 596h, not 1000h",
    );
  });
});
