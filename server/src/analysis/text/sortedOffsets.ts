// Binary search over things kept in offset order (the incremental scans' checkpoints).

/** Index of the last item whose offset is at or before `offset`, -1 when there is none. */
export function lastAtOrBefore(items: readonly { offset: number }[], offset: number): number {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid]!.offset <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
