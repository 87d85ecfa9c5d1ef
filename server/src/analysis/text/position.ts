// Ordering of line/character positions.
import type { Position } from '../types';

/** `a` comes strictly before `b`. */
export function isBefore(a: Position, b: Position): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}
