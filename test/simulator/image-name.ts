/**
 * Image references as a container runtime reads them (distribution/reference's normalization), written
 * here independently of src/core so that the simulator does not share the product's mistakes.
 */

import { networkInterfaces } from "node:os";

export interface ImageName {
  /** Registry host[:port], `docker.io` for Docker Hub. */
  domain: string;
  /** Repository path inside the registry (`library/nginx`). */
  path: string;
  tag: string | null;
  digest: string | null;
}

export class InvalidImageNameError extends Error {}

const component = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;

/** Parses `[domain/]path[:tag][@digest]`; no tag and no digest means `:latest`. */
export function parseImageName(image: string): ImageName {
  let rest = image;
  let digest: string | null = null;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/.test(digest)) {
      throw new InvalidImageNameError(`invalid digest in "${image}"`);
    }
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new InvalidImageNameError(`invalid tag in "${image}"`);
  }
  const slash = rest.indexOf("/");
  const first = slash === -1 ? "" : rest.slice(0, slash);
  let domain: string;
  let path: string;
  if (
    slash !== -1 &&
    (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase())
  ) {
    domain = first;
    path = rest.slice(slash + 1);
  } else {
    domain = "docker.io";
    path = rest;
  }
  if (domain === "index.docker.io") domain = "docker.io";
  if (domain === "docker.io" && !path.includes("/")) path = `library/${path}`;
  if (path.split("/").some((c) => !component.test(c))) {
    throw new InvalidImageNameError(`invalid reference format: "${image}"`);
  }
  if (tag === null && digest === null) tag = "latest";
  return { domain, path, tag, digest };
}

/** `domain/path`, as containerd and CRI-O print repositories. */
export function qualifiedRepo(name: ImageName): string {
  return `${name.domain}/${name.path}`;
}

/** The name docker prints in RepoTags and RepoDigests (`nginx`, `user/app`, `127.0.0.1:5000/app`). */
export function familiarRepo(name: ImageName): string {
  if (name.domain !== "docker.io") return qualifiedRepo(name);
  return name.path.startsWith("library/") ? name.path.slice("library/".length) : name.path;
}

/** `domain/path:tag` (or `@digest` when pinned without a tag): the image's key in a node's store. */
export function qualifiedRef(name: ImageName): string {
  return name.tag !== null ? `${qualifiedRepo(name)}:${name.tag}` : `${qualifiedRepo(name)}@${name.digest}`;
}

/** The registry host the API is reached on (Docker Hub's API is not on docker.io). */
export function apiHost(domain: string): string {
  return domain === "docker.io" ? "registry-1.docker.io" : domain;
}

/**
 * Whether a registry host is on this machine: loopback, or an address of one of its interfaces (those the
 * test bed creates). The tests send traffic nowhere else, so the simulator pulls from nowhere else.
 */
export function onThisMachine(domain: string): boolean {
  const host = domain.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  if (isLoopback(domain)) return true;
  return Object.values(networkInterfaces()).some((addresses) => addresses?.some((a) => a.address === host));
}

/** Loopback registries are spoken to over plain HTTP, as containerd and docker do. */
export function isLoopback(domain: string): boolean {
  const host = domain.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}
