/** Library entry: the pure core and the Plan document. Importing it has no side effects. */
export { decidePlan, manifestsToInspect } from "./core/decide.js";
export { parseImageId, shortDigest } from "./core/image-id.js";
export { formatImageRef, parseImageRef } from "./core/image-ref.js";
export type { Plan, PlanContainer, PlanPod } from "./core/plan.js";
export { planApiVersion, toPlanDocument } from "./output/plan-document.js";
