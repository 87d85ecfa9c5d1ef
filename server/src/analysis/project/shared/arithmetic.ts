// The integer arithmetic FASM's and MASM's preprocessors compute themselves, on plain numbers.

/**
 * `a op b` for an arithmetic, shift or bitwise operator; undefined for a division by zero, a
 * bitwise operation on a value that is not a whole number (`1 shl -1`, `1 shl 2000`), or another operator.
 */
export function arithmetic(op: string, a: number, b: number): number | undefined {
  if ((op === 'and' || op === 'or' || op === 'xor') && !(Number.isInteger(a) && Number.isInteger(b))) return undefined;
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return b === 0 ? undefined : Math.trunc(a / b);
    case 'mod': return b === 0 ? undefined : a % b;
    case 'shl': return a * 2 ** b;
    case 'shr': return Math.floor(a / 2 ** b);
    case 'and': return Number(BigInt(a) & BigInt(b));
    case 'or': return Number(BigInt(a) | BigInt(b));
    case 'xor': return Number(BigInt(a) ^ BigInt(b));
    default: return undefined;
  }
}
