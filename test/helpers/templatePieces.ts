// A C function whose one asm statement is spelled from several pieces: adjacent literals, `#x`,
// `__stringify` and the operands `%0`/`%k0`. The front end's findings (test/embedded) and the
// language server's hovers (test/lsp) must both land on the pieces each instruction came from.
export const TEMPLATE_FROM_PIECES = [
  '#define str(x) #x',
  '#define __stringify_1(x...) #x',
  '#define __stringify(x...) __stringify_1(x)',
  'void f(void) {',
  '\tunsigned short sel; unsigned long v;',
  '\tasm volatile("push" "f\\n\\t"',
  '\t\t"pop %0\\n\\t" str(sgdt) " %1\\n\\t"',
  '\t\t"mov" __stringify(l %%cs, %k0) "\\n\\t"',
  '\t\t"lsl %k0, %k0" : "=r"(v), "=m"(sel));',
  '}',
].join('\n');
