import { expect } from "chai";
import type { Cloud, GlobalCloud } from "../../../gen/krake/infrastructure/v1/cloud.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import { Indexer } from "../../../src/controller/informer/indexer.js";
import { CandidateCache } from "../../../src/controllers/scheduler/candidate-cache.js";
import { cloud, cluster } from "../../scheduling/fixtures.js";

describe("scheduler: the candidates of a namespace, shared until an input changes", () => {
  let clusters: Indexer<Cluster>;
  let clouds: Indexer<Cloud>;
  let cache: CandidateCache;
  /** The scheduler's own status writes the informer has not delivered yet, by cluster name. */
  let unseen: Map<string, Cluster>;
  beforeEach(() => {
    clusters = new Indexer<Cluster>();
    clouds = new Indexer<Cloud>();
    unseen = new Map();
    clusters.upsert(cluster("a", { namespace: "one", inheritLabels: true, boundTo: { kind: "Cloud", name: "os", namespace: "one" } }));
    clusters.upsert(cluster("b", { namespace: "two" }));
    cache = new CandidateCache({
      clusters,
      clouds,
      globalClouds: new Indexer<GlobalCloud>(),
      latest: (list) => list.map((c) => unseen.get(c.metadata!.name) ?? c),
    });
  });

  it("gives every decision of a namespace the same array and candidates, the namespace's clusters only", () => {
    const first = cache.get("one");
    expect(first.map((c) => c.ref.name)).to.deep.equal(["a"]);
    expect(cache.get("one")).to.equal(first);
  });

  it("builds a namespace's candidates again after invalidate(namespace), and only that namespace's", () => {
    const one = cache.get("one");
    const two = cache.get("two");
    clusters.upsert(cluster("a2", { namespace: "one" }));
    cache.invalidate("one");
    expect(cache.get("one").map((c) => c.ref.name).sort()).to.deep.equal(["a", "a2"]);
    expect(cache.get("one")).not.to.equal(one);
    expect(cache.get("two")).to.equal(two);
  });

  it("sees a cloud's labels once invalidate() drops every namespace", () => {
    expect(cache.get("one")[0]!.labels).to.deep.equal({});
    clouds.upsert(cloud("os", { location: "DE" }, [], "one"));
    cache.invalidate();
    expect(cache.get("one")[0]!.labels).to.deep.equal({ location: "DE" });
  });

  it("builds from the newest version the scheduler knows (its own write the informer has not delivered)", () => {
    unseen.set("a", cluster("a", { namespace: "one", labels: { written: "yes" } }));
    expect(cache.get("one")[0]!.labels).to.deep.equal({ written: "yes" });
  });
});
