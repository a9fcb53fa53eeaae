import type { AnyKind } from "../registry/kind.js";

/** The infrastructure group's server hooks (validation, subresource rules). */
export const infrastructureKinds: AnyKind[] = [];
