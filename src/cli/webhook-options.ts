/**
 * Where apply posts its RunReport: --webhook-url, --webhook-url-file or $KUBECTL_AUTOUPDATE_WEBHOOK_URL (the
 * CronJob's way: a Secret injected as that variable). The URL is a secret, so no message here ever quotes
 * it — only where it came from.
 */

import { readWebhookUrlFile } from "../adapters/webhook-url-file.js";
import type { WebhookTarget } from "../commands/apply.js";
import { webhookUrlEnv } from "../cron/core/job-contract.js";
import { UsageError } from "../errors.js";
import { defaults } from "./defaults.js";
import { timerDuration } from "./duration.js";
import { parseProxyEnvironment } from "./proxy-environment.js";

export interface RawWebhookFlags {
  webhookUrl?: string;
  webhookUrlFile?: string;
  webhookTimeout?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The webhook to post to, or undefined when none is configured. */
export function parseWebhookOptions(raw: RawWebhookFlags, env: Env): WebhookTarget | undefined {
  const timeoutMs = timerDuration(raw.webhookTimeout ?? defaults.webhookTimeout, "--webhook-timeout");
  if (timeoutMs <= 0) throw new UsageError("--webhook-timeout must be longer than 0");
  if (raw.webhookUrl !== undefined && raw.webhookUrlFile !== undefined) {
    throw new UsageError("give --webhook-url or --webhook-url-file, not both");
  }
  let url: URL | undefined;
  if (raw.webhookUrl !== undefined) url = checkedUrl(raw.webhookUrl, "--webhook-url");
  else if (raw.webhookUrlFile !== undefined) {
    url = checkedUrl(
      readWebhookUrlFile(raw.webhookUrlFile),
      `the URL in --webhook-url-file ${raw.webhookUrlFile}`,
    );
  } else if (env[webhookUrlEnv] === "") {
    // Set, so a webhook was meant (install-cron sets it from --webhook-secret's Secret): not quietly none.
    throw new UsageError(
      `$${webhookUrlEnv} is set but empty: set it to the webhook's URL (under install-cron, the url key of its --webhook-secret Secret), or unset it`,
    );
  } else if (env[webhookUrlEnv] !== undefined) url = checkedUrl(env[webhookUrlEnv], `$${webhookUrlEnv}`);
  return url ? { url, timeoutMs, proxy: parseProxyEnvironment(env) } : undefined;
}

/** One http(s) URL without credentials; the message names `where` it came from, never the value. */
function checkedUrl(text: string, where: string): URL {
  const trimmed = text.trim();
  let url: URL;
  // The URL parser drops tabs and newlines inside a URL: two lines must not quietly become one address.
  if (trimmed === "" || /\s/.test(trimmed)) throw new UsageError(`${where} is not one URL`);
  try {
    url = new URL(trimmed);
  } catch {
    throw new UsageError(`${where} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(`${where} must be an https (or http) URL`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new UsageError(`${where} must not carry a user name or password`);
  }
  return url;
}
