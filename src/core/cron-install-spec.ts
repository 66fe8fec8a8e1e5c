/** install-cron's flags, checked in one step before anything touches the cluster. Pure. */
import packageJson from "../../package.json" with { type: "json" };
import { cronDefaults, type InstallSpec } from "./cron-manifests.js";
import { type Checked, checkSchedule, checkTimeZone } from "./cron-schedule.js";
import { checkSelector } from "./cron-selector.js";
import { InvalidImageRefError, parseImageRef } from "./image-ref.js";

/** Where `npm run image` publishes; README says how to build and push it. */
export const imageRepository = "ghcr.io/kubectl-autoupdate/kubectl-autoupdate";

/** The image the CronJob runs unless --image says otherwise: this plugin's own version. */
export function defaultImage(
  resolver: InstallSpec["resolver"],
  version: string = packageJson.version,
): string {
  // The docker variant adds only the docker CLI (Dockerfile target with-docker).
  return `${imageRepository}:${version}${resolver === "docker" ? "-docker" : ""}`;
}

/** install-cron's flags as commander hands them over. */
export interface RawInstallFlags {
  name?: string;
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  schedule?: string;
  timeZone?: string;
  suspend?: boolean;
  resolver?: string;
  dockerSocket?: boolean;
  image?: string;
  output?: string;
}

/** Checked flags; the namespace may still come from the kubeconfig. */
export type InstallFlags = Omit<InstallSpec, "namespace"> & { namespace?: string };

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** CronJob names leave room for the 11 characters the controller appends to Job names. */
export const maxCronJobName = 52;

/** Checks --name (a CronJob name); the message names the flag. */
export function checkName(name: string): string | null {
  if (name.length === 0) return "--name must not be empty";
  if (name.length > maxCronJobName || !dns1123Label.test(name)) {
    return `invalid --name "${name}": want at most ${maxCronJobName} lowercase letters, digits or "-", starting and ending with a letter or digit`;
  }
  return null;
}

/** Checks a namespace name (-n, or the kubeconfig's). */
export function checkNamespace(namespace: string): string | null {
  if (namespace.length === 0) return "--namespace must not be empty";
  if (namespace.length > 63 || !dns1123Label.test(namespace)) {
    return `invalid namespace "${namespace}": want at most 63 lowercase letters, digits or "-", starting and ending with a letter or digit`;
  }
  return null;
}

/** Checks every install-cron flag; the first problem found is the message. */
export function checkInstallFlags(raw: RawInstallFlags): Checked<InstallFlags> {
  const fail = (message: string): Checked<InstallFlags> => ({ ok: false, message });
  const name = raw.name ?? cronDefaults.name;
  const nameProblem = checkName(name);
  if (nameProblem) return fail(nameProblem);
  if (raw.namespace !== undefined) {
    const problem = checkNamespace(raw.namespace);
    if (problem) return fail(problem);
  }

  const schedule = checkSchedule(raw.schedule ?? cronDefaults.schedule);
  if (!schedule.ok) return fail(`invalid --schedule "${raw.schedule ?? ""}": ${schedule.message}`);
  let timeZone: string | undefined;
  if (raw.timeZone !== undefined) {
    const zone = checkTimeZone(raw.timeZone);
    if (!zone.ok) return fail(`invalid --time-zone "${raw.timeZone}": ${zone.message}`);
    timeZone = zone.value;
  }

  let selector: string | undefined;
  if (raw.selector !== undefined) {
    const checked = checkSelector(raw.selector);
    if (!checked.ok) return fail(`invalid -l/--selector "${raw.selector}": ${checked.message}`);
    selector = checked.value;
  }

  const resolver = raw.resolver ?? "registry";
  if (resolver !== "registry" && resolver !== "docker") {
    return fail(`invalid value "${raw.resolver}" for --resolver; allowed: registry, docker`);
  }
  const dockerSocket = raw.dockerSocket === true;
  if (resolver === "docker" && !dockerSocket) {
    return fail(
      "--resolver docker needs the node's Docker engine: add --docker-socket (see its warning), " +
        "or keep the default --resolver registry, which needs no Docker in the cluster",
    );
  }
  if (dockerSocket && resolver !== "docker") {
    return fail("--docker-socket is only used by --resolver docker; leave it out with --resolver registry");
  }

  const image = raw.image ?? defaultImage(resolver);
  try {
    parseImageRef(image);
  } catch (error) {
    if (!(error instanceof InvalidImageRefError)) throw error;
    return fail(`invalid --image "${image}": ${error.message}`);
  }

  if (raw.output !== undefined && raw.output !== "yaml" && raw.output !== "json") {
    return fail(`unable to match a printer for output format "${raw.output}"; allowed: yaml, json`);
  }

  return {
    ok: true,
    value: {
      name,
      namespace: raw.namespace,
      allNamespaces: raw.allNamespaces === true,
      selector,
      schedule: schedule.value,
      timeZone,
      suspend: raw.suspend === true,
      resolver,
      dockerSocket,
      image,
    },
  };
}

/** What mounting the docker socket grants, printed whenever --docker-socket is used. */
export const dockerSocketWarning = [
  "warning: --docker-socket mounts the node's /var/run/docker.sock into the job's pod.",
  "  Whoever controls that pod controls the node's Docker engine: it can start privileged containers,",
  "  mount the node's filesystem and read every container's secrets - that is root on the node.",
  "  The pod therefore runs as root (uid 0) with a hostPath volume; namespaces that enforce the",
  '  Pod Security "baseline" or "restricted" level will refuse it, and nodes without Docker',
  "  (containerd, CRI-O) can't start it. Images are pulled only on the node the job runs on.",
  "  Prefer the default --resolver registry, which needs none of this.",
].join("\n");
