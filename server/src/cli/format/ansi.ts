// Minimal ANSI styling; every function is the identity when colour is off.
export interface Painter {
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  gray(text: string): string;
  bold(text: string): string;
  underline(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

const COLOURED: Painter = {
  red: wrap(31, 39),
  yellow: wrap(33, 39),
  cyan: wrap(36, 39),
  gray: wrap(90, 39),
  bold: wrap(1, 22),
  underline: wrap(4, 24),
};

const identity = (text: string) => text;
const PLAIN: Painter = { red: identity, yellow: identity, cyan: identity, gray: identity, bold: identity, underline: identity };

export function painter(color: boolean): Painter {
  return color ? COLOURED : PLAIN;
}
