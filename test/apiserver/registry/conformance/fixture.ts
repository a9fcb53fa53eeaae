/** What a kind supplies to the conformance suite (KK's `genericregistrytest` idea): its table entry and test data. */
import type { GeneratedKind, KindInfo, KrakeObject } from "../../../../src/kinds/index.js";

/**
 * A kind's entry of the generated table (gen/kinds.ts): names, scope, codec and
 * service, plus the parts the suite reads besides KindInfo — the enum of
 * status.state, and the key and body field of its generated promise client.
 */
export type KindType<T extends KrakeObject> = KindInfo<T> & Pick<GeneratedKind<T>, "clientKey" | "bodyField" | "state">;

/** Two states of a kind with a status; the suite reads and writes them through the table's state enum. */
export interface StatusFixture {
  /** The state a new object starts in (an enum value name). */
  initial: string;
  /** A state other than `initial`. */
  other: string;
}

export interface KindFixture<T extends KrakeObject> {
  /** The kind's entry of the generated table, e.g. `applicationKind`. */
  type: KindType<T>;
  /** A valid object (the namespace is ignored by global kinds). */
  valid(name: string, namespace: string): T;
  /** Changes the spec (or, for Role and RoleBinding, the top-level fields) validly. */
  changeSpec(obj: T): void;
  /** Makes the object invalid in one field, named by `field` (proto path). */
  invalid: { field: string; mutate(obj: T): void };
  /** For kinds with a status subresource (the table entry must have a state enum). */
  status?: StatusFixture;
}

/** Erases a fixture's type for tables of every kind (as `anyKind` does for kinds). */
export function anyFixture<T extends KrakeObject>(fixture: KindFixture<T>): KindFixture<KrakeObject> {
  return fixture as unknown as KindFixture<KrakeObject>;
}
