/**
 * The spinner (ora, on stderr) and colour on a real pseudo-terminal: the built CLI runs under util-linux
 * `script`, as test/e2e/cli.test.ts's prompt tests do, with the terminal given a size first (`stty cols`): a
 * terminal that reports no width gets no spinner, by design (src/adapters/progress.ts). The README's promise:
 * progress only on a terminal that can draw it (not TERM=dumb, not with $CI set) and never with -o json|yaml;
 * colour on a terminal unless NO_COLOR, TERM=dumb or --color never. Resolver docker against a real registry,
 * through a docker shim that makes each pull last long enough for the spinner to turn; kubectl is the
 * recording fake.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { cliPath, runCli } from "../support/cli.js";
import { FakeCluster } from "../support/fake-kubectl.js";
import { pushImage } from "../support/images.js";
import { makePod, makeReplicaSet } from "../support/pods.js";
import { type Registry, startRegistry } from "../support/registry/distribution.js";
import { deploymentPod, makeHome, removeTempDirs } from "../support/registry/harness.js";

/** ora's default spinner on a Unicode terminal ("dots"). */
const frame = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
/** A frame (in colour or not) followed by one of the texts plan shows while it works. */
const spinnerLine = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏](?:\x1b\[[0-9;]*m)? (Listing pods|Pulled images \d+\/\d+)/;
/** SGR sequences: colours and styles (not the cursor movements a spinner uses). */
const sgr = /\x1b\[[0-9;]*m/;
const anyEscape = /\x1b/;

let registry: Registry;
let cluster: FakeCluster;
let shim: string;
let scratch: string;
let image: string;

beforeAll(async () => {
  registry = await startRegistry();
  image = `${registry.host}/progress/web:latest`;
  const v1 = await pushImage(image, "progress v1");
  await pushImage(image, "progress v2");
  cluster = new FakeCluster({
    pods: [
      deploymentPod("web-7d9c8b-aaaaa", image, v1),
      deploymentPod("web-7d9c8b-bbbbb", image, v1),
      makePod({ name: "debug", owner: null, containers: [{ name: "sh", image, runningDigest: v1 }] }),
    ],
    objects: [makeReplicaSet("web-7d9c8b", "web")],
  });
  scratch = mkdtempSync(join(tmpdir(), "kau-progress-"));
  const realDocker = execFileSync("sh", ["-c", "command -v docker"], { encoding: "utf8" }).trim();
  shim = join(scratch, "docker");
  // Each pull takes a second: the spinner turns several times (ora draws every 80 ms).
  writeFileSync(
    shim,
    `#!/bin/sh\nif [ "$1" = pull ] || [ "$3" = pull ]; then sleep 1; fi\nexec '${realDocker}' "$@"\n`,
    { mode: 0o755 },
  );
});
afterAll(async () => {
  removeTempDirs();
  await registry?.stop();
});

/** What the CLI runs with, as on a user's terminal: colour neither forced nor refused by the test runner. */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = makeHome({ auths: {} });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...cluster.env(),
    DOCKER_HOST: inject("dockerHost"),
    DOCKER_CONFIG: home.dockerConfig,
    HOME: home.dir,
    TMPDIR: home.tmp,
    TERM: "xterm-256color",
    ...extra,
  };
  delete env["FORCE_COLOR"];
  if (!("NO_COLOR" in extra)) delete env["NO_COLOR"];
  // A CI runner's own $CI would turn the spinner off.
  if (!("CI" in extra)) delete env["CI"];
  return env;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the CLI under `script` (stdout and stderr on one pseudo-terminal, as in a shell), the terminal
 * `cols` wide (0: no size, as script gives when it has no terminal itself). `redirect` is appended to the
 * command (e.g. `2>FILE`).
 */
function onTerminal(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cols?: number; redirect?: string } = {},
): Promise<{ code: number; out: string }> {
  const cols = options.cols ?? 120;
  const size = cols > 0 ? `stty cols ${cols} rows 40; ` : "";
  const command = `${size}exec ${quote(process.execPath)} ${quote(cliPath)} ${args.map(quote).join(" ")} ${options.redirect ?? ""}`;
  return new Promise((done) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], { env: userEnv(options.env) });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("close", (code) => done({ code: code ?? -1, out }));
  });
}

/**
 * What the terminal shows once the output is drawn: a small emulation of the few controls a spinner
 * uses (carriage return, cursor to column N, erase line); other escape sequences are dropped.
 */
function screen(text: string): string {
  const lines: string[] = [];
  let line: string[] = [];
  let col = 0;
  const controls = /\x1b\[([0-9;?]*)([A-Za-z])|\x1b\][^\x07]*\x07|\r|\n|[^\x1b\r\n]/gu;
  for (const m of text.matchAll(controls)) {
    const [token, params, command] = m;
    if (token === "\n") {
      lines.push(line.join(""));
      line = [];
      col = 0;
    } else if (token === "\r") col = 0;
    else if (command === "G") col = Math.max(0, Number(params || "1") - 1);
    else if (command === "K") {
      if (params === "2") line = [];
      else if (params === "1") line.fill(" ", 0, col);
      else line = line.slice(0, col);
    } else if (command === undefined && !token.startsWith("\x1b")) {
      while (line.length < col) line.push(" ");
      line[col++] = token;
    }
  }
  if (line.length > 0) lines.push(line.join(""));
  return lines.map((l) => l.trimEnd()).join("\n");
}

const planArgs = ["plan", "--docker"];

describe("the spinner", () => {
  it("turns on a terminal while plan works, then leaves the table intact", async () => {
    const { code, out } = await onTerminal([...planArgs, shim]);
    expect(code, out).toBe(0);
    expect(out).toMatch(spinnerLine);
    // Several frames, not one: it turned while the pull lasted.
    const frames = new Set(
      [...out.matchAll(/([⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏])(?:\x1b\[[0-9;]*m)? Pulled images 0\/1/g)].map((m) => m[1]),
    );
    expect(frames.size).toBeGreaterThan(1);
    // What stays on the terminal: the table alone, from its first line; the spinner's line was erased.
    const lines = screen(out).split("\n");
    expect(lines[0]).toMatch(/^POD +OWNER +CONTAINER +IMAGE +RUNNING +LATEST +ACTION +REASON$/);
    expect(lines.filter((l) => /^(web-7d9c8b-\w+|debug) +/.test(l))).toHaveLength(3);
    expect(lines.at(-1)).toMatch(/\(3 pods checked\)$/);
    expect(screen(out)).not.toMatch(frame);
    expect(screen(out)).not.toContain("Pulled images");
  });

  it.each([
    ["-o json", ["-o", "json"]],
    ["-o yaml", ["-o", "yaml"]],
  ])("never with %s, even on a terminal: the output is the document alone", async (_, output) => {
    const { code, out } = await onTerminal([...planArgs, shim, ...output]);
    expect(code, out).toBe(0);
    expect(out).not.toMatch(frame);
    expect(out).not.toContain("Pulled images");
    expect(out).not.toMatch(anyEscape);
    const text = out.replace(/\r/g, "");
    if (output[1] === "json") expect(JSON.parse(text)).toMatchObject({ kind: "Plan", resolver: "docker" });
    else expect(text).toMatch(/^apiVersion: kubectl-autoupdate\/v1\nkind: Plan\n/);
  });

  it("not when stderr is not a terminal: a plain spawn (pipes) shows no progress at all", async () => {
    const result = await runCli([...planArgs, shim], userEnv());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(frame);
    expect(result.stderr).not.toContain("Pulled images");
    expect(result.stderr).not.toMatch(anyEscape);
    expect(result.stdout).not.toMatch(anyEscape);
    expect(result.stdout).toContain("(3 pods checked)");
  });

  it("not when only stdout is the terminal (stderr to a file)", async () => {
    const log = join(scratch, "stderr.log");
    const { code, out } = await onTerminal([...planArgs, shim], { redirect: `2>${quote(log)}` });
    expect(code, out).toBe(0);
    const stderr = readFileSync(log, "utf8");
    expect(stderr).not.toMatch(frame);
    expect(stderr).not.toContain("Pulled images");
    expect(out).not.toMatch(frame);
    expect(screen(out)).toContain("(3 pods checked)");
  });

  it("on stderr when only stderr is the terminal (plan > file): the file gets the table alone, uncoloured", async () => {
    const file = join(scratch, "plan.txt");
    const { code, out } = await onTerminal([...planArgs, shim], { redirect: `>${quote(file)}` });
    expect(code, out).toBe(0);
    expect(out).toMatch(spinnerLine);
    const table = readFileSync(file, "utf8");
    expect(table).not.toMatch(anyEscape);
    expect(table).not.toMatch(frame);
    expect(table).toMatch(/^POD +OWNER /);
    expect(table).toContain("(3 pods checked)");
  });

  it("not with --verbose (its log lines would be torn by the spinner)", async () => {
    const { code, out } = await onTerminal([...planArgs, shim, "-v"]);
    expect(code, out).toBe(0);
    expect(out).not.toMatch(frame);
    expect(screen(out)).toContain(`exec: ${shim} pull ${image}`);
  });

  it("not on TERM=dumb (Emacs' shell): no escape codes at all, colour off as well", async () => {
    const { code, out } = await onTerminal([...planArgs, shim], { env: { TERM: "dumb" } });
    expect(code, out).toBe(0);
    expect(out).not.toMatch(anyEscape);
    expect(out).not.toMatch(frame);
    expect(out).not.toContain("Pulled images");
    expect(screen(out)).toMatch(
      /^web-7d9c8b-aaaaa +Deployment\/web +app .* evict +Deployment\/web was not found: evicted one at a time$/m,
    );
  });

  it("not with $CI set (a CI log would keep every frame), even on a terminal", async () => {
    const { code, out } = await onTerminal([...planArgs, shim], { env: { CI: "true" } });
    expect(code, out).toBe(0);
    expect(out).not.toMatch(frame);
    expect(out).not.toContain("Pulled images");
    expect(screen(out)).toContain("(3 pods checked)");
  });

  it("not on a terminal that reports no width (script without a terminal of its own)", async () => {
    const { code, out } = await onTerminal([...planArgs, shim], { cols: 0 });
    expect(code, out).toBe(0);
    expect(out).not.toMatch(frame);
    expect(screen(out)).toContain("(3 pods checked)");
  });
});

describe("colour on a terminal", () => {
  it("the table is coloured on a terminal by default (so the checks below can fail)", async () => {
    const { code, out } = await onTerminal([...planArgs, shim]);
    expect(code, out).toBe(0);
    expect(out).toMatch(sgr);
    // A restart (evict: the fake holds no Deployment object) in red, skip in yellow, stale in red.
    expect(out).toContain("\x1b[31mevict\x1b[39m");
    expect(out).toContain("\x1b[33mskip\x1b[39m");
  });

  it.each<[string, string[], NodeJS.ProcessEnv]>([
    ["NO_COLOR=1", [], { NO_COLOR: "1" }],
    ["--color never", ["--color", "never"], {}],
  ])("%s: no colour codes anywhere, the spinner's included", async (_, flags, env) => {
    const { code, out } = await onTerminal([...planArgs, shim, ...flags], { env });
    expect(code, out).toBe(0);
    expect(out).not.toMatch(sgr);
    expect(out).toMatch(spinnerLine);
    expect(screen(out)).toMatch(
      /^web-7d9c8b-aaaaa +Deployment\/web +app .* evict +Deployment\/web was not found: evicted one at a time$/m,
    );
  });

  it("NO_COLOR set but empty does not turn colour off (no-color.org)", async () => {
    const { code, out } = await onTerminal([...planArgs, shim], { env: { NO_COLOR: "" } });
    expect(code, out).toBe(0);
    expect(out).toContain("\x1b[31mevict\x1b[39m");
  });

  it("--color always colours even without a terminal", async () => {
    const result = await runCli([...planArgs, shim, "--color", "always"], userEnv());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("\x1b[31mevict\x1b[39m");
    // Still no spinner: that needs a terminal.
    expect(result.stderr).not.toMatch(frame);
  });
});
