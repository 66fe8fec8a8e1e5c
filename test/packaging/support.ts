/** Shared by the packaging tests: the platforms, the tools module, and running a program to completion. */
import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../support/cli.js";

export interface Platform {
  os: "linux" | "darwin" | "windows";
  arch: "amd64" | "arm64";
  exe: string;
  archive: "tar.gz" | "zip";
}

/** scripts/platforms.mjs's list, read through node (the scripts are plain JavaScript). */
export async function platforms(): Promise<Platform[]> {
  const { stdout } = await run("node", [
    "--input-type=module",
    "-e",
    "const { PLATFORMS } = await import('./scripts/platforms.mjs'); console.log(JSON.stringify(PLATFORMS))",
  ]);
  return JSON.parse(stdout) as Platform[];
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program in the repository; never throws for a non-zero exit. */
export function run(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  return new Promise<Run>((done) => {
    const child = execFile(
      file,
      args,
      {
        cwd: options.cwd ?? repoRoot,
        env: options.env ?? process.env,
        maxBuffer: 256 * 1024 * 1024,
        timeout: 600_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}

/** A build script of the repository (test/tools/build.sh, scripts/rcodesign.sh): the last line it prints. */
export function buildScript(path: string): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(join(repoRoot, path), [], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
    });
    child.on("exit", (code) =>
      code === 0 ? done(out.trim().split("\n").pop()!) : fail(new Error(`${path} exited ${code}`)),
    );
  });
}
