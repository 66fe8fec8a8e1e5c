/**
 * The kuberc this tool's kubectl calls get: the user's exec credential plugin policy alone, so a plugin the
 * user's own kubectl refuses to run is refused here too, and none of the defaults or aliases meant for
 * people typing.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Exec } from "../../../src/adapters/exec.js";
import { Kubectl } from "../../../src/adapters/kubectl.js";
import { kubercForCalls } from "../../../src/adapters/kuberc.js";

const homes: string[] = [];
afterAll(() => {
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
});

/** A home whose ~/.kube/kuberc holds `text` (none when null). */
function home(text: string | null): string {
  const dir = mkdtempSync(join(tmpdir(), "kau-unit-kuberc-"));
  homes.push(dir);
  mkdirSync(join(dir, ".kube"));
  if (text !== null) writeFileSync(join(dir, ".kube", "kuberc"), text);
  return dir;
}

const head = "apiVersion: kubectl.config.k8s.io/v1beta1\nkind: Preference\n";
const wideByDefault =
  "defaults:\n  - command: get\n    options:\n      - name: output\n        default: wide\n";

describe("kubercForCalls", () => {
  it("keeps the plugin policy and its allowlist, and nothing else, in a kuberc only the user can read", async () => {
    const policy =
      "credentialPluginPolicy: Allowlist\ncredentialPluginAllowlist:\n  - name: /usr/local/bin/kubelogin\n";
    const kuberc = await kubercForCalls({}, home(head + wideByDefault + policy));
    expect(kuberc).not.toBe("off");
    expect(JSON.parse(readFileSync(kuberc, "utf8"))).toEqual({
      apiVersion: "kubectl.config.k8s.io/v1beta1",
      kind: "Preference",
      credentialPluginPolicy: "Allowlist",
      credentialPluginAllowlist: [{ name: "/usr/local/bin/kubelogin" }],
    });
    expect(statSync(kuberc).mode & 0o077).toBe(0);
  });

  it("reads the kuberc $KUBERC names, as kubectl does", async () => {
    const elsewhere = join(home(null), "my-kuberc");
    writeFileSync(elsewhere, `${head}credentialPluginPolicy: DenyAll\n`);
    const kuberc = await kubercForCalls({ KUBERC: elsewhere }, home(null));
    expect(JSON.parse(readFileSync(kuberc, "utf8"))).toMatchObject({ credentialPluginPolicy: "DenyAll" });
  });

  it("keeps the policy of a kuberc kubectl reads with a warning: a key given twice, taken at its last value", async () => {
    // A second defaults section appended by hand: kubectl 1.35 warns of a strict decoding error, and
    // applies the rest.
    const allowlist = "credentialPluginPolicy: Allowlist\ncredentialPluginAllowlist:\n  - name: kubelogin\n";
    const kuberc = await kubercForCalls({}, home(head + wideByDefault + allowlist + wideByDefault));
    expect(JSON.parse(readFileSync(kuberc, "utf8"))).toMatchObject({
      credentialPluginPolicy: "Allowlist",
      credentialPluginAllowlist: [{ name: "kubelogin" }],
    });
  });

  it("refuses a kuberc named by --kuberc or $KUBERC that cannot be read, as kubectl refuses to run", async () => {
    const missing = join(home(null), "typo-kuberc");
    await expect(kubercForCalls({}, home(null), missing)).rejects.toThrow(
      `kuberc ${missing} cannot be read (ENOENT), and kubectl runs nothing without the kuberc --kuberc names; fix or drop --kuberc`,
    );
    await expect(kubercForCalls({ KUBERC: missing }, home(null))).rejects.toThrow(
      /fix \$KUBERC, or set it to off for none$/,
    );
    // A URL given by mistake is not repeated: its path may hold a token.
    await expect(kubercForCalls({}, home(null), "https://hooks.example.test/s3cr3t")).rejects.toThrow(
      /^kuberc \(not shown: it may hold credentials\) cannot be read/,
    );
  });

  it("is off with no policy to keep: none, defaults and aliases only, or KUBERC=off", async () => {
    expect(await kubercForCalls({}, home(null))).toBe("off");
    expect(await kubercForCalls({}, home(head + wideByDefault))).toBe("off");
    const policy = home(`${head}credentialPluginPolicy: DenyAll\n`);
    expect(await kubercForCalls({ KUBERC: "off" }, policy)).toBe("off");
  });

  it("is off, $KUBERC named or not, when KUBECTL_KUBERC=false turns kubectl's kuberc off", async () => {
    const policy = home(`${head}credentialPluginPolicy: DenyAll\n`);
    expect(await kubercForCalls({ KUBECTL_KUBERC: "False" }, policy)).toBe("off");
    const missing = join(home(null), "typo-kuberc");
    expect(await kubercForCalls({ KUBECTL_KUBERC: "false", KUBERC: missing }, home(null))).toBe("off");
  });

  it("reads a kuberc of several documents as kubectl does: the first Preference", async () => {
    const other = "apiVersion: kubectl.config.k8s.io/v1alpha1\nkind: Other\n";
    const twice = `${other}---\n${head}credentialPluginPolicy: DenyAll\n---\n`;
    const kuberc = await kubercForCalls({}, home(twice));
    expect(JSON.parse(readFileSync(kuberc, "utf8"))).toMatchObject({ credentialPluginPolicy: "DenyAll" });
  });

  it("a policy in a v1alpha1 Preference, which has no such field, is none: kubectl warns of it and runs the plugin", async () => {
    const alpha =
      "apiVersion: kubectl.config.k8s.io/v1alpha1\nkind: Preference\ncredentialPluginPolicy: DenyAll\n";
    expect(await kubercForCalls({}, home(alpha))).toBe("off");
  });

  it("a policy it cannot read runs no plugin rather than any", async () => {
    const kuberc = await kubercForCalls({}, home("credentialPluginPolicy: [unclosed\n"));
    expect(JSON.parse(readFileSync(kuberc, "utf8"))).toMatchObject({ credentialPluginPolicy: "DenyAll" });
  });

  it("is what every kubectl this tool runs gets", async () => {
    const saved = process.env["KUBERC"];
    const policy = join(home(null), "kuberc");
    writeFileSync(policy, `${head}${wideByDefault}credentialPluginPolicy: DenyAll\n`);
    process.env["KUBERC"] = policy;
    try {
      const seen: (string | undefined)[] = [];
      const exec: Exec = async (_file, _args, options) => {
        seen.push(options?.env?.["KUBERC"]);
        return { exitCode: 0, stdout: "shop\n", stderr: "", interrupted: false };
      };
      await new Kubectl(exec, "kubectl", {}).namespaceKubectlWouldUse();
      expect(seen).toHaveLength(1);
      expect(JSON.parse(readFileSync(seen[0]!, "utf8"))).toEqual({
        apiVersion: "kubectl.config.k8s.io/v1beta1",
        kind: "Preference",
        credentialPluginPolicy: "DenyAll",
      });
    } finally {
      if (saved === undefined) delete process.env["KUBERC"];
      else process.env["KUBERC"] = saved;
    }
  });

  it("is read from --kuberc before $KUBERC, as kubectl reads it, and the flag is not passed on", async () => {
    const flagged = join(home(null), "flagged-kuberc");
    writeFileSync(flagged, `${head}credentialPluginPolicy: DenyAll\n`);
    const calls: { args: readonly string[]; kuberc: string | undefined }[] = [];
    const exec: Exec = async (_file, args, options) => {
      calls.push({ args, kuberc: options?.env?.["KUBERC"] });
      return { exitCode: 0, stdout: "shop\n", stderr: "", interrupted: false };
    };
    const saved = process.env["KUBERC"];
    process.env["KUBERC"] = "off";
    try {
      await new Kubectl(exec, "kubectl", { kuberc: flagged }).namespaceKubectlWouldUse();
    } finally {
      if (saved === undefined) delete process.env["KUBERC"];
      else process.env["KUBERC"] = saved;
    }
    expect(calls[0]?.args.some((arg) => arg.includes("kuberc"))).toBe(false);
    expect(JSON.parse(readFileSync(calls[0]!.kuberc!, "utf8"))).toMatchObject({
      credentialPluginPolicy: "DenyAll",
    });
  });
});
