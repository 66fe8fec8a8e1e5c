/**
 * Completion decided on the real program's definitions (createProgram): verbs, each verb's own flags,
 * commander's choices, the lookups with the connection flags typed so far, and cobra's directives.
 */
import { describe, expect, it } from "vitest";
import { createProgram } from "../../../src/cli/program.js";
import { type Answer, complete, Directive } from "../../../src/completion/complete.js";
import { formatAnswer } from "../../../src/completion/protocol.js";
import { describeProgram } from "../../../src/completion/spec.js";
import { testIo } from "../../support/test-io.js";

const io = testIo();
const spec = describeProgram(createProgram(io));

const at = (...words: string[]) => complete(spec, words);
const values = (answer: Answer) => {
  if (answer.kind !== "candidates") throw new Error(`expected candidates, got a ${answer.lookup} lookup`);
  return answer.candidates.map((c) => c.value);
};

describe("the verb", () => {
  it("offers every visible verb with its summary, never __complete, and no file names", () => {
    const answer = at("");
    expect(values(answer)).toEqual([
      "plan",
      "apply",
      "install-cron",
      "uninstall-cron",
      "run-now",
      "cron-status",
      "help",
    ]);
    expect(answer).toMatchObject({ directive: Directive.noFileComp });
    if (answer.kind === "candidates") {
      expect(answer.candidates[0]).toEqual({
        value: "plan",
        description: "list pods whose image tag has moved (read-only)",
      });
    }
  });

  it("filters by what is typed", () => {
    expect(values(at("p"))).toEqual(["plan"]);
    expect(values(at("cron"))).toEqual(["cron-status"]);
    expect(values(at("x"))).toEqual([]);
  });

  it("offers the program's own flags before a verb, then those every verb has", () => {
    const offered = values(at("--"));
    expect(offered.slice(0, 2)).toEqual(["--version", "--help"]);
    expect(offered).toContain("--context");
    expect(offered).not.toContain("--selector");
    expect(new Set(offered).size).toBe(offered.length);
  });

  it("an unknown verb is an error: nothing to offer", () => {
    expect(at("deploy", "")).toEqual({ kind: "candidates", candidates: [], directive: Directive.error });
  });

  it("after flags given before the verb (`-n web plan`): the verbs they belong to, then the verb's words", () => {
    expect(values(at("-n", "web", "pl"))).toEqual(["plan"]);
    expect(values(at("--exit-code", ""))).toEqual(["plan"]);
    expect(at("-n", "")).toMatchObject({ kind: "lookup", lookup: "namespaces", prefix: "" });
    expect(at("--context", "dev", "-n", "w")).toMatchObject({
      lookup: "namespaces",
      flags: { context: "dev" },
    });
    expect(values(at("-n", "web", "plan", "--exit"))).toEqual(["--exit-code"]);
    expect(values(at("-A", "apply", "-o", ""))).toEqual(values(at("apply", "-A", "-o", "")));
    // Before the verb, only the flags every verb they fit has: not -A, which the cron verbs lack.
    expect(values(at("-n", "web", "--cont"))).toEqual(["--context"]);
    expect(values(at("-n", "web", "--all-n"))).toEqual([]);
    expect(values(at("-A", "--all-n"))).toEqual([]);
    expect(at("--bogus", "")).toEqual({ kind: "candidates", candidates: [], directive: Directive.error });
    // As the CLI reads them: combined short flags, kubectl's log level, help.
    expect(values(at("-An", "web", "ap"))).toEqual(["apply"]);
    expect(values(at("-v", "6", "-h", "run"))).toEqual(["run-now"]);
    expect(values(at("-vA=false", "-n=web", "pl"))).toEqual(["plan"]);
    expect(values(at("-v6", "-n=web", "pl"))).toEqual(["plan"]);
    // A flag's value named like a verb is its value, as the run reads `-n plan apply`.
    expect(values(at("-n", "plan", ""))).toContain("apply");
    expect(at("-n", "plan", "")).toMatchObject({ kind: "candidates" });
  });

  it("help takes a verb, but not help itself", () => {
    expect(values(at("help", "ap"))).toEqual(["apply"]);
    expect(values(at("help", ""))).toContain("plan");
    expect(values(at("help", ""))).not.toContain("help");
  });
});

describe("flag names", () => {
  it("are the verb's own: plan has --exit-code, apply --yes, cron-status neither", () => {
    expect(values(at("plan", "--ex"))).toEqual(["--exit-code"]);
    expect(values(at("apply", "--ex"))).toEqual([]);
    expect(values(at("apply", "--y"))).toEqual(["--yes"]);
    expect(values(at("cron-status", "--y"))).toEqual([]);
    expect(values(at("install-cron", "--sch"))).toEqual(["--schedule"]);
  });

  it("`-` offers long and short forms with their help text; `--` only long ones", () => {
    const dash = at("plan", "-");
    expect(values(dash)).toContain("-n");
    expect(values(dash)).toContain("--namespace");
    if (dash.kind === "candidates") {
      expect(dash.candidates.find((c) => c.value === "-n")?.description).toBe(
        "namespace to check (default: the context's namespace)",
      );
    }
    expect(values(at("plan", "--")).every((v) => v.startsWith("--"))).toBe(true);
    expect(values(at("plan", "-n"))).toEqual(["-n"]);
  });

  it("leaves out flags already given, except repeatable ones", () => {
    const after = values(at("plan", "-n", "web", "--image", "a", "-A", "--"));
    expect(after).not.toContain("--namespace");
    expect(after).not.toContain("--all-namespaces");
    expect(after).toContain("--image");
    expect(after).toContain("--as-group");
    expect(values(at("apply", "-Ay", "--a"))).not.toContain("--all-namespaces");
  });

  it("never offers hidden flags (run-now's --poll-interval)", () => {
    expect(values(at("run-now", "--p"))).toEqual([]);
  });

  it("offer nothing, not file names, for an argument no verb takes", () => {
    expect(at("plan", "")).toEqual({ kind: "candidates", candidates: [], directive: Directive.noFileComp });
    expect(at("plan", "--", "")).toEqual({
      kind: "candidates",
      candidates: [],
      directive: Directive.noFileComp,
    });
  });
});

describe("flag values", () => {
  it("-o offers each verb's own formats", () => {
    expect(values(at("plan", "-o", ""))).toEqual(["table", "wide", "json", "yaml", "name"]);
    expect(values(at("cron-status", "--output", ""))).toEqual(["table", "json", "yaml"]);
    expect(values(at("install-cron", "-o", ""))).toEqual(["yaml", "json"]);
    expect(values(at("plan", "-o", "j"))).toEqual(["json"]);
  });

  it("--resolver, --strategy and --color offer their values, with or without `=`", () => {
    expect(values(at("plan", "--resolver", ""))).toEqual(["docker", "registry"]);
    expect(values(at("install-cron", "--resolver", ""))).toEqual(["docker", "registry"]);
    expect(values(at("apply", "--strategy", "e"))).toEqual(["evict"]);
    expect(values(at("apply", "--strategy=r"))).toEqual(["rollout"]);
    // Short flags with `=` as cobra takes them, and flags with `=` before the verb.
    expect(values(at("plan", "-o=j"))).toEqual(["json"]);
    expect(values(at("-n", "web", "--output=w"))).toEqual(["wide"]);
    expect(values(at("cron-status", "--color", ""))).toEqual(["auto", "always", "never"]);
  });

  it("a free value offers nothing and no file names; a path lets the shell complete file names", () => {
    expect(at("plan", "--selector", "")).toMatchObject({ candidates: [], directive: Directive.noFileComp });
    expect(at("plan", "--kubeconfig", "")).toMatchObject({ candidates: [], directive: Directive.default });
    expect(at("plan", "--kubectl=")).toMatchObject({ candidates: [], directive: Directive.default });
    for (const flag of ["--certificate-authority", "--client-certificate", "--client-key", "--cache-dir"]) {
      expect(at("plan", flag, "")).toMatchObject({ candidates: [], directive: Directive.default });
    }
    // The URL's file, which README recommends over the URL in argv.
    expect(at("apply", "--webhook-url-file", "")).toMatchObject({ directive: Directive.default });
    expect(at("apply", "--webhook-url-file=")).toMatchObject({ directive: Directive.default });
  });

  it("kubectl's forms of the flags typed so far reach the lookup as kubectl reads them", () => {
    expect(at("plan", "-s=https://api:6443", "--insecure-skip-tls-verify=false", "-n", "")).toMatchObject({
      lookup: "namespaces",
      flags: { server: "https://api:6443", insecureSkipTlsVerify: false },
    });
    expect(at("plan", "--no-headers=false", "-A=true", "-n", "")).toMatchObject({
      flags: { headers: true, allNamespaces: true },
    });
  });

  it("the value of a flag is not taken for a flag name", () => {
    expect(values(at("plan", "--selector", "-"))).toEqual([]);
  });

  it("namespaces are looked up with the connection flags typed so far", () => {
    expect(at("plan", "--context", "kind-dev", "--as-group=a", "--as-group", "b", "-n", "ku")).toEqual({
      kind: "lookup",
      lookup: "namespaces",
      prefix: "ku",
      flags: { context: "kind-dev", asGroup: ["a", "b"] },
    });
    expect(at("uninstall-cron", "--kubeconfig=/k", "--namespace=")).toMatchObject({
      lookup: "namespaces",
      prefix: "",
      flags: { kubeconfig: "/k" },
    });
    expect(at("apply", "-yn", "")).toMatchObject({ lookup: "namespaces", flags: { yes: true } });
    expect(at("apply", "-ys=https://api:6443", "-vA=false", "-n", "")).toMatchObject({
      flags: { yes: true, server: "https://api:6443", verbose: true, allNamespaces: false },
    });
    expect(at("plan", "-v=6", "-n", "")).toMatchObject({ flags: { verbose: true } });
  });

  it("a lookup's flag written with `=`, after the verb or first", () => {
    expect(at("plan", "-n=we")).toMatchObject({ kind: "lookup", lookup: "namespaces", prefix: "we" });
    expect(at("--context=d")).toMatchObject({ kind: "lookup", lookup: "contexts", prefix: "d" });
    expect(at("plan", "--bogus=x")).toEqual({
      kind: "candidates",
      candidates: [],
      directive: Directive.noFileComp,
    });
  });

  it("contexts are looked up for --context, clusters for --cluster and users for --user, as kubectl does", () => {
    expect(at("run-now", "--kubeconfig", "/k", "--context", "")).toEqual({
      kind: "lookup",
      lookup: "contexts",
      prefix: "",
      flags: { kubeconfig: "/k" },
    });
    expect(at("plan", "--cluster", "pr")).toMatchObject({ kind: "lookup", lookup: "clusters", prefix: "pr" });
    expect(at("apply", "--user=dev")).toMatchObject({ kind: "lookup", lookup: "users", prefix: "dev" });
  });
});

describe("the answer", () => {
  it("is cobra's: a candidate a line, a tab before its description, the directive last", () => {
    expect(
      formatAnswer([{ value: "plan", description: "list pods" }, { value: "apply" }], Directive.noFileComp),
    ).toBe("plan\tlist pods\napply\n:4\n");
    expect(formatAnswer([], Directive.error)).toBe(":1\n");
  });
});

describe("flags before the verb, from the first word", () => {
  it("the first word offers every verb's flags beside the program's own", () => {
    expect(values(at("--cont"))).toEqual(["--context"]);
    expect(values(at("--vers"))).toEqual(["--version"]);
    expect(values(at("-n", "web", "--cont"))).toEqual(["--context"]);
  });

  it("only the verbs that take the values typed: the run refuses the others", () => {
    expect(values(at("-o", "name", ""))).toEqual(["plan", "apply"]);
    expect(values(at("-o", "JSON", ""))).toEqual(["plan", "apply", "install-cron", "cron-status"]);
    expect(values(at("--dry-run=client", ""))).toEqual(["install-cron"]);
    expect(values(at("--dry-run=server", ""))).toEqual(["apply", "uninstall-cron"]);
    expect(values(at("--dry-run=true", ""))).toEqual(["apply", "install-cron", "uninstall-cron"]);
  });

  it("a value before the verb: any the verbs those flags fit take (cron-status's table beside the others')", () => {
    expect(values(at("--name", "nightly", "-o", ""))).toEqual(["yaml", "json", "table"]);
    expect(values(at("--name", "nightly", "--output=t"))).toEqual(["table"]);
    expect(values(at("-o", ""))).toEqual(expect.arrayContaining(["table", "wide", "name", "json", "yaml"]));
  });

  it("-v (kubectl's log level) before the verb does not narrow the flags to help's", () => {
    expect(values(at("-v", "--cont"))).toEqual(["--context"]);
    expect(values(at("-v", "pl"))).toEqual(["plan"]);
  });

  it("a value after short flags run together and =: the last flag's, as the run reads it", () => {
    expect(at("apply", "-yn=we")).toMatchObject({ kind: "lookup", lookup: "namespaces", prefix: "we" });
    expect(at("plan", "-n=")).toMatchObject({ kind: "lookup", lookup: "namespaces", prefix: "" });
    // -l takes the rest of the word: `region=e` is its selector, not -n's value.
    expect(at("apply", "-lregion=e")).toEqual({
      kind: "candidates",
      candidates: [],
      directive: Directive.noFileComp,
    });
    expect(at("plan", "-lrepo=")).toEqual({
      kind: "candidates",
      candidates: [],
      directive: Directive.noFileComp,
    });
  });

  it("a value with = before the verb, of a flag only some verbs have: as with a space", () => {
    expect(at("-yn=we")).toMatchObject({ kind: "lookup", lookup: "namespaces", prefix: "we" });
    expect(at("-yn", "we")).toMatchObject({ kind: "lookup", lookup: "namespaces", prefix: "we" });
    // A file: the shell completes its name.
    expect(at("-n", "web", "--webhook-url-file=")).toMatchObject({ directive: Directive.default });
    expect(at("-n", "web", "--webhook-url-file", "")).toMatchObject({ directive: Directive.default });
    // No verb has it: nothing, as before.
    expect(at("--no-such=")).toEqual({ kind: "candidates", candidates: [], directive: Directive.noFileComp });
  });
});
