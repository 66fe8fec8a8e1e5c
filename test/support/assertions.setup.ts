/**
 * Every test asserts something: a test whose expectations sit in a loop or callback that never ran
 * fails rather than passing with none.
 */
import { beforeEach, expect } from "vitest";

beforeEach(() => {
  expect.hasAssertions();
});
