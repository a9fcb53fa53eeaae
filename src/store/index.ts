export type {
  KeyValue,
  ListOptions,
  ListResult,
  Store,
  StoreEvent,
  StoreEventBatch,
  StoreWatch,
  WatchHandlers,
} from "./store.js";
export { EtcdStore } from "./etcd-store.js";
export { DEFAULT_ETCD_STORE_OPTIONS } from "./etcd-client.js";
export type { EtcdStoreOptions } from "./etcd-client.js";
export { translateEtcdError } from "./errors.js";
export { DEFAULT_KEY_PREFIX, kindPrefix, namespacePrefix, objectKey, parseObjectKey } from "./keys.js";
export type { ObjectKeyParts } from "./keys.js";
