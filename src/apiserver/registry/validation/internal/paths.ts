/**
 * Field paths in Krake's JSON names: message fields join with a dot
 * (`spec.constraints`), list items take an index (`spec.manifest[0]`), map
 * entries and keys that are not identifiers take a quoted key
 * (`metadata.labels["app"]`, `spec.kubeconfig["current-context"]`).
 */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `base.key`, or `base["key"]` when the key is not an identifier. */
export function child(base: string, key: string): string {
  if (!IDENTIFIER.test(key)) return mapEntry(base, key);
  return base === "" ? key : `${base}.${key}`;
}

/** `base["key"]` whatever the key: for entries of maps (labels, metrics). */
export function mapEntry(base: string, key: string): string {
  return `${base}[${JSON.stringify(key)}]`;
}

/** `base[i]`. */
export function item(base: string, index: number): string {
  return `${base}[${index}]`;
}
