export type {
  KeyValue,
  ListOptions,
  ListResult,
  Store,
  StoreEvent,
  StoreEventBatch,
  StoreWatch,
  StoreWrite,
  WatchHandlers,
} from "./store.js";
export { EtcdStore } from "./etcd-store.js";
export { maxCommitWrites } from "./commit.js";
export { DEFAULT_SQLITE_STORE_OPTIONS, SqliteStore } from "./sqlite-store.js";
export type { SqliteStoreOptions } from "./sqlite-store.js";
export { DEFAULT_ETCD_STORE_OPTIONS } from "./etcd-client.js";
export type { EtcdStoreOptions } from "./etcd-client.js";
export { translateEtcdError } from "./errors.js";
export { DEFAULT_KEY_PREFIX, kindPrefix, namespacePrefix, objectKey, parseObjectKey } from "./keys.js";
export type { ObjectKeyParts } from "./keys.js";
