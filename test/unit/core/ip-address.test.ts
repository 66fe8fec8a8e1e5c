import { describe, expect, it } from "vitest";
import { isLoopback, parseIpAddress, unbracket } from "../../../src/core/ip-address.js";

const bytes = (text: string) => {
  const address = parseIpAddress(text);
  return address && [...address];
};

describe("parseIpAddress reads addresses as Go's net.ParseIP does", () => {
  it.each([
    ["10.1.2.3", [10, 1, 2, 3]],
    ["0.0.0.0", [0, 0, 0, 0]],
    ["::ffff:10.1.2.3", [10, 1, 2, 3]],
    ["::FFFF:a01:203", [10, 1, 2, 3]],
    ["::1", [...Array(15).fill(0), 1]],
    ["2001:db8::", [0x20, 0x01, 0x0d, 0xb8, ...Array(12).fill(0)]],
    ["1:2:3:4:5:6:7:8", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
    ["::", Array(16).fill(0)],
  ])("%s", (text, expected) => {
    expect(bytes(text)).toEqual(expected);
  });

  it.each([
    "010.0.0.1",
    "256.0.0.1",
    "1.2.3",
    "1.2.3.4.5",
    "1.2.3.4::",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "12345::",
    "[::1]",
    "localhost",
    "",
  ])("%s is no address", (text) => {
    expect(parseIpAddress(text)).toBeNull();
  });
});

describe("isLoopback", () => {
  it.each([
    ["localhost", true],
    ["LOCALHOST", true],
    ["127.0.0.1", true],
    ["127.255.0.9", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["0:0:0:0:0:0:0:1", true],
    ["128.0.0.1", false],
    ["::2", false],
    ["127.0.0.01", false],
    ["localhost.example", false],
  ])("%s → %s", (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });

  it("takes hosts without brackets: unbracket gives it a URL's", () => {
    expect(isLoopback(unbracket(new URL("https://[::1]:5000/").hostname))).toBe(true);
  });
});
