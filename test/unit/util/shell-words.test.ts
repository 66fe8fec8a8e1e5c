import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { shellWords } from "../../../src/util/shell-words.js";

describe("shellWords", () => {
  it("leaves plain flags as they are", () => {
    expect(shellWords(["-n", "ops", "--kubeconfig=/home/me/.kube/config", "--context=kind-kind"])).toBe(
      "-n ops --kubeconfig=/home/me/.kube/config --context=kind-kind",
    );
  });

  it("quotes what a shell would split or expand, and a shell reads back the same words", () => {
    const words = ["--kubeconfig=/home/me/my configs/k", "--context=it's", "--as=$USER", "a*", ""];
    const line = shellWords(words);
    expect(line).toBe(`'--kubeconfig=/home/me/my configs/k' '--context=it'\\''s' '--as=$USER' 'a*' ''`);
    const echoed = execFileSync("sh", ["-c", `for w in ${line}; do printf '%s\\n' "$w"; done`], {
      encoding: "utf8",
    });
    expect(echoed).toBe(`${words.join("\n")}\n`);
  });
});
