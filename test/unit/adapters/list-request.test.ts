import { describe, expect, it } from "vitest";
import { defaultNamespace } from "../../../src/adapters/default-namespace.js";
import {
  continueTokenOf,
  isExpiredContinue,
  listedResources,
  pageUri,
} from "../../../src/adapters/list-request.js";

const pods = listedResources["pods"]!;

describe("pageUri", () => {
  it("all namespaces: the cluster-wide path; a namespace: its path segment", () => {
    expect(pageUri(pods, { limit: 500 })).toBe("/api/v1/pods?limit=500");
    expect(pageUri(pods, { namespace: "shop", limit: 500 })).toBe("/api/v1/namespaces/shop/pods?limit=500");
    expect(pageUri(listedResources["replicasets.apps"]!, { namespace: "shop", limit: 2 })).toBe(
      "/apis/apps/v1/namespaces/shop/replicasets?limit=2",
    );
    expect(pageUri(listedResources["jobs.batch"]!, { limit: 2 })).toBe("/apis/batch/v1/jobs?limit=2");
  });

  it("selectors and the continue token are encoded query parameters that decode to what was given", () => {
    const query = {
      namespace: "shop",
      labelSelector: "app in (web, api),tier!=db,team=a&b",
      fieldSelector: "spec.nodeName=node-1,status.phase!=Succeeded",
      limit: 2000,
      continueToken: "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTIzLCJzdGFydCI6InNob3AvcG9kLWEifQ+/=",
    };
    const uri = pageUri(pods, query);
    expect(uri).not.toMatch(/[ ()]/);
    const parsed = new URL(uri, "https://api.invalid");
    expect(parsed.pathname).toBe("/api/v1/namespaces/shop/pods");
    expect(Object.fromEntries(parsed.searchParams)).toEqual({
      limit: "2000",
      labelSelector: query.labelSelector,
      fieldSelector: query.fieldSelector,
      continue: query.continueToken,
    });
  });

  it("empty selectors are left out", () => {
    expect(pageUri(pods, { limit: 1, labelSelector: "", fieldSelector: "" })).toBe("/api/v1/pods?limit=1");
  });

  it("selectors are trimmed as kubectl trims them (the API server does not): a blank one is none", () => {
    const uri = pageUri(pods, { limit: 1, labelSelector: " app=web ", fieldSelector: " spec.nodeName=n1 " });
    const query = new URL(uri, "https://api.invalid").searchParams;
    expect([query.get("labelSelector"), query.get("fieldSelector")]).toEqual(["app=web", "spec.nodeName=n1"]);
    expect(pageUri(pods, { limit: 1, labelSelector: "  ", fieldSelector: "\t" })).toBe(
      "/api/v1/pods?limit=1",
    );
  });
});

describe("continue handling", () => {
  it("the token is the List metadata's continue; none or empty means the last page", () => {
    expect(continueTokenOf({ resourceVersion: "9", continue: "abc", remainingItemCount: 3 })).toBe("abc");
    expect(continueTokenOf({ resourceVersion: "9" })).toBeNull();
    expect(continueTokenOf({ continue: "" })).toBeNull();
    expect(continueTokenOf(null)).toBeNull();
    expect(continueTokenOf("abc")).toBeNull();
  });

  it("only a 410 (Expired or Gone) means the token expired, on whichever line kubectl printed it", () => {
    expect(
      isExpiredContinue(
        "Error from server (Expired): The provided continue parameter is too old to display a consistent list result.\n",
      ),
    ).toBe(true);
    expect(isExpiredContinue("Warning: deprecated\nError from server (Gone): too old\n")).toBe(true);
    expect(isExpiredContinue("error: 410 while accessing https://x/api/v1/pods: gone\n")).toBe(true);
    // A 410 with no Status body (a proxy's), as kubectl 1.32 prints it.
    expect(
      isExpiredContinue(
        "Error from server: the server responded with the status code 410 but did not return more information\n",
      ),
    ).toBe(true);
    expect(isExpiredContinue("Error from server: the server responded with the status code 4100\n")).toBe(
      false,
    );
    expect(isExpiredContinue('Error from server (Forbidden): pods is forbidden: User "x"\n')).toBe(false);
    expect(isExpiredContinue("Error from server (InternalError): Expired lease\n")).toBe(false);
    expect(isExpiredContinue("")).toBe(false);
  });
});

describe("defaultNamespace: kubectl's choice without -n", () => {
  it("the context's namespace wins, even 'default' set explicitly, inside a pod too", () => {
    expect(defaultNamespace("team-a", null)).toBe("team-a");
    expect(defaultNamespace("default", { podNamespace: "ops" })).toBe("default");
  });

  it("no namespace in the context: inside a pod $POD_NAMESPACE, then the token's namespace file", () => {
    expect(defaultNamespace("", { podNamespace: "ops", fileNamespace: "sa-ns" })).toBe("ops");
    expect(defaultNamespace("", { fileNamespace: "sa-ns" })).toBe("sa-ns");
    expect(defaultNamespace("", {})).toBe("default");
  });

  it("outside a pod: default", () => {
    expect(defaultNamespace("", null)).toBe("default");
  });
});
