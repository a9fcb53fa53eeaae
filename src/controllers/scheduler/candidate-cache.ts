import type { Cloud, GlobalCloud } from "../../../gen/krake/infrastructure/v1/cloud.js";
import type { Cluster } from "../../../gen/krake/kubernetes/v1/cluster.js";
import type { Indexer } from "../../controller/informer/indexer.js";
import { namespaceIndex } from "../../controller/informer/indexer.js";
import { buildCandidates } from "../../scheduling/index.js";
import type { Candidate } from "../../scheduling/index.js";

export interface CandidateSources {
  clusters: Pick<Indexer<Cluster>, "byIndex">;
  clouds: Pick<Indexer<Cloud>, "list">;
  globalClouds: Pick<Indexer<GlobalCloud>, "list">;
  /** The clusters as the scheduler knows them newest (its own unseen status writes included). */
  latest(clusters: readonly Cluster[]): Cluster[];
}

/**
 * The candidates of each namespace (its clusters with what they inherit
 * from their clouds), built once and kept until an input changes: every
 * decision in the namespace shares the same array and the same Candidate
 * objects, so that what is computed per candidate (metric readings,
 * evaluations, scores: see EvaluationMemo) is computed once for them all.
 *
 * The scheduler calls `invalidate(namespace)` on every change of a cluster
 * of the namespace (informer events, its own status writes) and
 * `invalidate()` on every change of a Cloud or GlobalCloud.
 */
export class CandidateCache {
  private readonly byNamespace = new Map<string, readonly Candidate[]>();

  constructor(private readonly sources: CandidateSources) {}

  get(namespace: string): readonly Candidate[] {
    let found = this.byNamespace.get(namespace);
    if (found === undefined) {
      const clusters = this.sources.latest(this.sources.clusters.byIndex(namespaceIndex, namespace));
      found = buildCandidates(clusters, { clouds: this.sources.clouds.list(), globalClouds: this.sources.globalClouds.list() });
      this.byNamespace.set(namespace, found);
    }
    return found;
  }

  /** Drops the candidates of `namespace`, or of every namespace. */
  invalidate(namespace?: string): void {
    if (namespace === undefined) this.byNamespace.clear();
    else this.byNamespace.delete(namespace);
  }
}
