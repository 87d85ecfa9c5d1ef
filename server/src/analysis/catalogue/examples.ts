// One flagged statement per rule in each dialect we can assemble here, and in C (GCC inline
// asm) and Rust (`asm!`). The catalogue test assembles every example with nasm / GNU as, compiles
// the C ones with gcc and the Rust ones with rustc, decodes the bytes with iced-x86 and checks the
// instruction belongs to the rule, so the examples in the docs are real and correctly spelled.
import type { Bits } from '../types';

/** A flagged statement in a host language, and the declarations it needs before it in the function body. */
export interface HostExample {
  declarations: string;
  statement: string;
}

export interface RuleExample {
  bits: Bits;
  nasm: string;
  gasAtt: string;
  gasIntel: string;
  /** GCC/Clang extended or basic asm (AT&T syntax, `-m<bits>`). */
  c: HostExample;
  /** Rust `asm!` (Intel syntax unless it says `options(att_syntax)`), with `use core::arch::asm;`. */
  rust: HostExample;
}

type AssemblyExample = Omit<RuleExample, 'c' | 'rust'>;

function same(bits: Bits, statement: string): AssemblyExample {
  return { bits, nasm: statement, gasAtt: statement, gasIntel: statement };
}

function host(declarations: string, statement: string): HostExample {
  return { declarations, statement };
}

function withHosts(assembly: AssemblyExample, c: HostExample, rust: HostExample): RuleExample {
  return { ...assembly, c, rust };
}

export const EXAMPLES: Readonly<Record<string, RuleExample>> = {
  sgdt: withHosts(
    { bits: 64, nasm: 'sgdt [rax]', gasAtt: 'sgdt (%rax)', gasIntel: 'sgdt [rax]' },
    host('struct { unsigned short limit; unsigned long base; } __attribute__((packed)) gdtr;', 'asm volatile("sgdt %0" : "=m"(gdtr));'),
    host('let mut gdtr = [0u8; 10];\nlet p = gdtr.as_mut_ptr();', 'asm!("sgdt [{}]", in(reg) p);'),
  ),
  sidt: withHosts(
    { bits: 64, nasm: 'sidt [rax]', gasAtt: 'sidt (%rax)', gasIntel: 'sidt [rax]' },
    host('struct { unsigned short limit; unsigned long base; } __attribute__((packed)) idtr;', 'asm volatile("sidt %0" : "=m"(idtr));'),
    host('let mut idtr = [0u8; 10];\nlet p = idtr.as_mut_ptr();', 'asm!("sidt [{}]", in(reg) p);'),
  ),
  sldt: withHosts(
    { bits: 64, nasm: 'sldt ax', gasAtt: 'sldt %ax', gasIntel: 'sldt ax' },
    host('unsigned short ldt;', 'asm volatile("sldt %0" : "=r"(ldt));'),
    host('let ldt: u16;', 'asm!("sldt {0:x}", out(reg) ldt);'),
  ),
  smsw: withHosts(
    { bits: 64, nasm: 'smsw eax', gasAtt: 'smsw %eax', gasIntel: 'smsw eax' },
    host('unsigned int msw;', 'asm volatile("smsw %0" : "=r"(msw));'),
    host('let msw: u32;', 'asm!("smsw {0:e}", out(reg) msw);'),
  ),
  str: withHosts(
    { bits: 64, nasm: 'str ax', gasAtt: 'str %ax', gasIntel: 'str ax' },
    host('unsigned short tr;', 'asm volatile("str %0" : "=r"(tr));'),
    host('let tr: u16;', 'asm!("str {0:x}", out(reg) tr);'),
  ),
  pushf: withHosts(
    same(64, 'pushfq'),
    host('unsigned long flags;', 'asm volatile("pushf; pop %0" : "=r"(flags));'),
    host('let flags: u64;', 'asm!("pushfq", "pop {}", out(reg) flags);'),
  ),
  popf: withHosts(
    same(64, 'popfq'),
    host('unsigned long flags = 0x202;', 'asm volatile("push %0; popf" : : "r"(flags) : "cc");'),
    host('let flags: u64 = 0x202;', 'asm!("push {}", "popfq", in(reg) flags);'),
  ),
  lar: withHosts(
    { bits: 64, nasm: 'lar eax, ecx', gasAtt: 'lar %ecx, %eax', gasIntel: 'lar eax, ecx' },
    host('unsigned int sel = 0x10, ar;', 'asm volatile("lar %1, %0" : "=r"(ar) : "r"(sel));'),
    host('let sel: u32 = 0x10;\nlet ar: u32;', 'asm!("lar {0:e}, {1:e}", out(reg) ar, in(reg) sel);'),
  ),
  lsl: withHosts(
    { bits: 64, nasm: 'lsl eax, ecx', gasAtt: 'lsl %ecx, %eax', gasIntel: 'lsl eax, ecx' },
    host('unsigned int sel = 0x10, limit;', 'asm volatile("lsl %1, %0" : "=r"(limit) : "r"(sel));'),
    host('let sel: u32 = 0x10;\nlet limit: u32;', 'asm!("lsl {0:e}, {1:e}", out(reg) limit, in(reg) sel);'),
  ),
  verr: withHosts(
    { bits: 64, nasm: 'verr ax', gasAtt: 'verr %ax', gasIntel: 'verr ax' },
    host('unsigned short sel = 0x10;', 'asm volatile("verr %0" : : "r"(sel) : "cc");'),
    host('let sel: u16 = 0x10;', 'asm!("verr {0:x}", in(reg) sel);'),
  ),
  verw: withHosts(
    { bits: 64, nasm: 'verw ax', gasAtt: 'verw %ax', gasIntel: 'verw ax' },
    host('unsigned short sel = 0x10;', 'asm volatile("verw %0" : : "r"(sel) : "cc");'),
    host('let sel: u16 = 0x10;', 'asm!("verw {0:x}", in(reg) sel);'),
  ),
  'push-sreg': withHosts(
    { bits: 32, nasm: 'push cs', gasAtt: 'push %cs', gasIntel: 'push cs' },
    host('unsigned int cs;', 'asm volatile("push %%cs; pop %0" : "=r"(cs));'),
    host('let cs: u32;', 'asm!("push cs", "pop {}", out(reg) cs);'),
  ),
  'pop-sreg': withHosts(
    { bits: 32, nasm: 'pop ds', gasAtt: 'pop %ds', gasIntel: 'pop ds' },
    host('unsigned int sel = 0x23;', 'asm volatile("push %0; pop %%ds" : : "r"(sel));'),
    host('let sel: u32 = 0x23;', 'asm!("push {}", "pop ds", in(reg) sel);'),
  ),
  'mov-sreg': withHosts(
    { bits: 64, nasm: 'mov ax, ss', gasAtt: 'mov %ss, %ax', gasIntel: 'mov ax, ss' },
    host('unsigned short ss;', 'asm volatile("mov %%ss, %0" : "=r"(ss));'),
    host('let ss: u16;', 'asm!("mov {0:x}, ss", out(reg) ss);'),
  ),
  'far-call': withHosts(
    { bits: 64, nasm: 'call far [rax]', gasAtt: 'lcall *(%rax)', gasIntel: 'call fword ptr [rax]' },
    host('struct { unsigned int offset; unsigned short selector; } __attribute__((packed)) target = { 0x1000, 0x10 };', 'asm volatile("lcall *%0" : : "m"(target));'),
    host('let target = [0u8; 6];\nlet p = target.as_ptr();', 'asm!("call fword ptr [{}]", in(reg) p);'),
  ),
  'far-jmp': withHosts(
    { bits: 32, nasm: 'jmp 0x08:0x1000', gasAtt: 'ljmp $0x08, $0x1000', gasIntel: 'jmp 0x08:0x1000' },
    host('', 'asm volatile("ljmp $0x08, $1f\\n1:");'),
    host('', 'asm!("ljmp $0x08, $2f", "2:", options(att_syntax));'),
  ),
  'far-ret': withHosts(
    { bits: 64, nasm: 'retf', gasAtt: 'lretq', gasIntel: 'retf' },
    host('', 'asm volatile("lretq");'),
    host('', 'asm!("retf");'),
  ),
  int: withHosts(
    { bits: 64, nasm: 'int 0x80', gasAtt: 'int $0x80', gasIntel: 'int 0x80' },
    host('', 'asm volatile("int $0x80");'),
    host('', 'asm!("int 0x80");'),
  ),
  iret: withHosts(
    same(64, 'iretq'),
    host('', 'asm volatile("iretq");'),
    host('', 'asm!("iretq");'),
  ),
  cpuid: withHosts(
    same(64, 'cpuid'),
    host('unsigned int a = 1, b, c = 0, d;', 'asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));'),
    host('let ecx: u32;', 'asm!("push rbx", "cpuid", "pop rbx", inout("eax") 1 => _, out("ecx") ecx, out("edx") _);'),
  ),
  rdtsc: withHosts(
    same(64, 'rdtsc'),
    host('unsigned int lo, hi;', 'asm volatile("rdtsc" : "=a"(lo), "=d"(hi));'),
    host('let lo: u32;\nlet hi: u32;', 'asm!("rdtsc", out("eax") lo, out("edx") hi);'),
  ),
  rdtscp: withHosts(
    same(64, 'rdtscp'),
    host('unsigned int lo, hi, aux;', 'asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));'),
    host('let aux: u32;', 'asm!("rdtscp", out("eax") _, out("edx") _, out("ecx") aux);'),
  ),
  rdpmc: withHosts(
    same(64, 'rdpmc'),
    host('unsigned int lo, hi;', 'asm volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(0));'),
    host('let lo: u32;', 'asm!("rdpmc", in("ecx") 0, out("eax") lo, out("edx") _);'),
  ),
  rdpid: withHosts(
    { bits: 64, nasm: 'rdpid rax', gasAtt: 'rdpid %rax', gasIntel: 'rdpid rax' },
    host('unsigned long pid;', 'asm volatile("rdpid %0" : "=r"(pid));'),
    host('let pid: u64;', 'asm!("rdpid {}", out(reg) pid);'),
  ),
  xgetbv: withHosts(
    same(64, 'xgetbv'),
    host('unsigned int lo, hi;', 'asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));'),
    host('let lo: u32;', 'asm!("xgetbv", in("ecx") 0, out("eax") lo, out("edx") _);'),
  ),
};

/** One NASM snippet per VM-detection idiom, for its docs page; test/rules/idioms.test.ts assembles each and checks it is reported. */
export interface IdiomExample {
  bits: Bits;
  nasm: string;
}

export const IDIOM_EXAMPLES: Readonly<Record<string, IdiomExample>> = {
  'hypervisor-leaf': { bits: 64, nasm: 'mov eax, 0x40000000      ; the first hypervisor leaf\ncpuid\nmov [rdi], ebx           ; the vendor signature, for later' },
  'hypervisor-bit': { bits: 64, nasm: 'mov eax, 1\ncpuid\nbt ecx, 31               ; hypervisor present?\njc .virtual' },
  'hypervisor-signature': { bits: 64, nasm: "mov eax, 0x40000000\ncpuid\ncmp ebx, 'VMwa'          ; 0x61774D56\njne .other\ncmp ecx, 'reVM'\njne .other\ncmp edx, 'ware'" },
  'timing-check': { bits: 64, nasm: 'rdtsc\nshl rdx, 32\nor rax, rdx\nmov rsi, rax\nxor eax, eax\ncpuid                    ; always exits under VT-x\nrdtsc\nshl rdx, 32\nor rax, rdx\nsub rax, rsi\ncmp rax, 1000\nja .virtual' },
  'vmware-backdoor': { bits: 32, nasm: "mov eax, 'hXMV'          ; 0x564D5868, 'VMXh'\nxor ebx, ebx\nmov ecx, 10               ; get version\nmov dx, 'XV'             ; port 0x5658, 'VX'\nin eax, dx\ncmp ebx, 'hXMV'" },
  'virtualpc-backdoor': { bits: 32, nasm: 'mov eax, 1\nxor ebx, ebx\ndb 0x0f, 0x3f, 0x07, 0x0b  ; vpcext 7, 0Bh\ntest ebx, ebx' },
  'red-pill': { bits: 32, nasm: 'sidt [esp-6]\ncmp byte [esp-1], 0xd0   ; top byte of the IDT base\nja .virtual' },
};
