// The catalogue's per-mode voice: a sentence for every rule, profile and mode, one voice across
// rules, and severities that a mode can only lower.
import * as assert from 'node:assert/strict';
import { PROFILES, RULES } from '../../server/src/analysis/catalogue/index';
import { modeMessageTemplate, modeSeverity, modeWhy, segmentFormOf, type SegmentForm } from '../../server/src/analysis/catalogue/modes';
import { EXECUTION_MODES, type Severity } from '../../server/src/analysis/types';

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info', 'hint'];
const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1, hint: 0 };
const FORMS: readonly (SegmentForm | undefined)[] = [
  undefined,
  { access: 'store', register: 'cs' },
  { access: 'store', register: 'ss' },
  { access: 'store', register: 'data' },
  { access: 'load', register: 'ss' },
  { access: 'load', register: 'data' },
  { access: 'load', register: 'cs' },
];

describe('catalogue: messages per mode and profile', () => {
  it('every rule has a sentence, naming the instruction, in every mode, profile and form', () => {
    for (const entry of RULES) {
      for (const profile of PROFILES) {
        for (const mode of EXECUTION_MODES) {
          for (const segment of FORMS) {
            const template = modeMessageTemplate(entry.id, { mode, profile, ...(segment ? { segment } : {}) });
            assert.ok(template, `${entry.id} ${profile} ${mode}`);
            assert.ok(template.includes('{mnemonic}'), `${entry.id} ${profile} ${mode}: ${template}`);
            assert.doesNotMatch(template, /\.$/, 'one line, no trailing period');
            assert.doesNotMatch(template, /\bthe host's (GDT|IDT|LDT|TSS|interrupt)/, 'the VMM, not the host, owns those');
          }
        }
      }
    }
  });

  it('a mode never makes a finding louder than its profile', () => {
    for (const entry of RULES) {
      for (const profile of PROFILES) {
        for (const mode of EXECUTION_MODES) {
          for (const segment of FORMS) {
            for (const base of SEVERITIES) {
              const got = modeSeverity(entry.id, { mode, profile, ...(segment ? { segment } : {}) }, base);
              if (got !== 'off') assert.ok(RANK[got] <= RANK[base], `${entry.id} ${profile} ${mode} ${base} -> ${got}`);
            }
          }
        }
      }
    }
  });

  it('16-bit code of unknown mode is never an error', () => {
    for (const entry of RULES) assert.notEqual(modeSeverity(entry.id, { mode: 'unknown', profile: 'deprivileged-kernel' }, 'error'), 'error', entry.id);
  });

  it('real and virtual-8086 mode have their own why for every rule', () => {
    for (const entry of RULES) {
      for (const mode of ['real', 'v86'] as const) {
        const why = modeWhy(entry.id, mode);
        assert.ok(why && why.length > 40 && why.length < 330, `${entry.id} ${mode}: ${why?.length}`);
      }
    }
  });

  it('segment forms come from iced\'s code name and the register operand', () => {
    assert.deepEqual(segmentFormOf('mov-sreg', 'Mov_Sreg_rm16', 'ds'), { access: 'load', register: 'data' });
    assert.deepEqual(segmentFormOf('mov-sreg', 'Mov_r32m16_Sreg', 'cs'), { access: 'store', register: 'cs' });
    assert.deepEqual(segmentFormOf('push-sreg', 'Pushd_SS', undefined), { access: 'store', register: 'ss' });
    assert.deepEqual(segmentFormOf('pop-sreg', 'Popw_ES', undefined), { access: 'load', register: 'data' });
    assert.equal(segmentFormOf('sgdt', 'Sgdt_m1632', undefined), undefined);
  });
});
