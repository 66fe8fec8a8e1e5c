import { describe, expect, it } from "vitest";
import { checkSelector } from "../../../../src/cron/core/selector.js";

describe("checkSelector", () => {
  it.each([
    "app=web",
    "app==web",
    "app!=web",
    "app",
    "!canary",
    "app=web,tier!=db",
    "environment in (production, qa)",
    "tier notin (frontend,backend),!legacy",
    "example.com/team=payments",
    "app=",
    "replicas>2",
    "replicas<9223372036854775807",
    " app = web , tier ",
    "app=web\t,\ttier",
    "app=web\r\n,tier",
    // apimachinery reads an empty place in the list as the empty value.
    "app in ()",
    "app in (,)",
    "app notin (web,)",
  ])("accepts %j", (selector) => {
    expect(checkSelector(selector)).toEqual({ ok: true, value: selector.trim() });
  });

  it.each([
    ["", "the selector is empty"],
    ["app=web,", "expected a label key, found the end"],
    [",app", 'expected a label key, found ","'],
    ["app=we b", 'expected "," or the end, found "b"'],
    ["app in (a,b", 'unclosed "(" after "app in"'],
    ["env in (prod staging)", 'found "staging" after "prod", expected "," or ")"'],
    ["app in a", '"in" needs a "(", found "a"'],
    ["-app=web", '"-app" is not a valid label key'],
    ["Example.com/app=web", 'label key "Example.com/app" has an invalid prefix "Example.com"'],
    ["app=-web", '"-web" is not a valid label value'],
    [`app=${"x".repeat(64)}`, "is not a valid label value"],
    ["app>two", '"app>" needs a whole number from 0 to 2^63-1, found "two"'],
    ["app<-5", '"app<" needs a whole number from 0 to 2^63-1, found "-5"'],
    ["app>9223372036854775808", 'needs a whole number from 0 to 2^63-1, found "9223372036854775808"'],
    [`app>${"0".repeat(63)}1`, "is not a valid label value"],
    ["!app=web", '"!app" takes no operator or value, found "="'],
    ["app web", 'after "app" expected =, ==, !=, in, notin, > or <, found "web"'],
    // Only space, tab, CR and LF separate words, as in apimachinery's lexer.
    ["app=web\u00a0", '"web\u00a0" is not a valid label value'],
  ])("refuses %j", (selector, message) => {
    const result = checkSelector(selector);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.message).toContain(message);
  });
});
