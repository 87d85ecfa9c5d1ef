// The "By execution mode" section of a rule's page: what a finding says, and how loud it is,
// in each mode, for the default profile. Written from the same functions the analysis uses.
import type { ExecutionMode } from '../types';
import { formatMessage } from './index';
import { MODE_LABEL, modeMessageTemplate, modeSeverity, type ModeContext, type SegmentForm } from './modes';
import type { RuleEntry } from './schema';

const SHOWN_MODES: readonly ExecutionMode[] = ['real', 'v86', 'pm32', 'unknown'];

export function renderModeSection(entry: RuleEntry): string[] {
  if (entry.group === 'meta') return [];
  const base = entry.severity['deprivileged-kernel'];
  const lines = [
    '## By execution mode',
    '',
    'virtlint tracks the mode each line runs in: from `virtlint: mode=` comments and the `mode` setting, the CR0.PE switch it can see, the bitness (32-bit code is protected mode, 64-bit code long mode), and the hints of real-mode code (a boot sector\'s `org 0x7c00`, BIOS and DOS interrupts). ' +
      'This is what a finding says in each, in the `deprivileged-kernel` profile (16- and 32-bit protected mode and long mode read the same).',
    '',
    '| Mode | Severity | Message |',
    '|---|---|---|',
  ];
  for (const mode of SHOWN_MODES) {
    const forms = mode === 'pm32' ? (SEGMENT_FORMS[entry.id] ?? [undefined]) : [undefined];
    for (const form of forms) {
      const context: ModeContext = { mode, profile: 'deprivileged-kernel', ...(form ? { segment: form } : {}) };
      const template = modeMessageTemplate(entry.id, context);
      if (!template) continue;
      const severity = base === 'off' ? 'off' : modeSeverity(entry.id, context, base);
      const said = severity === 'off' && base !== 'off' ? 'not reported' : formatMessage({ ...entry, message: template }, undefined).replace(/\|/g, '\\|');
      lines.push(`| ${MODE_LABEL[mode]}${form ? `, ${formLabel(form)}` : ''} | ${severity} | ${said} |`);
    }
  }
  lines.push('');
  return lines;
}

const STORE_CPL: SegmentForm = { access: 'store', register: 'cs' };
const STORE_DATA: SegmentForm = { access: 'store', register: 'data' };
const LOAD_SS: SegmentForm = { access: 'load', register: 'ss' };
const LOAD_DATA: SegmentForm = { access: 'load', register: 'data' };

/** The operand forms whose messages differ, per segment-register rule. */
const SEGMENT_FORMS: Readonly<Record<string, readonly SegmentForm[]>> = {
  'mov-sreg': [STORE_CPL, STORE_DATA, LOAD_SS, LOAD_DATA],
  'push-sreg': [STORE_CPL, STORE_DATA],
  'pop-sreg': [LOAD_SS, LOAD_DATA],
};

function formLabel(form: SegmentForm): string {
  if (form.access === 'store') return form.register === 'data' ? 'DS, ES, FS or GS stored' : 'CS or SS stored';
  return form.register === 'ss' ? 'SS loaded' : 'DS, ES, FS or GS loaded';
}
