import type { FieldError } from "../../../errors/api-error.js";
import { mapEntry } from "./internal/paths.js";

/*
 * Krake's naming rules (krake/data/core.py). `\w` is ASCII here: [A-Za-z0-9_].
 *   name, namespace: \w|(\w[\w\-_.:]{0,253}\w)            1..255 characters
 *   label key:       ((P)/)?N
 *     P (prefix):    \w|(\w[\w\-_.]{0,251}\w)              1..253 characters
 *     N (name):      \w|(\w[\w\-_.]{0,61}\w)               1..63 characters
 *   label value:     N
 */
const NAME = /^(?:\w|\w[\w\-.:]{0,253}\w)$/;
const LABEL_PREFIX = String.raw`(?:\w|\w[\w\-.]{0,251}\w)`;
const LABEL_NAME = String.raw`(?:\w|\w[\w\-.]{0,61}\w)`;
const LABEL_KEY = new RegExp(`^(?:${LABEL_PREFIX}/)?${LABEL_NAME}$`);
const LABEL_VALUE = new RegExp(`^${LABEL_NAME}$`);
/** A generateName prefix: the server appends 5 characters of [a-z0-9]. */
const GENERATE_NAME = /^\w[\w\-.:]{0,249}$/;

/** The longest prefix `metadata.generate_name` may have (255 - 5 random characters). */
export const MAX_GENERATE_NAME_LENGTH = 250;

export const NAME_RULE =
  'must consist of letters, digits and "-_.:", start and end with a letter, digit or underscore, ' +
  "and be at most 255 characters";
export const LABEL_KEY_RULE =
  'must be a name of at most 63 characters, optionally preceded by a prefix of at most 253 characters and "/"; ' +
  'both consist of letters, digits and "-_.", and start and end with a letter, digit or underscore';
export const LABEL_VALUE_RULE =
  'must consist of letters, digits and "-_.", start and end with a letter, digit or underscore, ' +
  "and be 1 to 63 characters";
export const GENERATE_NAME_RULE =
  'must consist of letters, digits and "-_.:", start with a letter, digit or underscore, ' +
  `and be at most ${MAX_GENERATE_NAME_LENGTH} characters`;

export function isValidName(value: string): boolean {
  return NAME.test(value);
}

export function isValidLabelKey(key: string): boolean {
  return LABEL_KEY.test(key);
}

export function isValidLabelValue(value: string): boolean {
  return LABEL_VALUE.test(value);
}

/** A resource name (Krake's rule). Empty is an error: callers decide whether the field is optional. */
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
