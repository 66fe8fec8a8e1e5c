/**
 * What of the user's kuberc reaches this tool's kubectl calls. Its defaults and aliases are for people
 * typing, and must not (a default `get -o wide` makes `get --raw` fail, a default `delete --interactive`
 * `delete --raw`); its exec credential plugin policy (kubectl ≥ 1.35: `credentialPluginPolicy`,
 * `credentialPluginAllowlist`) must: a kubeconfig's plugin the user's own kubectl refuses to run is not run
 * by this tool's either. So kubectl gets a kuberc of the policy alone, or none (`off`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import { shownValue } from "../util/shown-value.js";
import { createPrivateDir, writePrivateFile } from "./private-dir.js";

const policyFields = ["credentialPluginPolicy", "credentialPluginAllowlist"] as const;

const made = new Map<string, Promise<string>>();

/** The KUBERC value for this tool's kubectl: a private kuberc holding the user's plugin policy, or `off`. */
export function kubercForCalls(
  env: Readonly<Record<string, string | undefined>>,
  home: string,
  flag?: string,
): Promise<string> {
  // kubectl's switch for kuberc as a whole: with it off, no kuberc is read, not even one named.
  if (env["KUBECTL_KUBERC"]?.toLowerCase() === "false") return Promise.resolve("off");
  // As kubectl finds it: --kuberc, else $KUBERC (`off` for none), else ~/.kube/kuberc.
  const path = flag || env["KUBERC"] || join(home, ".kube", "kuberc");
  if (path === "off") return Promise.resolve("off");
  // One named (by the flag or $KUBERC) must be read, as kubectl refuses to run without it.
  const named = flag ? "--kuberc" : env["KUBERC"] ? "$KUBERC" : undefined;
  const key = `${named ?? "default"} ${path}`;
  let kuberc = made.get(key);
  if (!kuberc) {
    kuberc = policyKuberc(path, named);
    made.set(key, kuberc);
  }
  return kuberc;
}

async function policyKuberc(path: string, named: string | undefined): Promise<string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (named === undefined) return "off";
    const why = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError(
      `kuberc ${shownValue(path)} cannot be read (${why}), and kubectl runs nothing without the kuberc ${named} names; ${named === "--kuberc" ? "fix or drop --kuberc" : "fix $KUBERC, or set it to off for none"}`,
    );
  }
  // Most kubercs hold no policy: the YAML parser is loaded only for one that may.
  if (!policyFields.some((field) => text.includes(field))) return "off";
  const { parseAllDocuments } = await import("yaml");
  // As kubectl reads it: the first of its documents that is a Preference (a file may hold one per version),
  // a key given twice taken at its last value (kubectl warns of it, and goes on).
  const preference = parseAllDocuments(text, { uniqueKeys: false })
    .filter((document) => document.errors.length === 0)
    .map((document): unknown => document.toJS())
    .find((value) => (value as { kind?: unknown } | null)?.kind === "Preference") as
    | Record<string, unknown>
    | undefined;
  // v1alpha1 has no policy fields: kubectl warns of them as unknown and runs every plugin.
  if (preference?.["apiVersion"] === "kubectl.config.k8s.io/v1alpha1") return "off";
  // A policy this tool cannot read is not dropped: no plugin runs rather than any.
  const policy = preference
    ? Object.fromEntries(
        policyFields.flatMap((field) =>
          preference[field] === undefined ? [] : [[field, preference[field]]],
        ),
      )
    : { credentialPluginPolicy: "DenyAll" };
  if (Object.keys(policy).length === 0) return "off";
  const content = JSON.stringify({
    apiVersion: "kubectl.config.k8s.io/v1beta1",
    kind: "Preference",
    ...policy,
  });
  return writePrivateFile(createPrivateDir("kubectl-autoupdate-kuberc"), "kuberc", content);
}
