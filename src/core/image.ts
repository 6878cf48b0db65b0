// imagePullPolicy's default depends on the image's tag (docs/kubernetes-facts.md §2.3): `Always` for `latest` or no
// tag and no digest, else `IfNotPresent`; an image the server cannot parse defaults to `IfNotPresent`.
// This mirrors the reference grammar the server uses (distribution/reference, ParseNormalizedNamed).

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

export type PullPolicy = "Always" | "IfNotPresent";

export function defaultPullPolicy(image: string): PullPolicy {
  const parsed = parseImage(image);
  if (!parsed) return "IfNotPresent";
  if (parsed.tag === "latest") return "Always";
  if (parsed.tag === undefined && parsed.digest === undefined) return "Always";
  return "IfNotPresent";
}

interface ImageRef {
  tag: string | undefined;
  digest: string | undefined;
}

function parseImage(image: string): ImageRef | undefined {
  const at = image.indexOf("@");
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const nameAndTag = at >= 0 ? image.slice(0, at) : image;
  if (digest !== undefined && !DIGEST.test(digest)) return undefined;
  const slash = nameAndTag.lastIndexOf("/");
  const colon = nameAndTag.lastIndexOf(":");
  const hasTag = colon > slash;
  const name = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
  const tag = hasTag ? nameAndTag.slice(colon + 1) : undefined;
  if (tag !== undefined && !TAG.test(tag)) return undefined;
  return validName(name) ? { tag, digest } : undefined;
}

function validName(name: string): boolean {
  if (name === "" || name.length > 255) return false;
  const parts = name.split("/");
  const first = parts[0] ?? "";
  // The first component is a registry host when it looks like one (dot, port, localhost, uppercase).
  const isDomain =
    parts.length > 1 && (/[.:]/.test(first) || first === "localhost" || first !== first.toLowerCase());
  if (isDomain && !DOMAIN.test(first)) return false;
  const path = isDomain ? parts.slice(1) : parts;
  return path.length > 0 && path.every((component) => PATH_COMPONENT.test(component));
}
