// A `.S` file under arch/arm64 opens as our language by its extension. When the server says the
// text is another instruction set, the file goes back to a language meant for it (or plain text),
// once per file, so a user who switches it back to x86 keeps that choice.
import * as vscode from 'vscode';
import { LANGUAGE_ID } from './constants';

const LANGUAGES_FOR: Record<string, string[]> = {
  arm64: ['arm64', 'aarch64', 'arm'],
  arm: ['arm', 'armasm'],
  riscv: ['riscv', 'riscv-asm'],
  powerpc: ['ppc', 'powerpc', 'ppc-asm'],
  mips: ['mips', 'mips-asm'],
};
const GENERIC_ASSEMBLY = ['asm', 'gas', 'assembly'];

export class ForeignAssemblyHandOver {
  private readonly handedOver = new Set<string>();

  async handle(uri: vscode.Uri, architecture: string): Promise<void> {
    const key = uri.toString();
    if (this.handedOver.has(key)) return;
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    if (!document || document.languageId !== LANGUAGE_ID) return;
    this.handedOver.add(key);
    const known = new Set(await vscode.languages.getLanguages());
    const target = [...(LANGUAGES_FOR[architecture] ?? []), ...GENERIC_ASSEMBLY].find((id) => known.has(id)) ?? 'plaintext';
    await vscode.languages.setTextDocumentLanguage(document, target);
  }
}
