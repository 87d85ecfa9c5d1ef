// A small workspace for the web extension's project features: an include that is opened on its
// own while the files that include it stay closed, so that what it shows can only come from the
// listing, the configuration, the contexts and the file watcher. Each includer defines the macro
// the include invokes with a different sensitive instruction, so each one's presence is visible.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** The file opened: it invokes a macro only its includers define. */
export const SHARED = { name: 'shared.inc', text: '; included by the files around it, never opened with them\n    enter_guest\n    hlt\n' };
/** The line of the invocation in SHARED. */
export const INVOCATION_LINE = 1;

function includer(instruction: string, include = 'shared.inc'): string {
  return `bits 16\n%macro enter_guest 0\n    ${instruction}\n%endmacro\n%include "${include}"\n`;
}

/** Every file but SHARED, by path relative to the folder, with the rule its macro brings to SHARED. */
export const INCLUDERS = {
  /** Listed by its extension: pushf. */
  listed: { name: 'main.asm', rule: 'pushf', text: includer('pushf') },
  /** Listed in any case of its extension (`BOOT.ASM`): sgdt. */
  upperCase: { name: 'UPPER.ASM', rule: 'sgdt', text: includer('sgdt [0]') },
  /** Listed only with the configuration's extension `.x16`: smsw. */
  configuredExtension: { name: 'boot.x16', rule: 'smsw', text: includer('smsw ax') },
  /** Under a folder the configuration ignores: never listed (sldt). */
  ignored: { name: 'legacy/old.asm', rule: 'sldt', text: includer('sldt ax', '../shared.inc') },
  /** Under a folder the listing skips (node_modules): never listed (lsl). */
  skipped: { name: 'node_modules/dep/dep.asm', rule: 'lsl', text: includer('lsl ax, bx', '../../shared.inc') },
};

export const CONFIG = { name: 'virtlint.config.json', text: `${JSON.stringify({ extensions: { '.x16': 'nasm' }, ignore: ['legacy'] }, null, 2)}\n` };

/** Written while the include is open, to be seen through the file watcher: sidt added to main.asm's macro; a new includer with str. */
export const CHANGED_LISTED = includer('pushf\n    sidt [0]');
export const CREATED = { name: 'late.asm', rule: 'str', text: includer('str ax') };

/**
 * A NASM file that takes its macro from a `.h` header: not a listed extension, and no C file reads
 * it, so only the includer's walk knows it. HEADER_CHANGED is written while the includer is open.
 */
export const HEADER = { name: 'guest_macros.h', text: '%macro leave_guest 0\n    pushf\n%endmacro\n' };
export const HEADER_INCLUDER = { name: 'exit.asm', text: `bits 16\n%include "${HEADER.name}"\n    leave_guest\n` };
export const HEADER_CHANGED = { text: '%macro leave_guest 0\n    sidt [0]\n%endmacro\n', rule: 'sidt' };
/** A NASM file whose `.h` does not exist yet: LATE_HEADER is created while it is open. */
export const LATE_HEADER = { name: 'late_macros.h', text: '%macro late_guest 0\n    str ax\n%endmacro\n', rule: 'str' };
export const LATE_HEADER_INCLUDER = { name: 'waits.asm', text: `bits 16\n%include "${LATE_HEADER.name}"\n    late_guest\n` };

/** Rules SHARED shows at the invocation once the workspace is listed with its configuration. */
export const LISTED_RULES = [INCLUDERS.listed.rule, INCLUDERS.upperCase.rule, INCLUDERS.configuredExtension.rule];
export const UNLISTED_RULES = [INCLUDERS.ignored.rule, INCLUDERS.skipped.rule];

export function writeWorkspace(folder: string): void {
  for (const file of [SHARED, CONFIG, ...Object.values(INCLUDERS), HEADER, HEADER_INCLUDER, LATE_HEADER_INCLUDER]) {
    mkdirSync(path.dirname(path.join(folder, file.name)), { recursive: true });
    writeFileSync(path.join(folder, file.name), file.text);
  }
}
