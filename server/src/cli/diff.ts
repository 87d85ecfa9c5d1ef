// Unified diff of two texts (for --fix-dry-run). Myers' O((N+M)·D) algorithm on lines after
// trimming the common head and tail; fix edits are local, so D stays small.

const CONTEXT = 3;
/** Past this many differing lines the diff is shown as one replaced block. */
const MAX_EDIT_DISTANCE = 3000;

type Op = { kind: ' ' | '-' | '+'; text: string; oldLine: number; newLine: number };

export function unifiedDiff(oldText: string, newText: string, oldName: string, newName: string): string {
  if (oldText === newText) return '';
  const a = splitKeepingEnds(oldText);
  const b = splitKeepingEnds(newText);
  const ops = diffLines(a, b);
  const out = [`--- ${oldName}`, `+++ ${newName}`];
  for (const hunk of hunks(ops)) out.push(...hunk);
  return out.join('\n') + '\n';
}

function splitKeepingEnds(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  const out = lines.map((line, i) => (i < lines.length - 1 ? line + '\n' : line));
  if (out[out.length - 1] === '') out.pop();
  return out;
}

function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const ops: Op[] = [];
  for (let i = 0; i < head; i++) ops.push({ kind: ' ', text: a[i]!, oldLine: i, newLine: i });
  for (const op of myers(midA, midB) ?? replaceAll(midA, midB)) {
    ops.push({ ...op, oldLine: op.oldLine + head, newLine: op.newLine + head });
  }
  for (let i = 0; i < tail; i++) {
    const oldLine = a.length - tail + i;
    ops.push({ kind: ' ', text: a[oldLine]!, oldLine, newLine: b.length - tail + i });
  }
  return ops;
}

function replaceAll(a: readonly string[], b: readonly string[]): Op[] {
  return [
    ...a.map((text, i): Op => ({ kind: '-', text, oldLine: i, newLine: 0 })),
    ...b.map((text, i): Op => ({ kind: '+', text, oldLine: a.length, newLine: i })),
  ];
}

/** Shortest edit script, or undefined when it would exceed MAX_EDIT_DISTANCE. */
function myers(a: readonly string[], b: readonly string[]): Op[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDIT_DISTANCE);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d] keeps only diagonals -d..d of v before step d: memory grows as D², not D·(N+M).
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice(offset - d, offset + d + 1));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, a, b, d);
    }
  }
  return undefined;
}

function backtrack(trace: Int32Array[], a: readonly string[], b: readonly string[], depth: number): Op[] {
  const ops: Op[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = depth; d > 0; d--) {
    const saved = trace[d]!;
    const at = (k: number): number => saved[k + d]!;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ kind: ' ', text: a[x]!, oldLine: x, newLine: y });
    }
    if (down) {
      y--;
      ops.push({ kind: '+', text: b[y]!, oldLine: x, newLine: y });
    } else {
      x--;
      ops.push({ kind: '-', text: a[x]!, oldLine: x, newLine: y });
    }
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    ops.push({ kind: ' ', text: a[x]!, oldLine: x, newLine: y });
  }
  return ops.reverse();
}

function hunks(ops: readonly Op[]): string[][] {
  const changed = ops.map((op, i) => (op.kind === ' ' ? -1 : i)).filter((i) => i >= 0);
  const out: string[][] = [];
  let start = 0;
  while (start < changed.length) {
    let end = start;
    while (end + 1 < changed.length && changed[end + 1]! - changed[end]! <= 2 * CONTEXT + 1) end++;
    const from = Math.max(0, changed[start]! - CONTEXT);
    const to = Math.min(ops.length - 1, changed[end]! + CONTEXT);
    out.push(renderHunk(ops.slice(from, to + 1)));
    start = end + 1;
  }
  return out;
}

function renderHunk(ops: readonly Op[]): string[] {
  const oldCount = ops.filter((op) => op.kind !== '+').length;
  const newCount = ops.filter((op) => op.kind !== '-').length;
  const first = ops[0]!;
  const oldStart = oldCount === 0 ? first.oldLine : first.oldLine + 1;
  const newStart = newCount === 0 ? first.newLine : first.newLine + 1;
  const lines = [`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`];
  for (const op of ops) {
    const text = op.text.endsWith('\n') ? op.text.slice(0, -1) : op.text;
    lines.push(op.kind + text);
    if (!op.text.endsWith('\n')) lines.push('\\ No newline at end of file');
  }
  return lines;
}

function range(start: number, count: number): string {
  return count === 1 ? String(start) : `${start},${count}`;
}
