/** What a kind supplies to the conformance suite (KK's `genericregistrytest` idea). */
import type { KrakeObject, MessageCodec } from "../../../../src/apiserver/objects/kind.js";
import type { KrakeClients } from "../../../../src/client/clients.js";
import type { KindClient } from "./kind-client.js";

/** Reads and writes `status.state` of a kind with a status (as the enum's name). */
export interface StatusFixture<T> {
  /** The state a new object starts in. */
  initial: string;
  /** A state other than `initial`. */
  other: string;
  state(obj: T): string | undefined;
  /** Sets status.state (creating the status if needed). */
  setState(obj: T, state: string): void;
}

export interface KindFixture<T extends KrakeObject> {
  api: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  codec: MessageCodec<T>;
  client(clients: KrakeClients): KindClient<T>;
  /** A valid object (the namespace is ignored by global kinds). */
  valid(name: string, namespace: string): T;
  /** Changes the spec (or, for Role and RoleBinding, the top-level fields) validly. */
  changeSpec(obj: T): void;
  /** Makes the object invalid in one field, named by `field` (proto path). */
  invalid: { field: string; mutate(obj: T): void };
  status?: StatusFixture<T>;
}

/** Erases a fixture's type for tables of every kind (as `anyKind` does for kinds). */
export function anyFixture<T extends KrakeObject>(fixture: KindFixture<T>): KindFixture<KrakeObject> {
  return fixture as unknown as KindFixture<KrakeObject>;
}
