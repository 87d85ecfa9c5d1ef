// Detection idioms written as data in assembly source: VirtualPC's `vpcext` instruction emitted
// as bytes (`db 0x0f, 0x3f, 0x07, 0x0b`), and a hypervisor vendor signature kept as a string the
// code compares against (`db 'VMwareVMware'`). The parser drops data lines, so they are read here.
import { HYPERVISOR_SIGNATURES } from './signatures';

export interface DataIdiom {
  ruleId: 'virtualpc-backdoor' | 'hypervisor-signature';
  message: string;
  /** Columns of the data the idiom is in. */
  start: number;
  end: number;
}

const DATA_DIRECTIVE = /^(\s*(?:[A-Za-z_.$?@][\w.$?@]*:?\s+)?)(db|byte|\.byte|\.ascii|\.asciz|\.string)\s+/i;
const BYTE = String.raw`(?:0x0*([0-9a-f]{1,2})|\$0*([0-9a-f]{1,2})|0*([0-9a-f]{1,2})h|([0-9]{1,3}))`;
const FOUR_BYTES = new RegExp(`${BYTE}\\s*,\\s*${BYTE}\\s*,\\s*${BYTE}\\s*,\\s*${BYTE}`, 'gi');
const VPCEXT = [0x0f, 0x3f, 0x07, 0x0b];

/** The data idiom on a line (its code part: `codeEnd` is where a comment starts), if any. */
export function dataIdiomOf(line: string, codeEnd = line.length): DataIdiom | undefined {
  const code = line.slice(0, codeEnd);
  const directive = DATA_DIRECTIVE.exec(code);
  if (!directive) return undefined;
  const from = directive[0].length;
  for (const match of code.slice(from).matchAll(FOUR_BYTES)) {
    const values: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [hex1, hex2, hex3, decimal] = [match[1 + i * 4], match[2 + i * 4], match[3 + i * 4], match[4 + i * 4]];
      values.push(decimal !== undefined ? Number(decimal) : parseInt((hex1 ?? hex2 ?? hex3)!, 16));
    }
    if (values.every((value, i) => value === VPCEXT[i])) {
      const start = from + match.index;
      return { ruleId: 'virtualpc-backdoor', message: "Bytes 0F 3F 07 0B, VirtualPC's vpcext instruction: this code calls the Virtual PC backdoor", start, end: start + match[0].length };
    }
  }
  for (const literal of code.slice(from).matchAll(/(["'])((?:\\.|(?!\1).)*)\1/g)) {
    const text = literal[2]!.replace(/\\0/g, '\0').replace(/\0+$/, '');
    const signature = HYPERVISOR_SIGNATURES.find((s) => text.length >= 9 && text === s.text.replace(/\0+$/, ''));
    if (!signature) continue;
    const start = from + literal.index;
    return {
      ruleId: 'hypervisor-signature',
      message: `The "${text}" (${signature.vendor}) signature kept as data: this code identifies the hypervisor by name`,
      start,
      end: start + literal[0].length,
    };
  }
  return undefined;
}
