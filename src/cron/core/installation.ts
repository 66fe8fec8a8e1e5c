/** An installation of the CronJob: which one it is, what the user asked for, and who applies its objects. */
import type { StrategyName } from "../../core/plan.js";

/** An installation: its name and namespace. */
export interface Installation {
  name: string;
  namespace: string;
}

/** What the user asked for, already checked. */
export interface InstallSpec {
  /** Name of every namespaced object, and of the CronJob. */
  name: string;
  /** Where it is installed; also the pods it checks, unless allNamespaces. */
  namespace: string;
  allNamespaces: boolean;
  selector?: string;
  schedule: string;
  timeZone?: string;
  suspend: boolean;
  resolver: "registry" | "docker";
  /** Mount the node's docker socket (only with resolver docker). */
  dockerSocket: boolean;
  image: string;
  /** --min-age as given, passed on to the job. */
  minAge?: string;
  /** --max-requests, passed on to the job. */
  maxRequests?: number;
  /** How the job's apply restarts pods (absent: auto, apply's default); the RBAC follows it. */
  strategy?: StrategyName;
  /** A Secret whose key `url` is the webhook the job posts its RunReport to; its value is never read here. */
  webhookSecret?: string;
  /** The proxy the job's registry requests and webhook go through. */
  proxy?: JobProxy;
}

/**
 * An http:// proxy for the job: its URL, or a Secret whose key `url` holds it (with credentials, which must
 * not be in the spec); `bypass` is what goes direct besides the API server.
 */
export type JobProxy = ({ url: string } | { secret: string }) & { bypass: string[] };
