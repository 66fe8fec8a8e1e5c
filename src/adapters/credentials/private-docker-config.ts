/** A throwaway docker config directory holding one credential, so docker never needs `docker login`. */
import type { Credential } from "../../core/keyring.js";
import { createPrivateDir, writePrivateFile } from "../private-dir.js";
import { dockerServerAddress } from "./docker-config.js";

/** The config.json content for one credential on one registry. */
function dockerConfigJson(domain: string, credential: Credential): string {
  const entry: Record<string, string> = {};
  if (credential.username !== undefined && credential.password !== undefined) {
    entry["auth"] = Buffer.from(`${credential.username}:${credential.password}`).toString("base64");
  }
  if (credential.identityToken) entry["identitytoken"] = credential.identityToken;
  if (credential.registryToken) entry["registrytoken"] = credential.registryToken;
  return JSON.stringify({ auths: { [dockerServerAddress(domain)]: entry } });
}

/** Writes the config into a new private directory (removed at exit) and returns the directory. */
export function writeDockerConfig(domain: string, credential: Credential): string {
  const dir = createPrivateDir("kubectl-autoupdate-docker");
  writePrivateFile(dir, "config.json", dockerConfigJson(domain, credential));
  return dir;
}
