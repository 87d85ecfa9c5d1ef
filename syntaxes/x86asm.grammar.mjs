// Source of syntaxes/x86asm.tmLanguage.json. Regexes are easier to read and review here, as
// String.raw literals, than double-escaped inside JSON.
//   node syntaxes/x86asm.grammar.mjs          rewrite the JSON
//   node syntaxes/x86asm.grammar.mjs --check  exit 1 when the JSON is out of date (the grammar tier runs this)
//
// One grammar serves every dialect (NASM/YASM, GNU as AT&T and Intel, MASM, FASM), so it only
// uses what the dialects agree on lexically. Known compromises, chosen for the common case:
//   - `;` is always a comment (in GNU as it separates statements; hand-written code rarely does that);
//   - `#` starts a comment unless it begins a C preprocessor line (`.S` files);
//   - `$` followed by a digit is the AT&T immediate marker, not NASM's `$0A` hex spelling;
//   - `1b`/`1f` scope as numbers (GNU as local label references look like NASM binary numbers).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const L = 'x86asm';
const SENSITIVE_SCOPE = `keyword.other.sensitive.virtlint.${L}`;

const IDENT_START = String.raw`[A-Za-z_.$?@]`;
const IDENT_PART = String.raw`[\w.$?@]`;
const IDENT = `${IDENT_START}${IDENT_PART}*`;
const NOT_BEFORE = String.raw`(?<![\w.$?@%])`;
/** Numbers may follow AT&T's `$` immediate marker. */
const NUMBER_NOT_BEFORE = String.raw`(?<![\w.?@%])`;
const NOT_AFTER = String.raw`(?![\w.$?@])`;

/** Every spelling of an instruction the catalogue reports, with the size suffixes the assemblers accept. */
const SENSITIVE_MNEMONICS = [
  String.raw`sgdt[wlq]?`,
  String.raw`sidt[wlq]?`,
  String.raw`sldt[wlq]?`,
  String.raw`smsw[wlq]?`,
  String.raw`str[wlq]?`,
  String.raw`lar[wlq]?`,
  String.raw`lsl[wlq]?`,
  String.raw`verrw?`,
  String.raw`verww?`,
  String.raw`pushf[wdlq]?`,
  String.raw`popf[wdlq]?`,
  String.raw`retf[wdq]?`,
  String.raw`lret[wlq]?`,
  String.raw`lcall[wlq]?`,
  String.raw`ljmp[wlq]?`,
  String.raw`int`,
  String.raw`into`,
  String.raw`int1`,
  String.raw`int01`,
  String.raw`icebp`,
  String.raw`iret[wdlq]?`,
  String.raw`cpuid`,
  String.raw`rdtscp?`,
  String.raw`rdpmc`,
  String.raw`rdpid`,
  String.raw`xgetbv`,
];

const PREFIX_WORDS = String.raw`lock|rep|repe|repz|repne|repnz|xacquire|xrelease|bnd|notrack|o16|o32|o64|a16|a32|a64|data16|data32|addr16|addr32|rex(?:\.[wrxb]+)?|rex64|cs|ds|es|fs|gs|ss`;

/** Directive words written without a leading dot (NASM, MASM, FASM). Dotted words are always directives. */
const DIRECTIVE_WORDS = [
  // NASM / YASM
  'section', 'segment', 'bits', 'use16', 'use32', 'use64', 'default', 'global', 'extern', 'common', 'static',
  'required', 'org', 'align', 'alignb', 'times', 'incbin', 'equ', 'struc', 'endstruc', 'istruc', 'iend', 'at',
  'cpu', 'float', 'absolute', 'sectalign', 'warning',
  // MASM
  'proc', 'endp', 'ends', 'assume', 'public', 'extrn', 'externdef', 'include', 'includelib', 'option', 'end',
  'label', 'invoke', 'proto', 'local', 'uses', 'even', 'macro', 'endm', 'exitm', 'if', 'else', 'elseif', 'endif',
  'ifdef', 'ifndef', 'repeat', 'while', 'for', 'forc', 'struct', 'union', 'record', 'typedef', 'title', 'page',
  'comment', 'textequ', 'catstr',
  // FASM
  'format', 'entry', 'file', 'virtual', 'display', 'heap', 'stack', 'data', 'import', 'export', 'fixups',
  'resource',
];

const DATA_WORDS = [
  'db', 'dw', 'dd', 'dq', 'dt', 'do', 'dy', 'dz', 'du', 'df', 'dp',
  'resb', 'resw', 'resd', 'resq', 'rest', 'reso', 'resy', 'resz',
  'rb', 'rw', 'rd', 'rf', 'rp', 'rq', 'rt',
];

/** Data words that may follow an expression (`times 510-($-$$) db 0`); only NASM's, the others are plausible symbol names. */
const NASM_DATA_WORDS = 'db|dw|dd|dq|dt|do|dy|dz|resb|resw|resd|resq|rest|reso|resy|resz';

/** `name <word> ...`: the name is defined by the word that follows (NASM/MASM/FASM without a colon). */
const NAMED_DATA_WORDS = DATA_WORDS.join('|');
const NAMED_CONSTANT_WORDS = 'equ|textequ|catstr';
const NAMED_BLOCK_WORDS = 'proc|endp|segment|ends|macro|struc|struct|union|endstruc|record|typedef|label';

const SIZE_WORDS = String.raw`byte|word|dword|qword|tword|oword|yword|zword|fword|tbyte|sbyte|sword|sdword|real4|real8|real10|mmword|xmmword|ymmword|zmmword`;
const MODIFIER_WORDS = String.raw`ptr|near|short|offset|seg|wrt|rel|abs|strict|nosplit|dup`;

const GPR = String.raw`[re]?(?:ax|bx|cx|dx|si|di|sp|bp|ip)|[abcd][lh]|(?:si|di|sp|bp)l|r(?:[89]|1[0-5])[bwdl]?|eiz|riz`;
const SEGMENT_REGS = String.raw`cs|ds|es|fs|gs|ss`;
const SYSTEM_REGS = String.raw`cr(?:[0-9]|1[0-5])|dr(?:[0-9]|1[0-5])|tr[3-7]`;
const VECTOR_REGS = String.raw`[xyz]mm(?:[0-9]|[12][0-9]|3[01])|mm[0-7]|k[0-7]|bnd[0-3]|st(?:\([0-7]\)|[0-7])?`;

const PREPROCESSOR_C = 'include|define|undef|if|ifdef|ifndef|elif|else|endif|error|warning|pragma|line';
const PREPROCESSOR_NAMES = 'define|xdefine|idefine|ixdefine|undef|macro|imacro|assign|iassign|strlen|substr|local';

const SUPPRESSION_MARKERS = String.raw`virtlint-(?:disable-next-line|disable-line|disable-file|disable|enable|fixed)`;

const statementStart = String.raw`(?i)(?:^|(?<=:))\s*((?:(?:${PREFIX_WORDS})\s+)*)`;

const grammar = {
  $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
  name: 'x86 Assembly (virtlint)',
  scopeName: 'source.x86asm.virtlint',
  comment: 'Generated by syntaxes/x86asm.grammar.mjs; edit that file, not this one.',
  patterns: [
    { include: '#c-preprocessor' },
    { include: '#comments' },
    { include: '#nasm-preprocessor' },
    { include: '#nasm-bracket-directive' },
    { include: '#label-definition' },
    { include: '#named-definition' },
    { include: '#far-transfer' },
    { include: '#statement' },
    { include: '#operands' },
  ],
  repository: {
    comments: {
      patterns: [
        {
          name: `comment.block.${L}`,
          begin: String.raw`/\*`,
          end: String.raw`\*/`,
          captures: { 0: { name: `punctuation.definition.comment.${L}` } },
          patterns: [{ include: '#suppression' }],
        },
        {
          name: `comment.line.semicolon.${L}`,
          begin: ';',
          end: '$',
          beginCaptures: { 0: { name: `punctuation.definition.comment.${L}` } },
          patterns: [{ include: '#suppression' }],
        },
        {
          name: `comment.line.double-slash.${L}`,
          begin: String.raw`(?:^|(?<=\s))//`,
          end: '$',
          beginCaptures: { 0: { name: `punctuation.definition.comment.${L}` } },
          patterns: [{ include: '#suppression' }],
        },
        {
          name: `comment.line.number-sign.${L}`,
          begin: '#',
          end: '$',
          beginCaptures: { 0: { name: `punctuation.definition.comment.${L}` } },
          patterns: [{ include: '#suppression' }],
        },
      ],
    },
    suppression: {
      comment: 'virtlint comment markers and the rule ids after them (up to an optional `-- reason`).',
      patterns: [
        {
          begin: String.raw`\b(${SUPPRESSION_MARKERS})(?![\w-])`,
          end: String.raw`(?=\s--(?:\s|$)|\*/|$)`,
          beginCaptures: { 1: { name: `keyword.control.directive.suppression.virtlint.${L}` } },
          patterns: [
            { name: `constant.language.rule-id.virtlint.${L}`, match: String.raw`\b[a-z][a-z0-9]*(?:-[a-z0-9]+)*\b` },
            { name: `punctuation.separator.delimiter.${L}`, match: ',' },
          ],
        },
        {
          match: String.raw`\b(virtlint)(:)\s*((?:\w+\s*=\s*\w+\s*)*)`,
          captures: {
            1: { name: `keyword.control.directive.modeline.virtlint.${L}` },
            2: { name: `punctuation.separator.key-value.${L}` },
            3: { name: `meta.modeline.settings.virtlint.${L}` },
          },
        },
      ],
    },
    'c-preprocessor': {
      name: `meta.preprocessor.${L}`,
      begin: String.raw`^\s*(#)\s*(${PREPROCESSOR_C})\b`,
      end: String.raw`(?<!\\)$`,
      beginCaptures: {
        1: { name: `punctuation.definition.directive.${L}` },
        2: { name: `keyword.control.directive.preprocessor.${L}` },
      },
      patterns: [
        { name: `string.quoted.other.lt-gt.include.${L}`, match: '<[^>]*>' },
        { include: '#comments' },
        { include: '#operands' },
      ],
    },
    'nasm-preprocessor': {
      name: `meta.preprocessor.${L}`,
      begin: String.raw`(?i)^\s*(%)\s*(?:(${PREPROCESSOR_NAMES})\b(?:\s+(${IDENT}))?|([a-z]\w*))`,
      end: '$',
      beginCaptures: {
        1: { name: `punctuation.definition.directive.${L}` },
        2: { name: `keyword.control.directive.preprocessor.${L}` },
        3: { name: `entity.name.function.macro.${L}` },
        4: { name: `keyword.control.directive.preprocessor.${L}` },
      },
      patterns: [{ include: '#comments' }, { include: '#operands' }],
    },
    'nasm-bracket-directive': {
      name: `meta.directive.${L}`,
      begin: String.raw`(?i)^\s*(\[)\s*(bits|org|section|segment|global|extern|default|cpu|absolute|warning|map|sectalign|list|use16|use32|use64)\b`,
      end: String.raw`(\])|$`,
      beginCaptures: {
        1: { name: `punctuation.definition.directive.begin.${L}` },
        2: { name: `keyword.control.directive.${L}` },
      },
      endCaptures: { 1: { name: `punctuation.definition.directive.end.${L}` } },
      patterns: [{ include: '#comments' }, { include: '#operands' }],
    },
    'label-definition': {
      match: String.raw`(?i)^\s*(${IDENT}|\d+)\s*(::?)(?!:)`,
      captures: {
        1: { name: `entity.name.function.label.${L}` },
        2: { name: `punctuation.separator.label.${L}` },
      },
    },
    'named-definition': {
      comment: 'A name followed by a defining word, without a colon: `msg db 1`, `N equ 4`, `main PROC`, `N = 4`.',
      patterns: [
        {
          begin: String.raw`(?i)^\s*(${IDENT})\s+(${NAMED_DATA_WORDS})${NOT_AFTER}`,
          end: '$',
          beginCaptures: {
            1: { name: `entity.name.variable.${L}` },
            2: { name: `keyword.control.directive.data.${L}` },
          },
          patterns: [{ include: '#comments' }, { include: '#operands' }],
        },
        {
          begin: String.raw`(?i)^\s*(${IDENT})\s+(?:(${NAMED_CONSTANT_WORDS})${NOT_AFTER}|(=)(?!=))`,
          end: '$',
          beginCaptures: {
            1: { name: `entity.name.constant.${L}` },
            2: { name: `keyword.control.directive.${L}` },
            3: { name: `keyword.operator.assignment.${L}` },
          },
          patterns: [{ include: '#comments' }, { include: '#operands' }],
        },
        {
          begin: String.raw`(?i)^\s*(${IDENT})\s+(${NAMED_BLOCK_WORDS})${NOT_AFTER}`,
          end: '$',
          beginCaptures: {
            1: { name: `entity.name.function.${L}` },
            2: { name: `keyword.control.directive.${L}` },
          },
          patterns: [{ include: '#comments' }, { include: '#operands' }],
        },
      ],
    },
    'far-transfer': {
      comment: 'jmp far / call far: the `far` keyword is what makes the transfer sensitive, so it gets the sensitive scope.',
      name: `meta.statement.${L}`,
      begin: String.raw`${statementStart}(jmp|call)\s+(?:(${SIZE_WORDS})\s+)?(far)${NOT_AFTER}`,
      end: '$',
      beginCaptures: {
        1: { patterns: [{ include: '#prefix' }] },
        2: { name: `keyword.other.instruction.${L}` },
        3: { name: `storage.type.size.${L}` },
        4: { name: `storage.modifier.far.sensitive.virtlint.${L}` },
      },
      patterns: [{ include: '#comments' }, { include: '#operands' }],
    },
    statement: {
      name: `meta.statement.${L}`,
      begin: String.raw`${statementStart}(${IDENT}|\.\d+)(?=\s|$|[;#,{]|/[/*])`,
      end: '$',
      beginCaptures: {
        1: { patterns: [{ include: '#prefix' }] },
        2: { patterns: [{ include: '#statement-word' }] },
      },
      patterns: [{ include: '#comments' }, { include: '#operands' }],
    },
    prefix: {
      name: `storage.modifier.prefix.${L}`,
      match: String.raw`(?i)${NOT_BEFORE}(?:${PREFIX_WORDS})${NOT_AFTER}`,
    },
    'statement-word': {
      comment: 'The first word of a statement: a sensitive instruction, a directive, a prefix alone, or any other instruction (or macro call).',
      patterns: [
        { name: SENSITIVE_SCOPE, match: String.raw`(?i)${NOT_BEFORE}(?:${SENSITIVE_MNEMONICS.join('|')})${NOT_AFTER}` },
        { name: `keyword.control.directive.${L}`, match: String.raw`${NOT_BEFORE}\.${IDENT_PART}+` },
        { name: `keyword.control.directive.data.${L}`, match: String.raw`(?i)${NOT_BEFORE}(?:${DATA_WORDS.join('|')})${NOT_AFTER}` },
        { name: `keyword.control.directive.${L}`, match: String.raw`(?i)${NOT_BEFORE}(?:${DIRECTIVE_WORDS.join('|')})${NOT_AFTER}` },
        { include: '#prefix' },
        { name: `keyword.other.instruction.${L}`, match: String.raw`${NOT_BEFORE}${IDENT}` },
      ],
    },
    operands: {
      patterns: [
        { include: '#strings' },
        { include: '#registers' },
        { include: '#macro-parameters' },
        { include: '#numbers' },
        { name: `storage.type.size.${L}`, match: String.raw`(?i)${NOT_BEFORE}(?:${SIZE_WORDS})${NOT_AFTER}` },
        { name: `storage.modifier.far.${L}`, match: String.raw`(?i)${NOT_BEFORE}far${NOT_AFTER}` },
        { name: `storage.modifier.${L}`, match: String.raw`(?i)${NOT_BEFORE}(?:${MODIFIER_WORDS})${NOT_AFTER}` },
        { name: `variable.language.location-counter.${L}`, match: String.raw`\$\$|\$(?![\w.$?@'"(~])(?![-+]\d)` },
        { name: `keyword.control.directive.data.${L}`, match: String.raw`(?i)${NOT_BEFORE}(?:${NASM_DATA_WORDS})${NOT_AFTER}` },
        { name: `keyword.operator.immediate.${L}`, match: String.raw`\$` },
        { name: `punctuation.separator.delimiter.${L}`, match: ',' },
        { name: `punctuation.separator.segment.${L}`, match: ':' },
        { name: `punctuation.definition.memory.begin.${L}`, match: String.raw`\[` },
        { name: `punctuation.definition.memory.end.${L}`, match: String.raw`\]` },
        { name: `punctuation.section.parens.begin.${L}`, match: String.raw`\(` },
        { name: `punctuation.section.parens.end.${L}`, match: String.raw`\)` },
        { name: `keyword.operator.${L}`, match: String.raw`<<|>>|[-+*/%&|^~!]` },
      ],
    },
    registers: {
      patterns: [
        {
          name: `variable.language.register.segment.${L}`,
          match: String.raw`(?i)${NOT_BEFORE}%?(?:${SEGMENT_REGS})${NOT_AFTER}`,
        },
        {
          name: `variable.language.register.system.${L}`,
          match: String.raw`(?i)${NOT_BEFORE}%?(?:${SYSTEM_REGS})${NOT_AFTER}`,
        },
        {
          name: `variable.language.register.vector.${L}`,
          match: String.raw`(?i)${NOT_BEFORE}%?(?:${VECTOR_REGS})${NOT_AFTER}`,
        },
        {
          name: `variable.language.register.general.${L}`,
          match: String.raw`(?i)${NOT_BEFORE}%?(?:${GPR})${NOT_AFTER}`,
        },
      ],
    },
    'macro-parameters': {
      patterns: [
        { name: `variable.parameter.macro.${L}`, match: String.raw`%(?:%${IDENT_PART}+|[+-]?\d+|\{[^}]*\}|\$+${IDENT_PART}+)` },
        { name: `variable.parameter.macro.${L}`, match: String.raw`\\(?:${IDENT}|\(\))` },
      ],
    },
    numbers: {
      patterns: [
        {
          name: `constant.numeric.float.${L}`,
          match: String.raw`(?i)${NUMBER_NOT_BEFORE}\d[\d_]*\.\d[\d_]*(?:e[+-]?\d+)?${NOT_AFTER}`,
        },
        { name: `constant.numeric.hex.${L}`, match: String.raw`(?i)${NUMBER_NOT_BEFORE}0x[\da-f_]+${NOT_AFTER}` },
        { name: `constant.numeric.hex.${L}`, match: String.raw`(?i)${NUMBER_NOT_BEFORE}\d[\da-f_]*h${NOT_AFTER}` },
        { name: `constant.numeric.binary.${L}`, match: String.raw`(?i)${NUMBER_NOT_BEFORE}(?:0b[01_]+|[01][01_]*[by])${NOT_AFTER}` },
        { name: `constant.numeric.octal.${L}`, match: String.raw`(?i)${NUMBER_NOT_BEFORE}(?:0[oq][0-7_]+|[0-7][0-7_]*[oq])${NOT_AFTER}` },
        { name: `constant.numeric.decimal.${L}`, match: String.raw`(?i)${NUMBER_NOT_BEFORE}(?:0d)?\d[\d_]*[dtfb]?${NOT_AFTER}` },
      ],
    },
    strings: {
      patterns: [
        {
          name: `string.quoted.double.${L}`,
          begin: '"',
          end: '"|$',
          beginCaptures: { 0: { name: `punctuation.definition.string.begin.${L}` } },
          endCaptures: { 0: { name: `punctuation.definition.string.end.${L}` } },
          patterns: [{ name: `constant.character.escape.${L}`, match: String.raw`\\.` }],
        },
        {
          name: `string.quoted.single.${L}`,
          begin: "'",
          end: "'|$",
          beginCaptures: { 0: { name: `punctuation.definition.string.begin.${L}` } },
          endCaptures: { 0: { name: `punctuation.definition.string.end.${L}` } },
        },
        {
          name: `string.quoted.other.backtick.${L}`,
          begin: '`',
          end: '`|$',
          beginCaptures: { 0: { name: `punctuation.definition.string.begin.${L}` } },
          endCaptures: { 0: { name: `punctuation.definition.string.end.${L}` } },
          patterns: [{ name: `constant.character.escape.${L}`, match: String.raw`\\.` }],
        },
      ],
    },
  },
};

const outputPath = fileURLToPath(new URL('./x86asm.tmLanguage.json', import.meta.url));
const json = JSON.stringify(grammar, null, 2) + '\n';

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(outputPath, 'utf8');
  } catch {
    current = '';
  }
  if (current !== json) {
    console.error('syntaxes/x86asm.tmLanguage.json is out of date: run node syntaxes/x86asm.grammar.mjs');
    process.exit(1);
  }
  console.log('grammar JSON is up to date');
} else {
  writeFileSync(outputPath, json);
  console.log(`wrote ${outputPath}`);
}
