// Empty lists that will hold objects (or strings), made with the elements kind they get once they do.
//
// V8 makes `[]` a list of small integers and changes its map when the first object goes in. Code
// that reads a list's length or items both before and after that (an argument list left empty, a
// scan's findings while there are none yet) then meets two maps, and optimized code made while
// it had seen only one deoptimizes and is compiled again when the other comes.

const PLACEHOLDER = {};

/** A new empty list with the map of a list of objects (strings too: any value but a number). */
export function objectList<T>(): T[] {
  const list = [PLACEHOLDER] as unknown as T[];
  list.pop();
  return list;
}
