import { describe, expect, it } from "vitest";
import { exactDuration, formatAge } from "../../../src/util/age.js";

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe("formatAge", () => {
  it.each([
    [-5 * s, "0s"],
    [500, "0s"],
    [119 * s, "119s"],
    [2 * m, "2m"],
    [5 * m + 30 * s, "5m30s"],
    [10 * m + 30 * s, "10m"],
    [90 * m, "90m"],
    [3 * h + 20 * m, "3h20m"],
    [8 * h + 20 * m, "8h"],
    [30 * h, "30h"],
    [3 * d + 5 * h, "3d5h"],
    [8 * d + 5 * h, "8d"],
    [400 * d, "400d"],
    [2 * 365 * d + 15 * d, "2y15d"],
    [9 * 365 * d, "9y"],
  ])("%d ms reads %s, as kubectl get prints an age", (ms, shown) => {
    expect(formatAge(ms)).toBe(shown);
  });
});

describe("exactDuration", () => {
  it.each([
    [150 * s, 1000, "2m30s"],
    [10 * h + 30 * m, 1000, "10h30m"],
    [36 * h, 1000, "36h"],
    [2 * m + 10 * s + 345, 1000, "2m10s"],
    [1500, 1, "1s500ms"],
    [500, 1, "500ms"],
    [0, 1000, "0s"],
  ])("%d ms to %d ms reads %s", (ms, unit, shown) => {
    expect(exactDuration(ms, unit)).toBe(shown);
  });
});
