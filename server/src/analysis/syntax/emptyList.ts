// Empty lists that will hold objects (or strings), made with the elements kind they get once they do.
//
// V8 makes `[]` a list of small integers and changes its map when the first object goes in. Code
// that reads a list's length or items both before and after that (an argument list left empty, a
// scan's findings while there are none yet, a shared "no operands" list next to filled ones) then
// meets two maps, and optimized code made while it had seen only one deoptimizes and is compiled
// again when the other comes.

/** A new empty list with the map of a filled list of objects or strings. A shared one must never be added to. */
export function emptyList<T>(): T[] {
  const list: unknown[] = [null];
  list.length = 0;
  return list as T[];
}
