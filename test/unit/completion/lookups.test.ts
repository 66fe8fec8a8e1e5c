/**
 * completion's kubectl lookups on a real process: a TAB is bounded even when kubectl leaves a child that
 * holds its output open (a credential plugin waiting for a login), which outlives kubectl's own kill.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lookUp } from "../../../src/completion/lookups.js";
import { testIo } from "../../support/test-io.js";

const io = testIo();

/** A kubectl that runs `script`. */
function fakeKubectl(script: string): { kubectl: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "kau-lookup-"));
  const kubectl = join(dir, "kubectl");
  writeFileSync(kubectl, `#!/bin/sh\n${script}\n`);
  chmodSync(kubectl, 0o755);
  return { kubectl, dir };
}

describe("a namespace lookup", () => {
  it("gives up at its timeout even while a child of kubectl holds its stderr open", async () => {
    // Without the bound, the lookup would wait for the child's 60 s, far past the test's own timeout.
    const { kubectl, dir } = fakeKubectl(
      'sleep 60 >/dev/null &\necho $! >"$(dirname "$0")/child"\nexec sleep 60',
    );
    try {
      expect(await lookUp("namespaces", { kubectl }, io, 200)).toBeNull();
    } finally {
      process.kill(Number(readFileSync(join(dir, "child"), "utf8")));
    }
  });

  it("reads kubectl's answer when it comes in time", async () => {
    const { kubectl } = fakeKubectl("printf 'namespace/default\\nnamespace/web\\n'");
    expect(await lookUp("namespaces", { kubectl }, io, 5000)).toEqual(["default", "web"]);
  });
});

describe("a context lookup", () => {
  it("offers the kubeconfig's names exactly, leaving out those a control character would break", async () => {
    const config = {
      contexts: [
        { name: "namespace/prod" },
        { name: " padded " },
        { name: "multi\nline" },
        { name: "\u001b]0;owned\u0007" },
        { name: "kind-dev" },
      ],
    };
    const { kubectl } = fakeKubectl(`cat <<'EOF'\n${JSON.stringify(config)}\nEOF`);
    expect(await lookUp("contexts", { kubectl }, io, 5000)).toEqual([
      "namespace/prod",
      " padded ",
      "kind-dev",
    ]);
  });

  it("clusters and users come from the same kubeconfig, each from its own list", async () => {
    const config = {
      contexts: [{ name: "dev" }],
      clusters: [{ name: "dev-cluster" }, { name: "prod-cluster" }],
      users: [{ name: "dev-admin" }, { name: "bad\nname" }],
    };
    const { kubectl } = fakeKubectl(`cat <<'EOF'\n${JSON.stringify(config)}\nEOF`);
    expect(await lookUp("clusters", { kubectl }, io, 5000)).toEqual(["dev-cluster", "prod-cluster"]);
    expect(await lookUp("users", { kubectl }, io, 5000)).toEqual(["dev-admin"]);
  });
});
