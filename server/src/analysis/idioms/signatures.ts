// Hypervisor vendor signatures as CPUID leaf 0x40000000 returns them in EBX, ECX, EDX, and the
// four-byte pieces of them a program compares registers with.

export interface HypervisorSignature {
  /** The 12 bytes, as a C string would hold them. */
  text: string;
  vendor: string;
}

export const HYPERVISOR_SIGNATURES: readonly HypervisorSignature[] = [
  { text: 'KVMKVMKVM\0\0\0', vendor: 'KVM' },
  { text: 'VMwareVMware', vendor: 'VMware' },
  { text: 'Microsoft Hv', vendor: 'Hyper-V' },
  { text: 'XenVMMXenVMM', vendor: 'Xen' },
  { text: 'VBoxVBoxVBox', vendor: 'VirtualBox' },
  { text: 'TCGTCGTCGTCG', vendor: 'QEMU TCG' },
  { text: 'bhyve bhyve ', vendor: 'bhyve' },
  { text: ' lrpepyh  vr', vendor: 'Parallels' },
  { text: 'ACRNACRNACRN', vendor: 'ACRN' },
  // Linux's arch/x86/kernel/jailhouse.c looks for it with hypervisor_cpuid_base.
  { text: 'Jailhouse\0\0\0', vendor: 'Jailhouse' },
];

/** A piece worth matching: four printable bytes, at least three of them letters (`M\0\0\0` is not). */
function distinctive(piece: string): boolean {
  if (piece.length !== 4) return false;
  let letters = 0;
  for (const ch of piece) {
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code > 0x7e) return false;
    if (/[A-Za-z]/.test(ch)) letters++;
  }
  return letters >= 3;
}

/** The little-endian value of four characters, as a register holds them after CPUID. */
function littleEndian(piece: string): bigint {
  let value = 0n;
  for (let i = piece.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(piece.charCodeAt(i));
  return value;
}

const BY_PIECE = new Map<bigint, HypervisorSignature>();
for (const signature of HYPERVISOR_SIGNATURES) {
  for (let at = 0; at < 12; at += 4) {
    const piece = signature.text.slice(at, at + 4);
    if (distinctive(piece)) BY_PIECE.set(littleEndian(piece), signature);
  }
}

/** The signatures an immediate holds a piece of: itself as a dword, or either half of a qword. */
export function signaturesInImmediate(value: bigint): HypervisorSignature[] {
  const found: HypervisorSignature[] = [];
  const unsigned = value < 0n ? value & 0xffffffffffffffffn : value;
  for (const half of [unsigned & 0xffffffffn, unsigned >> 32n]) {
    const signature = BY_PIECE.get(half);
    if (signature && !found.includes(signature)) found.push(signature);
  }
  return found;
}

/** The signature `bytes` start with, all 12 bytes of it (a string in a binary's read-only data). */
export function signatureAtStart(bytes: Uint8Array): HypervisorSignature | undefined {
  if (bytes.length < 12) return undefined;
  return HYPERVISOR_SIGNATURES.find((signature) => {
    for (let i = 0; i < 12; i++) if (bytes[i] !== signature.text.charCodeAt(i)) return false;
    return true;
  });
}
