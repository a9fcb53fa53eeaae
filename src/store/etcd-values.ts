import { Buffer } from "node:buffer";
import type { IKeyValue } from "etcd3";
import type { KeyValue } from "./store.js";

export function toKeyValue(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString("utf8"),
    value: kv.value,
    modRevision: Number(kv.mod_revision),
    createRevision: Number(kv.create_revision),
  };
}

/** A Buffer view of `value`, without copying. */
export function toBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** The range end that covers every key starting with `prefix`. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  // all 0xff (or empty): to the end of the key space
  return Buffer.from([0]);
}
