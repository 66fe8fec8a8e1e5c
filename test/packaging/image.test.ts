/**
 * The CronJob's image, built here by scripts/image.sh (no registry image: Debian packages, the
 * self-contained executable, the test bed's kubectl) with the run's Docker engine, then run as the
 * CronJob runs it: user 65532, read-only root filesystem, a tmpfs at /tmp (the CronJob's emptyDir). Its
 * `plan` talks to a real control plane (test/testbed) over the host's loopback.
 */
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../support/cli.js";
import { dockerEnv } from "../support/images.js";
import { launchTestbed, type RunningTestbed } from "../testbed/scripts.js";
import { run } from "./support.js";

const tag = `kau-test/kubectl-autoupdate:${process.pid}`;
const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string })
  .version;
let testbed: RunningTestbed;
let kubeconfig: string;

const docker = (args: string[]) => run("docker", args, { env: dockerEnv() });
const kubectl = (args: string[]) =>
  run(join(testbed.bin, "kubectl"), args, {
    env: { ...process.env, KUBECONFIG: testbed.kubeconfig, KUBECACHEDIR: join(testbed.dir, "kube-cache") },
  });
/** `docker run` as the CronJob's pod runs: non-root, read-only, /tmp writable. */
const runImage = (image: string, args: string[], options: string[] = []) =>
  docker([
    "run",
    // Built here: never looked for on Docker Hub, its name being one of Hub's.
    "--pull=never",
    "--rm",
    "--read-only",
    "--user",
    "65532:65532",
    "--tmpfs",
    "/tmp",
    ...options,
    image,
    ...args,
  ]);

/** The files under a directory of an image, as paths relative to it (read from a container never started). */
async function filesIn(image: string, dir: string): Promise<string[]> {
  const created = await docker(["create", "--pull=never", image]);
  expect(created.code, created.stderr).toBe(0);
  const container = created.stdout.trim();
  const out = mkdtempSync(join(tmpdir(), "kau-image-files-"));
  try {
    const copied = await docker(["cp", `${container}:${dir}/.`, out]);
    expect(copied.code, copied.stderr).toBe(0);
    return readdirSync(out, { recursive: true, withFileTypes: true })
      .filter((entry) => !entry.isDirectory())
      .map((entry) => relative(out, join(entry.parentPath, entry.name)));
  } finally {
    await docker(["rm", container]);
    rmSync(out, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  testbed = await launchTestbed("kau-image-testbed-");
  // From the cached root filesystem (test/ci.sh makes it): tests fetch nothing from outside this machine.
  const build = await run(join(repoRoot, "scripts", "image.sh"), ["--tag", tag], {
    env: dockerEnv({ KUBECTL_AUTOUPDATE_OFFLINE: "1" }),
  });
  expect(build.code, build.stderr).toBe(0);
  expect(build.stdout.trim().split("\n")).toEqual([tag, `${tag}-docker`]);
  // The admin kubeconfig, readable by the container's user (the test bed's own copy is private to root).
  kubeconfig = join(mkdtempSync(join(tmpdir(), "kau-image-kubeconfig-")), "config");
  copyFileSync(testbed.kubeconfig, kubeconfig);
  chmodSync(kubeconfig, 0o644);
}, 3_600_000);

afterAll(async () => {
  await docker(["rmi", tag, `${tag}-docker`]);
  await testbed?.stop();
});

describe("the image", () => {
  it("runs the plugin as user 65532, with nothing but its programs (no shell)", async () => {
    const inspect = await docker(["image", "inspect", "--format", "{{json .Config}}", tag]);
    const config = JSON.parse(inspect.stdout) as { User: string; Entrypoint: string[] };
    expect(config).toMatchObject({ User: "65532:65532", Entrypoint: ["kubectl-autoupdate"] });
    expect(await runImage(tag, ["--version"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
    const shell = await runImage(tag, ["-c", "true"], ["--entrypoint", "/bin/sh"]);
    expect(shell.code).not.toBe(0);
  });

  it("holds nothing of the machine that built it: its DNS settings and name are the runtime's", async () => {
    const arch = process.arch === "arm64" ? "arm64" : "amd64";
    const listed = await run("tar", ["-tf", join(repoRoot, "dist", "image", `linux-${arch}`, "rootfs.tar")]);
    expect(listed.code, listed.stderr).toBe(0);
    const files = listed.stdout.split("\n");
    expect(files).toContain("./etc/passwd");
    expect(files.filter((file) => /^\.\/etc\/(resolv\.conf|hostname)$/.test(file))).toEqual([]);
  });

  it("has kubectl, and the -docker variant the docker CLI", async () => {
    const k = await runImage(tag, ["version", "--client", "-o", "json"], ["--entrypoint", "kubectl"]);
    expect(k.code, k.stderr).toBe(0);
    expect(JSON.parse(k.stdout)).toMatchObject({ clientVersion: { gitVersion: "v1.35.4" } });
    const d = await runImage(`${tag}-docker`, ["--version"], ["--entrypoint", "docker"]);
    expect(d.stdout).toMatch(/^Docker version \d+\./);
  });

  it("carries the licences of what it holds", async () => {
    const files = await filesIn(`${tag}-docker`, "/usr/share/licenses");
    expect(files.sort()).toEqual([
      "docker/copyright",
      "kubectl-autoupdate/LICENSE",
      "kubectl-autoupdate/LICENSE-node",
      "kubectl-autoupdate/THIRD_PARTY_LICENSES",
      "kubectl/LICENSE",
    ]);
    // The Debian packages' own, each beside its package, and nothing else of their docs.
    const docs = await filesIn(tag, "/usr/share/doc");
    expect(docs).toContain("libc6/copyright");
    expect(docs.filter((f) => !f.endsWith("/copyright"))).toEqual([]);
  });

  it("plans against a real control plane from inside the container", async () => {
    const ns = "image-plan";
    expect((await kubectl(["create", "namespace", ns])).code).toBe(0);
    const created = await kubectl([
      "-n",
      ns,
      "create",
      "deployment",
      "web",
      "--image=127.0.0.1:1/web:latest",
      "--replicas=2",
    ]);
    expect(created.code, created.stderr).toBe(0);
    // The controller manager creates the pods (no node runs them: they stay Pending).
    let pods: string[] = [];
    for (let i = 0; i < 60 && pods.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 500));
      pods = (await kubectl(["-n", ns, "get", "pods", "-o", "name"])).stdout
        .trim()
        .split("\n")
        .filter(Boolean);
    }
    expect(pods).toHaveLength(2);

    const plan = await runImage(
      tag,
      ["plan", "-n", ns, "-o", "json", "--resolver", "registry"],
      ["--network", "host", "--volume", `${kubeconfig}:/kube/config:ro`, "--env", "KUBECONFIG=/kube/config"],
    );
    expect(plan.code, plan.stderr).toBe(0);
    const doc = JSON.parse(plan.stdout) as { kind: string; pods: { namespace: string; name: string }[] };
    expect(doc.kind).toBe("Plan");
    expect(doc.pods.map((p) => `pod/${p.name}`).sort()).toEqual(pods.sort());
    expect(doc.pods.every((p) => p.namespace === ns)).toBe(true);
  });
});
