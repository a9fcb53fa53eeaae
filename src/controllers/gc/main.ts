import { runControllerProcess } from "../../controller/process/run.js";
import { setupGarbageCollector } from "./setup.js";

await runControllerProcess({
  name: "krake-controller-gc",
  description:
    "Krake's garbage collector: for objects in deletion it deletes (or orphans) their dependents,\n" +
    "the objects that list them in metadata.owners, then removes its finalizer.",
  setup(manager, { config }) {
    setupGarbageCollector(manager, { workers: config.workerCount, resyncPeriodMs: config.resyncPeriodMs });
  },
});
