/*
 * Krake's naming rules (krake/data/core.py) that the constraint grammar needs,
 * `\w` being ASCII ([A-Za-z0-9_]):
 *   name:         \w|(\w[\w\-_.:]{0,253}\w)          1..255 characters
 *   label key:    ((P)/)?N
 *     P (prefix): \w|(\w[\w\-_.]{0,251}\w)           1..253 characters
 *     N (name):   \w|(\w[\w\-_.]{0,61}\w)            1..63 characters
 *   label value:  N
 *
 * The one copy: the API's metadata validation (registry/validation/names.ts)
 * uses them too.
 */

const NAME = /^(?:\w|\w[\w\-.:]{0,253}\w)$/;
const LABEL_PREFIX = String.raw`(?:\w|\w[\w\-.]{0,251}\w)`;
const LABEL_NAME = String.raw`(?:\w|\w[\w\-.]{0,61}\w)`;
const LABEL_KEY = new RegExp(`^(?:${LABEL_PREFIX}/)?${LABEL_NAME}$`);
const LABEL_VALUE = new RegExp(`^${LABEL_NAME}$`);

export const LABEL_KEY_RULE =
  'must be a name of at most 63 characters, optionally preceded by a prefix of at most 253 characters and "/"; ' +
  'both consist of letters, digits and "-_.", and start and end with a letter, digit or underscore';
export const LABEL_VALUE_RULE =
  'must consist of letters, digits and "-_.", start and end with a letter, digit or underscore, ' +
  "and be 1 to 63 characters";

export function isValidName(value: string): boolean {
  return NAME.test(value);
}

export function isValidLabelKey(key: string): boolean {
  return LABEL_KEY.test(key);
}

export function isValidLabelValue(value: string): boolean {
  return LABEL_VALUE.test(value);
}
