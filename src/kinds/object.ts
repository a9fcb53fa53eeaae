import type { ServiceDefinition } from "@grpc/grpc-js";
import type { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import type { Metadata } from "../../gen/krake/core/v1/types.js";

/** The part of every Krake object that generic code (registry, informers, CLI) reads and writes. */
export interface KrakeObject {
  api: string;
  kind: string;
  metadata: Metadata | undefined;
}

/** The ts-proto codec of a message (every generated message exports one). */
export interface MessageCodec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
  fromJSON(object: unknown): T;
  toJSON(message: T): unknown;
  fromPartial(object: never): T;
}

/**
 * What both sides know of a kind: its names, scope, codec and gRPC service.
 * The server adds validation and admission (apiserver/registry/kind.ts); the
 * client side (informers, the GC, krakectl) needs only this.
 */
export interface KindInfo<T extends KrakeObject = KrakeObject> {
  /** API group as in URLs and keys: "core", "kubernetes". */
  api: string;
  /** "Application". */
  kind: string;
  /** Lower-case plural as in URLs, keys and RBAC: "applications". */
  plural: string;
  namespaced: boolean;
  codec: MessageCodec<T>;
  /** The grpc-js service that ts-proto generated for the kind. */
  service: ServiceDefinition;
  /** The request field holding the object ("application", "roleBinding"); lowerCamel(kind) when absent. */
  bodyField?: string;
}

/** The finalizer every Delete appends by default; the garbage collector owns it. */
export const cascadeDeletionFinalizer = "cascade_deletion";

/**
 * Delete pushes ONE finalizer owned by the garbage collector on top of the
 * finalizer stack, and its name records the propagation policy: the collector
 * reads the policy from the object itself, and acts only while that finalizer
 * is last (Kubernetes records foreground and orphan as finalizers the same way).
 * - "" (what Krake's clients send) and "foreground": `cascade_deletion`,
 *   Krake's cascade: the dependents are deleted and the object stays until
 *   none remains (what Kubernetes calls foreground deletion).
 * - "background": `background_deletion`: the dependents are deleted, and the
 *   object goes as soon as each of them is in deletion, without waiting for them.
 * - "orphan": `orphan_deletion`: the dependents lose their owner reference and stay.
 * Policies are matched without regard to case ("Foreground" is Kubernetes'
 * spelling). A repeated Delete changes nothing, whatever its policy.
 */
export const deletionFinalizers: Readonly<Record<string, string>> = {
  "": cascadeDeletionFinalizer,
  foreground: cascadeDeletionFinalizer,
  background: "background_deletion",
  orphan: "orphan_deletion",
};

/** A kind's state enum as the kind table gives it: its value names and the number → name conversion. */
export interface StateEnum {
  readonly names: readonly string[];
  toName(value: number): string;
}

/** `status.state` by its enum name, for kinds whose table entry has a state; undefined otherwise. */
export function stateReader<T>(state: StateEnum | undefined): ((obj: T) => string | undefined) | undefined {
  if (!state) return undefined;
  return (obj) => {
    const status = (obj as { status?: { state?: number } }).status;
    return status?.state === undefined ? undefined : state.toName(status.state);
  };
}
