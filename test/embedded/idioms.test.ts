// VM-detection idioms in C, C++ and Rust: inside one asm statement (read as assembly) and across
// statements (an intrinsic's leaf, a signature string passed to memcmp, two __rdtsc() calls around
// a CPUID, a stored IDTR compared with a constant). Honest uses of the same intrinsics stay plain.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeEmbedded, type HostLanguage } from '../../server/src/analysis/embedded';
import { ruleById } from '../../server/src/analysis/catalogue';

const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'idioms');

interface HostIdiomCase {
  language: HostLanguage;
  code: string;
  /** The idioms expected, each with its 1-based line; empty for honest code. */
  idioms: [string, number][];
  why: string;
}

const CASES: HostIdiomCase[] = [
  {
    language: 'c',
    why: 'MSVC-style __cpuid(r, 0x40000000), then memcmp with "VMwareVMware"',
    code: '#include <intrin.h>\n#include <string.h>\nint vmware(void) {\n  int r[4]; char v[12];\n  __cpuid(r, 0x40000000);\n  memcpy(v, &r[1], 12);\n  return memcmp(v, "VMwareVMware", 12) == 0;\n}',
    idioms: [['hypervisor-signature', 5]],
  },
  {
    language: 'c',
    why: 'gcc __cpuid(0x40000000, …) alone: the hypervisor leaf',
    code: '#include <cpuid.h>\nunsigned max_leaf(void) {\n  unsigned a, b, c, d;\n  __cpuid(0x40000000, a, b, c, d);\n  return a;\n}',
    idioms: [['hypervisor-leaf', 4]],
  },
  {
    language: 'c',
    why: 'Linux-style cpuid_base: the signature compared, the leaf in a loop variable',
    code: 'static inline void cpuid(unsigned op, unsigned *a, unsigned *b, unsigned *c, unsigned *d)\n{ asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "0"(op)); }\nunsigned base(const char *sig) {\n  unsigned base, eax, s[3];\n  for (base = 0x40000000; base < 0x40010000; base += 0x100) {\n    cpuid(base, &eax, &s[0], &s[1], &s[2]);\n    if (!memcmp("KVMKVMKVM\\0\\0\\0", s, 12)) return base;\n  }\n  return 0;\n}',
    idioms: [['hypervisor-signature', 6]],
  },
  {
    language: 'c',
    why: 'a wrapper defined elsewhere (cpuid), the leaf from a loop macro of the file that assigns its parameter',
    code: '#define each_base(b) for (b = 0x40000000; b < 0x40010000; b += 0x100)\nunsigned scan_bases(const char *sig, unsigned want) {\n  unsigned base, eax, s[3];\n  each_base(base) {\n    cpuid(base, &eax, &s[0], &s[1], &s[2]);\n    if (!memcmp(sig, s, 12) && eax - base >= want) return base;\n  }\n  return 0;\n}',
    idioms: [['hypervisor-leaf', 5]],
  },
  {
    language: 'c',
    why: 'a signature literal passed to a function that searches the hypervisor leaves (defined in a header)',
    code: 'static inline unsigned xen_base(void) {\n  return hypervisor_cpuid_base("XenVMMXenVMM", 2);\n}',
    idioms: [['hypervisor-signature', 2]],
  },
  {
    language: 'c',
    why: 'the Jailhouse signature, NUL-padded, passed to the leaf search',
    code: 'static unsigned cell_base(void) {\n  return hypervisor_cpuid_base("Jailhouse\\0\\0\\0", 0);\n}',
    idioms: [['hypervisor-signature', 2]],
  },
  {
    language: 'c',
    why: 'a string that is not a signature passed to the leaf search',
    code: 'static unsigned other_base(void) {\n  return hypervisor_cpuid_base("NotAHypervsr", 0);\n}',
    idioms: [],
  },
  {
    language: 'c',
    why: 'a well-known signature macro (KVM_SIGNATURE) passed to the leaf search',
    code: 'static unsigned kvm_base(void) {\n  if (has_hypervisor())\n    return hypervisor_cpuid_base(KVM_SIGNATURE, 0);\n  return 0;\n}',
    idioms: [['hypervisor-signature', 3]],
  },
  {
    language: 'cpp',
    why: 'cpuid_count with a constant the file defines, then the signature compared',
    code: '#define VENDOR_LEAF 0x40000000\nbool on_hyperv() {\n  unsigned a, s[3];\n  cpuid_count(VENDOR_LEAF, 0, &a, &s[0], &s[1], &s[2]);\n  return !memcmp(s, "Microsoft Hv", 12);\n}',
    idioms: [['hypervisor-signature', 4]],
  },
  {
    language: 'c',
    why: 'through a wrapper, a hypervisor leaf other than the vendor leaf (guest code that already knows its hypervisor)',
    code: '#define TIMING_LEAF 0x40000010\nunsigned long tsc_khz(void) {\n  return cpuid_eax(TIMING_LEAF);\n}',
    idioms: [],
  },
  {
    language: 'c',
    why: 'feature detection through wrappers: cpuid(1, …), cpuid_count(7, …), a leaf variable set to 7',
    code: 'int features(void) {\n  unsigned a, b, c, d, leaf;\n  cpuid(1, &a, &b, &c, &d);\n  if (!(c & (1 << 28))) return 0;\n  cpuid_count(7, 0, &a, &b, &c, &d);\n  leaf = 7;\n  native_cpuid(&a, &b, &c, &d);\n  cpuid(leaf, &a, &b, &c, &d);\n  return (b >> 5) & 1;\n}',
    idioms: [],
  },
  {
    language: 'c',
    why: 'the leaf variable reassigned before the call',
    code: 'int max_basic(void) {\n  unsigned leaf = 0x40000000, a, b, c, d;\n  leaf = 0;\n  cpuid(leaf, &a, &b, &c, &d);\n  return a;\n}',
    idioms: [],
  },
  {
    language: 'c',
    why: 'a hypervisor comparing a signature macro with the leaves it fills for a guest (no CPUID runs)',
    code: 'static int guest_is_kvm(const unsigned sig[3]) {\n  return !memcmp(sig, KVM_SIGNATURE, 12);\n}',
    idioms: [],
  },
  {
    language: 'c',
    why: 'kvm_find_cpuid_entry is not a CPUID wrapper (the name merely contains cpuid)',
    code: 'void update(struct vcpu *v) {\n  unsigned f;\n  for (f = 0x40000000; f < 0x40010000; f += 0x100) {\n    if (kvm_find_cpuid_entry(v, f)) break;\n  }\n}',
    idioms: [],
  },
  {
    language: 'cpp',
    why: 'leaf 1 and the hypervisor bit through __get_cpuid',
    code: '#include <cpuid.h>\nbool in_vm() {\n  unsigned a, b, c, d;\n  __get_cpuid(1, &a, &b, &c, &d);\n  return (c & (1u << 31)) != 0;\n}',
    idioms: [['hypervisor-bit', 4]],
  },
  {
    language: 'c',
    why: 'timing: __rdtsc(), CPUID in asm, __rdtsc(), difference compared',
    code: '#include <x86intrin.h>\nint slow(void) {\n  unsigned long long t0 = __rdtsc();\n  unsigned a = 0, b, c, d;\n  asm volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));\n  unsigned long long t1 = __rdtsc();\n  return t1 - t0 > 1000;\n}',
    idioms: [['timing-check', 3]],
  },
  {
    language: 'c',
    why: 'the VMware backdoor in one asm statement',
    code: 'unsigned vmware(void) {\n  unsigned a, b = 0, c = 10, d = 0x5658;\n  asm volatile("movl $0x564d5868, %%eax\\n\\tinl %%dx, %%eax" : "=a"(a), "+b"(b), "+c"(c), "+d"(d));\n  return b;\n}',
    idioms: [['vmware-backdoor', 3]],
  },
  {
    language: 'c',
    why: 'Red Pill: SIDT into an array, its top byte compared',
    code: 'int red_pill(void) {\n  unsigned char m[6];\n  asm("sidt %0" : "=m"(m));\n  return m[5] > 0xd0;\n}',
    idioms: [['red-pill', 3]],
  },
  {
    language: 'rust',
    why: 'Rust: __cpuid(0x4000_0000)',
    code: 'use core::arch::x86_64::__cpuid;\npub fn max_leaf() -> u32 {\n    unsafe { __cpuid(0x4000_0000).eax }\n}',
    idioms: [['hypervisor-leaf', 3]],
  },
  {
    language: 'rust',
    why: 'Rust: _rdtsc, __cpuid, _rdtsc, compared',
    code: 'use core::arch::x86_64::{__cpuid, _rdtsc};\npub fn slow() -> bool {\n    unsafe {\n        let t0 = _rdtsc();\n        __cpuid(0);\n        let t1 = _rdtsc();\n        t1 - t0 > 1000\n    }\n}',
    idioms: [['timing-check', 4]],
  },
  {
    language: 'c',
    why: 'feature detection: leaf 1, AVX bit 28',
    code: '#include <cpuid.h>\nint avx(void) {\n  unsigned a, b, c, d;\n  __get_cpuid(1, &a, &b, &c, &d);\n  return (c >> 28) & 1;\n}',
    idioms: [],
  },
  {
    language: 'c',
    why: 'feature detection: leaf 7',
    code: '#include <cpuid.h>\nint avx2(void) {\n  unsigned a, b, c, d;\n  __cpuid_count(7, 0, a, b, c, d);\n  return (b >> 5) & 1;\n}',
    idioms: [],
  },
  {
    language: 'c',
    why: 'a timing loop: no CPUID between the reads',
    code: '#include <x86intrin.h>\nunsigned long long spin(unsigned n) {\n  unsigned long long t0 = __rdtsc();\n  for (unsigned i = 0; i < n; i++) asm volatile("" ::: "memory");\n  return __rdtsc() - t0;\n}',
    idioms: [],
  },
  {
    language: 'c',
    why: 'the two reads in different functions',
    code: '#include <x86intrin.h>\n#include <cpuid.h>\nunsigned long long start(void) { unsigned a, b, c, d; __cpuid(0, a, b, c, d); return __rdtsc(); }\nint done(unsigned long long t0) { return __rdtsc() - t0 > 100; }',
    idioms: [],
  },
];

function idiomsOf(code: string, language: HostLanguage, profile = 'vm-detection-audit'): [string, number][] {
  const result = analyzeEmbedded(code, { language, build: { bits: 64 }, profile });
  return result.findings.filter((finding) => ruleById(finding.ruleId)?.group === 'idiom').map((finding) => [finding.ruleId, finding.range.start.line + 1]);
}

describe('embedded: VM-detection idioms in C, C++ and Rust', () => {
  for (const testCase of CASES) {
    it(`${testCase.language}: ${testCase.why}`, () => {
      assert.deepEqual(idiomsOf(testCase.code, testCase.language), testCase.idioms);
      assert.deepEqual(idiomsOf(testCase.code, testCase.language, 'deprivileged-kernel'), [], 'only the audit profile runs idioms');
    });
  }

  it('an idiom replaces the plain findings it is made of', () => {
    const timing = CASES.find((testCase) => testCase.why.startsWith('timing:'))!;
    const result = analyzeEmbedded(timing.code, { language: 'c', build: { bits: 64 }, profile: 'vm-detection-audit' });
    assert.deepEqual(result.findings.map((finding) => finding.ruleId), ['timing-check']);
  });

  it('the fixture wrappers.c: the leaf through a loop macro and a constant, the signature macro passed to the search, the literal compared', () => {
    const found = idiomsOf(fs.readFileSync(path.join(FIXTURES, 'wrappers.c'), 'utf8'), 'c');
    assert.deepEqual(found, [
      ['hypervisor-leaf', 23],
      ['hypervisor-signature', 32],
      ['hypervisor-leaf', 40],
      ['hypervisor-signature', 48],
    ]);
  });

  it('the fixtures: detect.c has one idiom per function, honest.c none', () => {
    const detect = idiomsOf(fs.readFileSync(path.join(FIXTURES, 'detect.c'), 'utf8'), 'c').map(([id]) => id);
    assert.deepEqual(detect, ['hypervisor-signature', 'hypervisor-bit', 'timing-check', 'vmware-backdoor', 'virtualpc-backdoor', 'red-pill']);
    assert.deepEqual(idiomsOf(fs.readFileSync(path.join(FIXTURES, 'honest.c'), 'utf8'), 'c'), []);
  });
});
