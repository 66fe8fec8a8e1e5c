/**
 * What installing again changes in what the runs do, and when. Every flag install-cron is not given goes
 * back to its default, so a run re-installed only to add --min-age may lose its --strategy, -l, webhook or
 * proxy, gain rights or pods it did not have, or go from 03:00 to every 10 minutes: said, not left to a
 * `configured` line.
 */
import { parseProxyUrl } from "../../core/proxy.js";
import { withoutUrlSecrets } from "../../util/url-secrets.js";
import { webhookUrlEnv } from "./job-contract.js";
import type { CronJobObject } from "./jobs.js";
import { flagsOf, jobCommandOf, jobContainerOf } from "./status.js";

/**
 * Each change of the job's flags, the install-cron flags kept in its environment and volumes, its
 * schedule and its image: `--strategy evict → auto`, `--webhook-secret hook dropped`, `--schedule
 * "0 3 * * *" → "@hourly"`; empty when none. install-cron sets the container's command, never its args:
 * flags added there by hand stay (server-side apply leaves what another manager owns), after the command's.
 */
export function runChanges(installed: CronJobObject, wanted: CronJobObject): string[] {
  const before = settingsOf(installed);
  const after = settingsOf(wanted, handArgsOf(installed));
  const changes: string[] = [];
  const names = new Set([...before.keys(), ...after.keys()]);
  names.delete("image");
  for (const name of [...names, "image"]) {
    const was = before.get(name);
    const now = after.get(name);
    if (was === now) continue;
    if (was === undefined) changes.push(now === "" ? `${name} added` : `${name} ${now} added`);
    else if (now === undefined) changes.push(was === "" ? `${name} dropped` : `${name} ${was} dropped`);
    else changes.push(`${name} ${was} → ${now}`);
  }
  return changes;
}

/** The install-cron flags that live in the job's environment, by the variable each sets. */
const envFlags: Record<string, string> = {
  [webhookUrlEnv]: "--webhook-secret",
  HTTPS_PROXY: "--proxy",
  NO_PROXY: "--proxy-bypass",
};

/** Flags whose value is a secret, which install-cron never writes into the command: only a hand can. */
const secretFlags = ["--webhook-url", "--token", "--password", "--username"];

/** The job's args, which only a hand writes (install-cron sets the command). */
export function handArgsOf(cronJob: CronJobObject): string[] {
  return jobContainerOf(cronJob)?.args ?? [];
}

/**
 * The run's settings by flag name: its command's flags (then `keptArgs`, args install-cron leaves in place),
 * then the environment's, the socket and the image.
 */
function settingsOf(cronJob: CronJobObject, keptArgs: readonly string[] = []): Map<string, string> {
  const container = jobContainerOf(cronJob);
  const settings = flagsOf([...jobCommandOf(cronJob), ...keptArgs]);
  for (const flag of secretFlags) if (settings.get(flag)) settings.set(flag, "(a value set by hand)");
  // A URL written by hand (--server=https://user:password@…) is shown without its user info and query.
  for (const [flag, value] of settings) settings.set(flag, withoutUrlSecrets(value));
  for (const variable of container?.env ?? []) {
    const flag = envFlags[variable.name];
    if (flag === undefined) continue;
    const secret = variable.valueFrom?.secretKeyRef?.name;
    // A proxy given by Secret is --proxy-secret; the bypass list ends with the API server's own address.
    if (flag === "--proxy" && secret !== undefined) settings.set("--proxy-secret", secret);
    else if (flag === "--proxy-bypass") {
      const bypass = bypassOf(variable.value ?? "");
      if (bypass !== "") settings.set(flag, bypass);
    } else settings.set(flag, secret ?? shownLiteral(flag, variable.value ?? ""));
  }
  const volumes = cronJob.spec.jobTemplate.spec.template?.spec?.volumes ?? [];
  if (volumes.some((volume) => volume.name === "docker-socket")) settings.set("--docker-socket", "");
  settings.set("--schedule", JSON.stringify(cronJob.spec.schedule));
  if (cronJob.spec.timeZone) settings.set("--time-zone", cronJob.spec.timeZone);
  if (cronJob.spec.suspend) settings.set("--suspend", "");
  settings.set("image", container?.image ?? "none");
  return settings;
}

/**
 * A value install-cron would have put in a Secret (a webhook URL), or a proxy URL with a user, path or query,
 * is in the CronJob only because someone wrote it there by hand, and may carry a token or password: the
 * warning shows such a proxy by its origin alone, and a webhook URL not at all.
 */
function shownLiteral(flag: string, value: string): string {
  if (flag !== "--proxy") return "(a value set by hand)";
  // Read as the runs read it: without a scheme, `user:password@host:port` is http://, not a scheme "user:".
  const url = parseProxyUrl(value);
  if (typeof url === "string") return "(a value set by hand)";
  const plain =
    url.username === "" &&
    url.password === "" &&
    url.search === "" &&
    url.hash === "" &&
    (url.pathname === "/" || url.pathname === "");
  return plain ? value : `${url.protocol}//${url.host}`;
}

/** What --proxy-bypass gave: the NO_PROXY list without the API server's address install-cron adds. */
function bypassOf(noProxy: string): string {
  return noProxy
    .split(",")
    .filter((entry) => entry !== "" && !entry.startsWith("$("))
    .join(",");
}
