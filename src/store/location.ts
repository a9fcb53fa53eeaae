/**
 * Where the API keeps its objects, as one URL:
 * - `sqlite:///var/lib/krake/krake.db` or `sqlite://.data/krake.db` (relative
 *   to the working directory): the embedded single-file store, one API
 *   process at a time;
 * - `etcd://host:port[,host:port...]`: an etcd cluster (plain HTTP client
 *   URLs), for several API replicas.
 */
export type StoreLocation = { kind: "sqlite"; path: string } | { kind: "etcd"; endpoints: string[] };

/** Where the embedded store lives when nothing is configured. */
export const defaultSqlitePath = ".data/krake.db";

export class StoreUrlError extends Error {
  override readonly name = "StoreUrlError";
}

export function parseStoreUrl(url: string): StoreLocation {
  const sqlite = /^sqlite:\/\/(.*)$/.exec(url);
  if (sqlite) {
    const path = sqlite[1]!;
    if (path === "" || path.endsWith("/")) throw new StoreUrlError(`store "${url}": name the database file, as in sqlite://${defaultSqlitePath}`);
    return { kind: "sqlite", path };
  }
  const etcd = /^etcd:\/\/(.*)$/.exec(url);
  if (etcd) {
    const hosts = etcd[1]!.split(",");
    for (const h of hosts) {
      if (!/^[^/\s:,]+:\d{1,5}$/.test(h) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(h)) {
        throw new StoreUrlError(`store "${url}": "${h}" is not host:port (etcd://host:port[,host:port...])`);
      }
    }
    return { kind: "etcd", endpoints: hosts.map((h) => `http://${h}`) };
  }
  throw new StoreUrlError(`store "${url}": expected sqlite://PATH or etcd://host:port[,host:port...]`);
}

/**
 * The store of a configuration: the `store` URL when given, else the etcd
 * endpoints when given (the older form), else the embedded store at its
 * default path. Both at once is ambiguous and refused.
 */
export function resolveStoreLocation(store: string, etcdEndpoints: string[]): StoreLocation {
  if (store !== "" && etcdEndpoints.length > 0) {
    throw new StoreUrlError(`give the store once: store is "${store}" and etcd.endpoints is ${etcdEndpoints.join(",")}`);
  }
  if (store !== "") return parseStoreUrl(store);
  if (etcdEndpoints.length > 0) return { kind: "etcd", endpoints: etcdEndpoints };
  return { kind: "sqlite", path: defaultSqlitePath };
}

export function describeStoreLocation(location: StoreLocation): string {
  return location.kind === "sqlite" ? `sqlite://${location.path}` : `etcd://${location.endpoints.map((e) => e.replace(/^https?:\/\//, "")).join(",")}`;
}
