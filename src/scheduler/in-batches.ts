/**
 * Runs `batch` (which deletes or handles at most `size` items and says how many) until it
 * handles fewer than `size`, at most `maxBatches` times: a scheduled job's bounded share of
 * work per run. Returns the items handled in all.
 */
export async function inBatches(
  batch: () => Promise<number>,
  size: number,
  maxBatches: number,
): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i += 1) {
    const n = await batch();
    total += n;
    if (n < size) {
      break;
    }
  }
  return total;
}
