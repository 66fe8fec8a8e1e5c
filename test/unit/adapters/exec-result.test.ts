/** Reading kubectl's answers is text work: it loads no process runner (execa), which only running needs. */
import { expect, it, vi } from "vitest";

vi.mock("execa", () => {
  throw new Error("execa was loaded");
});

it("kubectl's errors are read without loading execa", async () => {
  await expect(import("../../../src/adapters/kubectl-errors.js")).resolves.toHaveProperty("kubectlFailure");
});
