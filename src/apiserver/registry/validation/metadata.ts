import type { FieldError } from "../../../errors/api-error.js";
import type { Metadata, ResourceRef } from "../../../../gen/krake/core/v1/types.js";
import { isNonEmptyString } from "./internal/checks.js";
import { child, item } from "./internal/paths.js";
import {
  isValidLabelKey,
  isValidName,
  NAME_RULE,
  validateGenerateName,
  validateLabels,
  validateName,
  validateNamespace,
} from "./names.js";

export interface MetadataOptions {
  /** Namespaced kinds need a valid `metadata.namespace`; for global kinds it is not checked. */
  namespaced: boolean;
}

const FINALIZER_RULE = `${NAME_RULE}; or be "<prefix>/<name>" like a label key`;
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;

/**
 * The user-settable part of `metadata`, as it stands after the registry
 * filled in the path's namespace. Server-set fields (uid, created, modified,
 * deleted, resource_version, generation) are not checked here.
 *
 * - `name`: required and valid, unless it is empty and `generate_name` is set.
 * - `generate_name`: a valid prefix when set.
 * - `namespace`: required and valid for namespaced kinds.
 * - `labels`: valid keys and values.
 * - `finalizers`: each a name (Krake's finalizers are names such as
 *   `cascade_deletion`) or `<prefix>/<name>` (Kubernetes style).
 * - `owners`: each with `api`, `kind` and a valid `name`; `namespace` optional.
 */
export function validateMetadata(meta: Metadata | undefined, opts: MetadataOptions): FieldError[] {
  if (meta === undefined) return [{ field: "metadata", message: "is required" }];
  const errors: FieldError[] = [];

  const generateName = meta.generateName ?? "";
  if (meta.name === "" || meta.name === undefined) {
    if (generateName === "") errors.push({ field: "metadata.name", message: "is required" });
  } else {
    errors.push(...validateName(meta.name, "metadata.name"));
  }
  errors.push(...validateGenerateName(generateName, "metadata.generate_name"));

  if (opts.namespaced) {
    if (!isNonEmptyString(meta.namespace)) errors.push({ field: "metadata.namespace", message: "is required" });
    else errors.push(...validateNamespace(meta.namespace, "metadata.namespace"));
  }

  errors.push(...validateLabels(meta.labels ?? {}, "metadata.labels"));

  (meta.finalizers ?? []).forEach((finalizer, i) => {
    const field = item("metadata.finalizers", i);
    if (!isNonEmptyString(finalizer)) errors.push({ field, message: "must not be empty" });
    else if (!isValidName(finalizer) && !(finalizer.includes("/") && isValidLabelKey(finalizer))) {
      errors.push({ field, message: FINALIZER_RULE });
    }
  });

  (meta.owners ?? []).forEach((owner, i) => errors.push(...validateOwner(owner, item("metadata.owners", i))));
  return errors;
}

function validateOwner(owner: ResourceRef | undefined, base: string): FieldError[] {
  if (owner === undefined) return [{ field: base, message: "is required" }];
  const errors: FieldError[] = [];
  if (!isNonEmptyString(owner.api)) errors.push({ field: child(base, "api"), message: "is required" });
  else if (!isValidName(owner.api)) errors.push({ field: child(base, "api"), message: NAME_RULE });
  if (!isNonEmptyString(owner.kind)) errors.push({ field: child(base, "kind"), message: "is required" });
  else if (!KIND.test(owner.kind)) {
    errors.push({ field: child(base, "kind"), message: "must start with a letter and consist of letters and digits" });
  }
  if (!isNonEmptyString(owner.name)) errors.push({ field: child(base, "name"), message: "is required" });
  else errors.push(...validateName(owner.name, child(base, "name")));
  if (isNonEmptyString(owner.namespace)) errors.push(...validateNamespace(owner.namespace, child(base, "namespace")));
  return errors;
}
