import { expect, it } from "vitest";
import { whyCannotAsk } from "../../../src/adapters/terminal.js";

const stream = (isTTY: boolean) => ({ isTTY }) as unknown as NodeJS.ReadStream & NodeJS.WriteStream;

it("asks only with stdin and stderr both the terminal: not where the question could not be seen", () => {
  expect(whyCannotAsk(stream(true), stream(true))).toBeNull();
  expect(whyCannotAsk(stream(false), stream(true))).toBe("stdin is not a terminal");
  // `apply 2>apply.log` typed at a terminal.
  expect(whyCannotAsk(stream(true), stream(false))).toBe(
    "stderr is not a terminal, so the question could not be seen",
  );
});
