import type { FieldError } from "../../../errors/api-error.js";
import { isValidLabelKey, isValidLabelValue, isValidName, LABEL_KEY_RULE, LABEL_VALUE_RULE } from "../../../scheduling/label-rules.js";
import { mapEntry } from "./internal/paths.js";

export { isValidLabelKey, isValidLabelValue, isValidName, LABEL_KEY_RULE, LABEL_VALUE_RULE };

/*
 * Krake's naming rules (krake/data/core.py). `\w` is ASCII here: [A-Za-z0-9_].
 *   name, namespace: \w|(\w[\w\-_.:]{0,253}\w)            1..255 characters
 *   label key:       ((P)/)?N
 *     P (prefix):    \w|(\w[\w\-_.]{0,251}\w)              1..253 characters
 *     N (name):      \w|(\w[\w\-_.]{0,61}\w)               1..63 characters
 *   label value:     N
 */
/** A generateName prefix: the server appends 5 characters of [a-z0-9]. */
const GENERATE_NAME = /^\w[\w\-.:]{0,249}$/;

/** The longest prefix `metadata.generate_name` may have (255 - 5 random characters). */
export const MAX_GENERATE_NAME_LENGTH = 250;

export const NAME_RULE =
  'must consist of letters, digits and "-_.:", start and end with a letter, digit or underscore, ' +
  "and be at most 255 characters";
export const GENERATE_NAME_RULE =
  'must consist of letters, digits and "-_.:", start with a letter, digit or underscore, ' +
  `and be at most ${MAX_GENERATE_NAME_LENGTH} characters`;

export function validateName(value: string, field = "metadata.name"): FieldError[] {
  if (value === "") return [{ field, message: "must not be empty" }];
  return isValidName(value) ? [] : [{ field, message: NAME_RULE }];
}

/** A namespace name: the same rule as resource names. */
export function validateNamespace(value: string, field = "metadata.namespace"): FieldError[] {
  return validateName(value, field);
}

/**
 * A `metadata.generate_name` prefix: valid when the prefix followed by 5
 * random characters of [a-z0-9] is a valid name. The empty prefix means
 * "not set" and is valid.
 */
export function validateGenerateName(prefix: string, field = "metadata.generate_name"): FieldError[] {
  if (prefix === "") return [];
  return GENERATE_NAME.test(prefix) ? [] : [{ field, message: GENERATE_NAME_RULE }];
}

/**
 * Every label key and value; errors name the entry: `metadata.labels["bad key"]`.
 * A bad key and a bad value of one entry give two errors.
 */
export function validateLabels(labels: Readonly<Record<string, string>>, field = "metadata.labels"): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const path = mapEntry(field, key);
    if (!isValidLabelKey(key)) errors.push({ field: path, message: `key ${LABEL_KEY_RULE}` });
    if (typeof value !== "string" || !isValidLabelValue(value)) {
      errors.push({ field: path, message: `value ${JSON.stringify(value)} ${LABEL_VALUE_RULE}` });
    }
  }
  return errors;
}
