/**
 * The registry conformance suite: DESIGN.md §4's contract (create, get,
 * update, update status, delete, list, watch), run through the real gRPC API of
 * an in-process krake-api over a real etcd, once per kind, with the generic
 * client. A kind supplies only a fixture: its entry of the generated kind table,
 * a valid object, a spec change, an invalid mutation and, with a status, two of
 * its states (KK's `genericregistrytest` idea).
 */
import type { KrakeObject } from "../../../../src/apiserver/objects/kind.js";
import type { EtcdProcess } from "../../../fixtures/etcd.js";
import { createConformance } from "./create.js";
import { deleteConformance } from "./delete.js";
import type { KindFixture } from "./fixture.js";
import { getConformance } from "./get.js";
import { listConformance } from "./list.js";
import { statusConformance } from "./status.js";
import { KindSuite } from "./suite.js";
import { updateConformance } from "./update.js";
import { watchConformance } from "./watch.js";

export { EventReader } from "./event-reader.js";
export { anyFixture } from "./fixture.js";
export type { KindFixture, KindType, StatusFixture } from "./fixture.js";
export { eventually, expectApiError, krakeDocument, meta, rv, tickPast, uniqueId } from "./helpers.js";
export type { DeleteParams, KindClient, ListParams, ListResult, WatchEvent, WatchParams } from "./kind-client.js";
export { requests } from "./requests.js";
export { KindSuite, Scope } from "./suite.js";
export type { StatusAccess, SuiteFixture } from "./suite.js";

/**
 * Runs the conformance suite for each kind: one ApiServer (fresh key prefix)
 * per kind over the file's etcd, returned by `etcd()`.
 */
export function registryConformance(fixtures: KindFixture<KrakeObject>[], etcd: () => EtcdProcess): void {
  for (const fixture of fixtures) {
    describe(`${fixture.type.kind} (${fixture.type.namespaced ? "namespaced" : "global"})`, () => {
      const s = new KindSuite(fixture);
      before(() => s.start(etcd()));
      after(() => s.stop());
      createConformance(s);
      getConformance(s);
      updateConformance(s);
      if (s.f.status) statusConformance(s, s.f.status);
      deleteConformance(s);
      listConformance(s);
      watchConformance(s);
    });
  }
}
