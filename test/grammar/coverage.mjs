// Cross-checks the grammar's sensitive-instruction scope against the rule catalogue: every
// single-word mnemonic a rule lists (and its AT&T spellings) gets the scope, ordinary
// instructions do not. Needs `tsc -p .` (reads the compiled catalogue from out/).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const { RULES } = require(`${root}out/server/src/analysis/catalogue/index.js`);
const grammar = JSON.parse(readFileSync(`${root}syntaxes/x86asm.tmLanguage.json`, 'utf8'));

const sensitive = grammar.repository['statement-word'].patterns.find((p) => /\bsensitive\b/.test(p.name ?? ''));
if (!sensitive) {
  console.error('coverage: the grammar has no sensitive-instruction pattern');
  process.exit(1);
}
const regex = new RegExp(`^(?:${sensitive.match.replace(/^\(\?i\)/, '')})$`, 'i');

// INT3 is reported only on request (`--rules all`), so the grammar leaves it an ordinary instruction.
const NOT_SCOPED = new Set(['INT3']);
const expected = new Set();
for (const rule of RULES) {
  for (const mnemonic of rule.mnemonics) {
    const word = mnemonic.split(' ')[0];
    if (mnemonic.includes(' ') && ['PUSH', 'POP', 'MOV', 'CALL', 'JMP'].includes(word)) continue; // operand- or `far`-dependent forms
    if (!NOT_SCOPED.has(word)) expected.add(word.toLowerCase());
  }
}
const attSpellings = ['pushfl', 'pushfw', 'pushfq', 'popfl', 'popfw', 'popfq', 'iretl', 'iretw', 'iretq', 'lretl', 'lretq', 'lretw',
  'ljmpl', 'ljmpw', 'lcalll', 'lcallw', 'sgdtl', 'sidtq', 'smsww', 'strw', 'larl', 'lslq', 'retfq', 'icebp', 'int1'];
const ordinary = ['mov', 'push', 'pop', 'call', 'jmp', 'ret', 'int3', 'lea', 'movs', 'stos', 'strlen', 'sidtx', 'iretx', 'cpuidx',
  'lsls', 'rdtsca', 'pushad', 'popa', 'interrupt', 'syscall', 'sysenter', 'hlt', 'lgdt', 'lidt', 'ltr', 'lmsw'];

let passed = 0;
let failed = 0;
function check(ok, message) {
  if (ok) passed++;
  else {
    failed++;
    console.error(`coverage: ${message}`);
  }
}
check(expected.size >= 20, `expected at least 20 mnemonics from the catalogue, got ${expected.size}`);
for (const word of [...expected, ...attSpellings]) check(regex.test(word), `"${word}" should be scoped as sensitive`);
for (const word of ordinary) check(!regex.test(word), `"${word}" should not be scoped as sensitive`);
console.log(`coverage: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
