/**
 * Writing many profiles' progress in few requests. A flush tick carries hundreds of profiles, each
 * its own partition; one request per partition costs the driver and Cassandra's native transport
 * more than the rows themselves. Groups whose partitions live on the same replicas go together in
 * one unlogged batch (the coordinator the driver picks is a replica of all of them), within
 * Cassandra's default warning limits for such batches, and each group still gets its own outcome.
 */

/** How big one multi-partition request may be. */
export interface ChunkLimits {
  /** Partitions (groups) per request: Cassandra warns above `unlogged_batch_across_partitions_warn_threshold` (10). */
  maxGroups: number;
  /** Estimated bytes per request: Cassandra warns above `batch_size_warn_threshold` (5 KiB) and refuses above 50 KiB. */
  maxBytes: number;
}

/**
 * Packs groups into chunks (lists of group indexes): only groups with the same replica key share a
 * chunk, at most `maxGroups` and `maxBytes` each; a group bigger than `maxBytes` goes alone (a
 * single-partition batch is exempt from both limits). Every index appears exactly once, and a
 * chunk keeps the input order.
 */
export function packChunks(replicaKeys: readonly string[], sizes: readonly number[], limits: ChunkLimits): number[][] {
  const chunks: number[][] = [];
  const open = new Map<string, { chunk: number[]; bytes: number }>();
  replicaKeys.forEach((key, i) => {
    const size = sizes[i] ?? 0;
    const current = open.get(key);
    if (current && current.chunk.length < limits.maxGroups && current.bytes + size <= limits.maxBytes) {
      current.chunk.push(i);
      current.bytes += size;
      return;
    }
    const chunk = [i];
    chunks.push(chunk);
    open.set(key, { chunk, bytes: size });
  });
  return chunks;
}

/**
 * Writes each chunk in one call and answers one outcome per group. A chunk of several groups that
 * fails for a reason of its own (not `unavailable(err)`) is written again group by group, so a
 * group the store refuses fails alone; when the store is unavailable or overloaded, the chunk's
 * groups fail together without adding load, and their owners retry later.
 */
export async function writeEach(
  groups: number,
  chunks: readonly (readonly number[])[],
  write: (chunk: readonly number[]) => Promise<void>,
  unavailable: (err: unknown) => boolean,
): Promise<PromiseSettledResult<void>[]> {
  const outcomes = new Array<PromiseSettledResult<void> | undefined>(groups).fill(undefined);
  const settle = (indexes: readonly number[], outcome: PromiseSettledResult<void>) => {
    for (const i of indexes) outcomes[i] = outcome;
  };
  await Promise.all(
    chunks.map(async (chunk) => {
      try {
        await write(chunk);
        settle(chunk, { status: 'fulfilled', value: undefined });
      } catch (err) {
        if (chunk.length === 1 || unavailable(err)) {
          settle(chunk, { status: 'rejected', reason: err });
          return;
        }
        await Promise.all(
          chunk.map(async (i) => {
            try {
              await write([i]);
              settle([i], { status: 'fulfilled', value: undefined });
            } catch (alone) {
              settle([i], { status: 'rejected', reason: alone });
            }
          }),
        );
      }
    }),
  );
  return outcomes.map((o) => o ?? { status: 'rejected', reason: new Error('The group was in no chunk') });
}

/**
 * The outcomes, or the first failure when every group failed: nothing was written, the store is
 * down, and the caller's breaker should count it as one failed call.
 */
export function unlessAllFailed(outcomes: PromiseSettledResult<void>[]): PromiseSettledResult<void>[] {
  const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed.length > 0 && failed.length === outcomes.length) throw failed[0]!.reason;
  return outcomes;
}
