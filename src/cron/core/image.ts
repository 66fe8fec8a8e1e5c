/** The image the CronJob runs unless --image says otherwise. Pure. */
import packageJson from "../../../package.json" with { type: "json" };
import type { InstallSpec } from "./installation.js";

/** Where `npm run image` publishes; README says how to build and push it. */
const imageRepository = "ghcr.io/kubectl-autoupdate/kubectl-autoupdate";

/** This plugin's own version; the docker variant adds only the docker CLI (Dockerfile target with-docker). */
export function defaultImage(
  resolver: InstallSpec["resolver"],
  version: string = packageJson.version,
): string {
  return `${imageRepository}:${version}${resolver === "docker" ? "-docker" : ""}`;
}
