import type { AnyKind } from "../registry/kind.js";

/** The openstack group's server hooks (validation, subresource rules). */
export const openstackKinds: AnyKind[] = [];
