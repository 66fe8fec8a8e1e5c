/** The CronJob verbs' flags → typed options, in options.ts's style: a bad value throws UsageError first. */

import { InvalidImageRefError, parseImageRef } from "../core/image-ref.js";
import { checkNamespace } from "../core/object-name.js";
import type { CronStatusOptions } from "../cron/commands/cron-status.js";
import type { InstallCronOptions } from "../cron/commands/install-cron.js";
import type { InstallationOptions } from "../cron/commands/installation.js";
import type { RunNowOptions } from "../cron/commands/run-now.js";
import type { UninstallCronOptions } from "../cron/commands/uninstall-cron.js";
import { defaultImage } from "../cron/core/image.js";
import { checkName, checkSecretName } from "../cron/core/names.js";
import { checkSchedule, checkTimeZone } from "../cron/core/schedule.js";
import { checkSelector } from "../cron/core/selector.js";
import { UsageError } from "../errors.js";
import type { Checked } from "../util/checked.js";
import { mayHoldCredentials, quotedValue, shownValue } from "../util/shown-value.js";
import { cronStatusFormats, objectFormats, resolverNames } from "./choices.js";
import { defaults } from "./defaults.js";
import { timerDuration } from "./duration.js";
import { parseJobProxy, type RawJobProxyFlags } from "./job-proxy-options.js";
import {
  checkedValue,
  minAgeOf,
  parseChoice,
  parseConnectionOptions,
  parseMaxRequests,
  parseOutput,
  parseStrategy,
  type RawConnectionFlags,
} from "./options.js";

type Env = Readonly<Record<string, string | undefined>>;

/** Which installation a verb means, as commander hands it over. */
interface RawInstallationFlags extends RawConnectionFlags {
  name?: string;
  namespace?: string;
}

export interface RawInstallCronFlags extends RawInstallationFlags, RawJobProxyFlags {
  allNamespaces?: boolean;
  selector?: string;
  schedule?: string;
  timeZone?: string;
  suspend?: boolean;
  resolver?: string;
  dockerSocket?: boolean;
  image?: string;
  minAge?: string;
  maxRequests?: string;
  strategy?: string;
  webhookSecret?: string;
  webhookUrl?: string;
  dryRun?: boolean;
  output?: string;
}

export interface RawRunNowFlags extends RawInstallationFlags {
  wait?: boolean;
  timeout?: string;
  pollInterval?: string;
}

export interface RawCronStatusFlags extends RawInstallationFlags {
  output?: string;
  headers?: boolean;
}

export interface RawUninstallCronFlags extends RawInstallationFlags {
  dryRun?: boolean;
}

/** --name and -n, checked before any kubectl call. */
function parseInstallationOptions(raw: RawInstallationFlags, env: Env): InstallationOptions {
  const name = checkedValue(checkName(raw.name ?? defaults.cron.name));
  // Empty (`-n "$NS"` with it unset), as kubectl and plan take it: the context's namespace.
  const given = raw.namespace === "" ? undefined : raw.namespace;
  const namespace = given === undefined ? undefined : checkedValue(checkNamespace(given));
  return { ...parseConnectionOptions(raw, env), name, namespace };
}

/**
 * A flag's value as its check takes it, else a usage error naming it: quoted, with why, unless it may hold
 * credentials (why would quote it too).
 */
function checkedFlag<T>(checked: Checked<T>, flag: string, value: string): T {
  if (!checked.ok && mayHoldCredentials(value)) {
    throw new UsageError(shownValue(value, `invalid ${flag}`));
  }
  return checkedValue(checked, `invalid ${flag} "${value}": `);
}

/** Every install-cron flag; the first problem found is the message. */
export function parseInstallCronOptions(raw: RawInstallCronFlags, env: Env): InstallCronOptions {
  const installation = parseInstallationOptions(raw, env);
  const schedule = checkedFlag(
    checkSchedule(raw.schedule ?? defaults.cron.schedule),
    "--schedule",
    raw.schedule ?? "",
  );
  const timeZone =
    raw.timeZone === undefined
      ? undefined
      : checkedFlag(checkTimeZone(raw.timeZone), "--time-zone", raw.timeZone);
  // Empty (`-l "$SELECTOR"` with it unset), as kubectl and plan take it: every pod.
  const selector =
    raw.selector === undefined || raw.selector.trim() === ""
      ? undefined
      : checkedFlag(checkSelector(raw.selector), "-l/--selector", raw.selector);

  const resolver = parseChoice(raw.resolver, "--resolver", resolverNames, defaults.cron.resolver);
  const dockerSocket = raw.dockerSocket === true;
  if (resolver === "docker" && !dockerSocket) {
    throw new UsageError(
      "--resolver docker needs the node's Docker engine: add --docker-socket (see its warning), " +
        "or keep the default --resolver registry, which needs no Docker in the cluster",
    );
  }
  if (dockerSocket && resolver !== "docker") {
    throw new UsageError(
      "--docker-socket is only used by --resolver docker; leave it out with --resolver registry",
    );
  }

  const image = raw.image ?? defaultImage(resolver);
  try {
    parseImageRef(image);
  } catch (error) {
    if (!(error instanceof InvalidImageRefError)) throw error;
    // Why it is not a reference may quote the part that holds credentials.
    const why = mayHoldCredentials(image) ? "want an image reference" : error.message;
    throw new UsageError(`invalid --image ${quotedValue(image)}: ${why}`);
  }
  // Empty, as kubectl takes it: not given.
  const output = raw.output ? parseOutput(raw.output, objectFormats, "yaml") : undefined;
  if (raw.webhookUrl !== undefined) {
    throw new UsageError(
      "install-cron takes no webhook URL: it would be in the CronJob's spec for anyone who can read it. " +
        "Put it in a Secret (kubectl create secret generic NAME --from-file=url=FILE) and pass --webhook-secret NAME",
    );
  }
  const webhookSecret =
    raw.webhookSecret === undefined
      ? undefined
      : checkedValue(checkSecretName(raw.webhookSecret, "--webhook-secret"));
  const proxy = parseJobProxy(raw);
  const minAge = minAgeOf(raw.minAge);

  return {
    ...installation,
    spec: {
      name: installation.name,
      allNamespaces: raw.allNamespaces === true,
      selector,
      schedule,
      timeZone,
      suspend: raw.suspend === true,
      resolver,
      dockerSocket,
      image,
      ...(minAge !== undefined ? { minAge } : {}),
      ...(raw.maxRequests !== undefined ? { maxRequests: parseMaxRequests(raw.maxRequests, resolver) } : {}),
      ...(webhookSecret !== undefined ? { webhookSecret } : {}),
      ...(proxy !== undefined ? { proxy } : {}),
      strategy: parseStrategy(raw.strategy),
    },
    dryRun: raw.dryRun === true,
    output,
  };
}

export function parseRunNowOptions(raw: RawRunNowFlags, env: Env): RunNowOptions {
  const waitFlag =
    raw.timeout !== undefined ? "--timeout" : raw.pollInterval !== undefined ? "--poll-interval" : null;
  if (raw.wait !== true && waitFlag !== null) {
    throw new UsageError(
      `${waitFlag} is only used with --wait: add --wait to follow the Job, or leave ${waitFlag} out`,
    );
  }
  return {
    ...parseInstallationOptions(raw, env),
    wait: raw.wait === true,
    timeoutMs: timerDuration(raw.timeout ?? defaults.cron.runTimeout, "--timeout"),
    pollMs: timerDuration(raw.pollInterval ?? defaults.cron.pollInterval, "--poll-interval"),
  };
}

export function parseCronStatusOptions(raw: RawCronStatusFlags, env: Env): CronStatusOptions {
  return {
    ...parseInstallationOptions(raw, env),
    output: parseOutput(raw.output, cronStatusFormats, "table"),
    noHeaders: raw.headers === false,
  };
}

export function parseUninstallCronOptions(raw: RawUninstallCronFlags, env: Env): UninstallCronOptions {
  return { ...parseInstallationOptions(raw, env), dryRun: raw.dryRun === true };
}
