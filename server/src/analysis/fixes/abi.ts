// Register conventions of each hypercall ABI, per bitness.
import type { Bits } from '../types';
import type { FixOptions } from './context';
import { ins, type Line, type Width } from './ir';
import { HYPERV_PAGE_POINTER, XEN_SYMBOLS } from './numbers';
import { familyAvailable, familyOf } from './registers';

export interface RegisterConvention {
  kind: 'registers';
  /** Family that receives the hypercall number, if the ABI passes it in a register. */
  numberFamily?: string;
  argFamilies: string[];
  /** Family the call overwrites with its status/result (saved and restored by the fix). */
  resultFamily: string;
  extraClobbers: string[];
  call: (numberSymbol: string) => Line[];
  prefix: 'kvm' | 'xen';
}

/** Hyper-V's memory-based convention: input block and output area passed by address. */
export interface HypervConvention {
  kind: 'hyperv';
  bits: 32 | 64;
}

export type Convention = RegisterConvention | HypervConvention;

const KVM_ARGS = ['b', 'c', 'd', 'si'];

export function conventionFor(options: FixOptions, bits: Bits): Convention | undefined {
  switch (options.abi) {
    case 'kvm':
    case 'kvm-amd': {
      // 16-bit code too: VMCALL/VMMCALL exit in any mode, and the sequence passes each address's segment (README).
      const op = options.abi === 'kvm' ? 'vmcall' : 'vmmcall';
      return { kind: 'registers', numberFamily: 'a', argFamilies: KVM_ARGS, resultFamily: 'a', extraClobbers: [], call: () => [ins(op)], prefix: 'kvm' };
    }
    case 'xen':
      // No 16-bit convention: PV guests run 32- or 64-bit code, and the hypercall page holds 32/64-bit stubs.
      if (bits === 16) return undefined;
      return {
        kind: 'registers',
        argFamilies: bits === 64 ? ['di', 'si', 'd', 'r10', 'r8'] : ['b', 'c', 'd', 'si', 'di'],
        resultFamily: 'a',
        extraClobbers: [],
        call: (nr) => [{ t: 'branch', op: 'call', target: `${XEN_SYMBOLS.page} + ${nr}*32` }],
        prefix: 'xen',
      };
    case 'hyperv':
      // No 16-bit convention: the hypercall page holds 32/64-bit code, and the TLFS defines none.
      if (bits === 16) return undefined;
      return { kind: 'hyperv', bits };
    case 'custom':
      return parseCustomTemplate(options.customTemplate ?? '', bits);
  }
}

/** Hyper-V: r8–r11 may be clobbered by the hypercall page (x64). */
export function hypervCall(bits: 32 | 64): Line {
  const width: Width = bits === 64 ? 8 : 4;
  return { t: 'call-indirect', pointer: HYPERV_PAGE_POINTER, width };
}

/**
 * Custom ABI template. Lines are separated by newlines or `|`. Lines starting with `@` set
 * the register convention (64-bit names; narrowed for 32-bit code):
 *   @nr rax            register loaded with the hypercall number (`@nr none`: don't load)
 *   @args rbx,rcx,...  argument registers, in order
 *   @ret rax           register the call overwrites with its result
 *   @clobbers r11,...  other registers the call overwrites
 *   @prefix kvm|xen    forced-emulation prefix used by the trap strategy
 * Every other line is emitted verbatim (in the file's dialect), with `{nr}` replaced by the
 * symbolic hypercall number. Default: KVM's convention and `vmcall`.
 */
export function parseCustomTemplate(template: string, bits: Bits): RegisterConvention | undefined {
  const convention: RegisterConvention = {
    kind: 'registers',
    numberFamily: 'a',
    argFamilies: [...KVM_ARGS],
    resultFamily: 'a',
    extraClobbers: [],
    call: () => [],
    prefix: 'kvm',
  };
  const body: string[] = [];
  for (const raw of template.split(/\r?\n|\|/)) {
    const line = raw.trim();
    if (line === '') continue;
    const directive = /^@(\w+)\s*(.*)$/.exec(line);
    if (!directive) {
      body.push(line);
      continue;
    }
    const value = directive[2]!.trim().toLowerCase();
    const families = (list: string): string[] | undefined => {
      const out = list.split(/[\s,]+/).filter(Boolean).map((r) => familyOf(r));
      return out.every((f): f is string => f !== undefined) ? out : undefined;
    };
    switch (directive[1]!.toLowerCase()) {
      case 'nr':
        if (value === 'none') delete convention.numberFamily;
        else {
          const f = familyOf(value);
          if (!f) return undefined;
          convention.numberFamily = f;
        }
        break;
      case 'args': {
        const f = families(value);
        if (!f) return undefined;
        convention.argFamilies = f;
        break;
      }
      case 'ret': {
        const f = familyOf(value);
        if (!f) return undefined;
        convention.resultFamily = f;
        break;
      }
      case 'clobbers': {
        const f = families(value);
        if (!f) return undefined;
        convention.extraClobbers = f;
        break;
      }
      case 'prefix':
        if (value !== 'kvm' && value !== 'xen') return undefined;
        convention.prefix = value;
        break;
      default:
        return undefined;
    }
  }
  const all = [convention.numberFamily, convention.resultFamily, ...convention.argFamilies, ...convention.extraClobbers];
  if (all.some((f) => f !== undefined && (f === 'sp' || !familyAvailable(f, bits)))) return undefined;
  const lines = body.length ? body : ['vmcall'];
  convention.call = (nr) => lines.map((text): Line => ({ t: 'raw', text: text.replace(/\{nr\}/g, nr) }));
  return convention;
}

/** Forced-emulation flavour for an ABI (hyperv and custom default to KVM's). */
export function prefixFlavour(options: FixOptions): 'kvm' | 'xen' {
  if (options.abi === 'xen') return 'xen';
  if (options.abi === 'custom') return parseCustomTemplate(options.customTemplate ?? '', 64)?.prefix ?? 'kvm';
  return 'kvm';
}
