/** A throwaway docker config directory holding one credential, so docker never needs `docker login`. */
import type { Credential } from "../../core/keyring.js";
import { createPrivateDir, writePrivateFile } from "../private-dir.js";

/** The key docker looks up for a registry: Docker Hub keeps its historical URL. */
export function dockerConfigKey(domain: string): string {
  return domain === "docker.io" ? "https://index.docker.io/v1/" : domain;
}

/** The config.json content for one credential on one registry. */
export function dockerConfigJson(domain: string, credential: Credential): string {
  const entry: Record<string, string> = {};
  if (credential.username !== undefined && credential.password !== undefined) {
    entry["auth"] = Buffer.from(`${credential.username}:${credential.password}`).toString("base64");
  }
  if (credential.identityToken) entry["identitytoken"] = credential.identityToken;
  if (credential.registryToken) entry["registrytoken"] = credential.registryToken;
  return JSON.stringify({ auths: { [dockerConfigKey(domain)]: entry } });
}

/** Writes the config into a new private directory (removed at exit) and returns the directory. */
export function writeDockerConfig(domain: string, credential: Credential): string {
  const dir = createPrivateDir("kubectl-autoupdate-docker");
  writePrivateFile(dir, "config.json", dockerConfigJson(domain, credential));
  return dir;
}
