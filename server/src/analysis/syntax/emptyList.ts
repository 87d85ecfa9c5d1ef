/**
 * An empty array with the hidden class of a filled array of objects or strings. A `[]` literal
 * starts as an array of small integers, another hidden class: code that reads shared empty arrays
 * and filled ones alike (`.length`, `[i]`) would be optimized for one and thrown away at the other.
 * The array is shared: never add to it.
 */
export function emptyList<T>(): T[] {
  const list: unknown[] = [null];
  list.length = 0;
  return list as T[];
}
