import { EtcdStore } from "../../src/store/etcd-store.js";
import { startEtcd } from "../fixtures/etcd.js";
describe("exp2", function () {
  this.timeout(300000);
  it("store watch across etcd stop/restart", async () => {
    const etcd = await startEtcd();
    const store = new EtcdStore({ endpoints: [etcd.endpoint] });
    const errors: unknown[] = [];
    let events = 0;
    const w = await store.watch("/x/", 1, { onEvents: (b) => { events += b.events.length; }, onError: (e) => { errors.push(e); console.log("ERROR", e); } });
    for (let round = 0; round < 12 && errors.length === 0; round++) {
      let stop = false;
      const writer = (async () => { let i = 0; while (!stop) { try { await store.create(`/x/${round}-${i++}`, new Uint8Array([1])); } catch { await new Promise((r) => setTimeout(r, 20)); } } })();
      await new Promise((r) => setTimeout(r, 150));
      if (round % 2) etcd.kill();
      await etcd.stop();
      // requests while down, like the API does
      for (let k = 0; k < 3; k++) await store.currentRevision().catch(() => undefined);
      await etcd.restart();
      await new Promise((r) => setTimeout(r, 300));
      stop = true;
      await writer;
      console.log("round", round, "events", events, "errors", errors.length);
    }
    await w.close();
    await store.close();
    await etcd.remove();
  });
});
