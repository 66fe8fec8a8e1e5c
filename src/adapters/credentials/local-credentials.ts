/**
 * The user's own registry credentials, after the pods' pull secrets in the chain: `$DOCKER_AUTH_CONFIG`, the
 * docker config (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`) and its credential helpers, run
 * through the `docker-credential-<name> get` protocol (server address on stdin, JSON on stdout). Each
 * registry is looked up once per run, so a helper runs at most once per registry. Secrets stay in memory.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Credential, DockerAuths } from "../../core/keyring.js";
import { ToolMissingError } from "../../errors.js";
import type { Exec } from "../exec.js";
import { firstLine } from "../exec-result.js";
import { defaultCredentialStore } from "./default-store.js";
import {
  type DockerConfigFile,
  envAuthsAsDockerReads,
  helperCredential,
  localCredentialStore,
} from "./docker-config.js";

type HelperAnswer = Credential | null | "failed";

/** What LocalCredentials reads and runs. */
export interface LocalCredentialsOptions {
  exec: Exec;
  env: Readonly<Record<string, string | undefined>>;
  /** The user's home, where ~/.docker lives when DOCKER_CONFIG is not set. */
  home: string;
  helperTimeoutMs?: number;
  /** The run's: a helper still asked when it stops (Ctrl-C) is stopped with it. */
  signal?: AbortSignal;
}

/** The user's docker config credentials per registry domain, looked up once per run. */
export class LocalCredentials {
  private config?: DockerConfigFile;
  private readonly byDomain = new Map<string, Promise<Credential[]>>();
  private readonly problems: string[] = [];

  constructor(private readonly options: LocalCredentialsOptions) {}

  /** The config file in use. */
  configPath(): string {
    const dir = this.options.env["DOCKER_CONFIG"] || join(this.options.home, ".docker");
    return join(dir, "config.json");
  }

  /** Credentials for a registry domain (`docker.io`, `localhost:5000`), in docker's order. */
  lookup(domain: string): Promise<Credential[]> {
    let known = this.byDomain.get(domain);
    if (!known) {
      known = this.find(domain);
      this.byDomain.set(domain, known);
    }
    return known;
  }

  /** Problems worth a warning: an unreadable config, a failing helper. Never a secret. */
  warnings(): string[] {
    return [...this.problems];
  }

  /** As docker reads it: one store for a registry; the file's entry only when its helper fails. */
  private async find(domain: string): Promise<Credential[]> {
    const store = localCredentialStore(this.readConfig(), domain, this.readEnvAuths());
    const credential =
      store.kind === "auths"
        ? store.credential
        : await this.runHelper(store.helper, store.serverAddress, store.via).then((answer) =>
            answer === "failed" ? store.onFailure : answer,
          );
    return credential ? [credential] : [];
  }

  private envAuths?: DockerAuths;

  /** `$DOCKER_AUTH_CONFIG`'s `auths` (a JSON config in the environment), read once, as docker reads it. */
  private readEnvAuths(): DockerAuths | undefined {
    const text = this.options.env["DOCKER_AUTH_CONFIG"];
    if (this.envAuths || !text) return this.envAuths;
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {}
    const auths = envAuthsAsDockerReads(parsed);
    if (!auths) {
      this.problems.push(
        "$DOCKER_AUTH_CONFIG is not what docker reads (auths only, each with an auth of user:password alone); its credentials are not used",
      );
    }
    this.envAuths = auths ?? {};
    return this.envAuths;
  }

  private effective?: DockerConfigFile;

  private readConfigFile(): DockerConfigFile {
    if (this.config) return this.config;
    const path = this.configPath();
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        this.problems.push(`cannot read ${path}: ${(error as Error).message}`);
      this.config = {};
      return this.config;
    }
    try {
      const parsed = JSON.parse(text) as DockerConfigFile;
      this.config = parsed !== null && typeof parsed === "object" ? parsed : {};
    } catch {
      this.problems.push(`${path} is not valid JSON; its credentials are not used`);
      this.config = {};
    }
    return this.config;
  }

  /** The config as docker reads it: one with no credential of its own takes the platform's helper. */
  private readConfig(): DockerConfigFile {
    if (this.effective) return this.effective;
    const config = this.readConfigFile();
    const own = config.credsStore || Object.keys(config.credHelpers ?? {}).length > 0;
    const store =
      own || Object.keys(config.auths ?? {}).length > 0 ? null : defaultCredentialStore(this.options.env);
    this.effective = store ? { ...config, credsStore: store } : config;
    return this.effective;
  }

  /** The helper's credential, null when it has none for the server, or "failed" (a warning says why). */
  private async runHelper(helper: string, serverAddress: string, via: string): Promise<HelperAnswer> {
    const program = `docker-credential-${helper}`;
    let result: Awaited<ReturnType<Exec>>;
    try {
      // The server address goes on stdin, never in argv.
      result = await this.options.exec(program, ["get"], {
        input: serverAddress,
        timeoutMs: this.options.helperTimeoutMs ?? 60_000,
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      });
    } catch (error) {
      if (!(error instanceof ToolMissingError)) throw error;
      this.problems.push(`${program} (docker config ${via}) is not on PATH; its credentials are not used`);
      return "failed";
    }
    if (result.exitCode !== 0) {
      // Helpers print their errors on stdout; a failing one may have printed its answer there first.
      const said =
        [firstLine(result.stdout), firstLine(result.stderr)].find(
          (line) => line !== "" && !/"Secret"|^\s*\{/.test(line),
        ) ?? "";
      // "credentials not found in native keychain" is the protocol's way of saying "none".
      if (/credentials not found/i.test(said)) return null;
      this.problems.push(`${program} get failed for ${serverAddress}: ${said || `exit ${result.exitCode}`}`);
      return "failed";
    }
    let answer: unknown;
    try {
      answer = JSON.parse(result.stdout);
    } catch {
      this.problems.push(`${program} get printed something that is not JSON for ${serverAddress}`);
      return "failed";
    }
    return helperCredential(answer, `docker config ${via} (${program})`);
  }
}
