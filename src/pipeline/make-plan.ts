/** gather → resolve → decide: the plan both `plan` and `apply` print. Read-only. */
import type { Kubectl, PodScope } from "../adapters/kubectl.js";
import type { Resolver } from "../adapters/resolver.js";
import { decidePlan } from "../core/decide.js";
import { repositoryOf } from "../core/image-ref.js";
import type { ImageInUse } from "../core/images-in-use.js";
import { type Credential, Keyring } from "../core/keyring.js";
import type { Plan } from "../core/plan.js";
import { gather, type Inventory } from "./gather.js";
import { resolveImages } from "./resolve.js";

export interface MakePlanOptions {
  scope: PodScope;
  concurrency: number;
  /** More credentials after the pull secrets (e.g. the user's docker config); none by default. */
  extraCredentials?: (image: ImageInUse) => Promise<Credential[]>;
  /** Problems met finding those credentials, asked for once resolving is done. */
  extraWarnings?: () => string[];
  onPhase?: (text: string) => void;
  signal?: AbortSignal;
}

export interface PlanResult {
  plan: Plan;
  /** Things worth telling on stderr: unreadable secrets, resolver notes. */
  warnings: string[];
  notes: string[];
}

export async function makePlan(
  kubectl: Kubectl,
  resolver: Resolver,
  options: MakePlanOptions,
): Promise<PlanResult> {
  options.onPhase?.("Listing pods");
  const inventory = await gather(kubectl, options.scope, options.concurrency);
  const resolutions = await resolveImages(inventory.images, resolver, {
    concurrency: options.concurrency,
    signal: options.signal,
    credentialsFor: async (image) => [
      ...pullSecretCredentials(inventory, image),
      ...((await options.extraCredentials?.(image)) ?? []),
    ],
    onProgress: (done, total) =>
      options.onPhase?.(`${resolver.name === "docker" ? "Pulled" : "Resolved"} images ${done}/${total}`),
  });
  const plan = decidePlan({
    resolver: resolver.name,
    pods: inventory.pods,
    owners: inventory.owners,
    resolutions,
  });
  const warnings = [...inventory.warnings, ...(options.extraWarnings?.() ?? [])];
  return { plan, warnings, notes: resolver.notes?.() ?? [] };
}

/** The pods' pull secrets (then their ServiceAccounts'), matched to the image as the kubelet does. */
function pullSecretCredentials(inventory: Inventory, image: ImageInUse): Credential[] {
  const refs = [...image.pullSecrets, ...(inventory.accountSecrets.get(image.key) ?? [])];
  const entries = refs.flatMap((ref) => inventory.pullSecrets.get(`${ref.namespace}/${ref.name}`) ?? []);
  return new Keyring(entries).lookup(repositoryOf(image.ref));
}
