import { EtcdStore } from "./etcd-store.js";
import type { StoreLocation } from "./location.js";
import { SqliteStore } from "./sqlite-store.js";
import type { Store } from "./store.js";

export interface OpenStoreOptions {
  /** etcd: how long a call waits for a connection. */
  dialTimeoutMs?: number;
}

/** Opens the store at `location`; the SQLite file is refused while another process holds it. */
export async function openStore(location: StoreLocation, options: OpenStoreOptions = {}): Promise<Store> {
  if (location.kind === "etcd") {
    return new EtcdStore({ endpoints: location.endpoints, ...(options.dialTimeoutMs !== undefined ? { dialTimeoutMs: options.dialTimeoutMs } : {}) });
  }
  return SqliteStore.open(location.path);
}
