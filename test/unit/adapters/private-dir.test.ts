/** The private directories credentials are handed to child programs in. */
import { describe, expect, it } from "vitest";
import { createPrivateDir, removePrivateDirs } from "../../../src/adapters/private-dir.js";

describe("the private directories for credentials", () => {
  it("in a temp directory that is missing: one line that says how to fix it", () => {
    const saved = process.env["TMPDIR"];
    process.env["TMPDIR"] = "/nonexistent-tmpdir";
    try {
      expect(() => createPrivateDir("kubectl-autoupdate-docker")).toThrow(
        "cannot make a private directory in /nonexistent-tmpdir (ENOENT); set TMPDIR to a directory this user can write, with room to spare",
      );
    } finally {
      if (saved === undefined) delete process.env["TMPDIR"];
      else process.env["TMPDIR"] = saved;
      removePrivateDirs();
    }
  });
});
