'use strict';
// Fix cases: for every rule and every quick fix virtlint's fix engine offers for it (NASM,
// 32 and 64-bit, each hypercall ABI), the engine's exact replacement text is assembled into
// ring 3 and the original instruction into ring 0 of the same image. Both run after the
// same set-up; the judge requires that the replacement reached the monitor (a trap or a
// hypercall) and that registers, flags, memory and pushed stack bytes afterwards equal what
// the original produced at CPL 0.
//
// The text comes from out/server/src/analysis (compiled by `npx tsc -p .`), never from here.

const path = require('path');
const { hex } = require('../lib/observe');
const { FIXTURES, sameFault } = require('./fixtures');
const { hypercallSupport, hypercallSymbols } = require('./hypercalls');
const { fixCases16, ABIS16, ABI_INDEX16 } = require('./fixes16');

const ROOT = path.resolve(__dirname, '..', '..');
const ABIS = ['kvm', 'kvm-amd', 'xen', 'hyperv'];
const ARITH_FLAGS = 0x8d5n; // CF PF AF ZF SF OF
const EFL_IF = 0x200n;

function loadEngine() {
  // VIRTLINT_PROOF_ENGINE points at another build of the same two modules (for testing the bench itself).
  const base = process.env.VIRTLINT_PROOF_ENGINE ?? path.join(ROOT, 'out/server/src/analysis');
  const analysis = require(path.join(base, 'index.js'));
  const fixes = require(path.join(base, 'fixes/index.js'));
  for (const fn of ['fixesForFinding', 'hypercallDefinitions', 'applyEdits']) {
    if (typeof fixes[fn] !== 'function') throw new Error(`the fix engine does not export ${fn}`);
  }
  if (typeof analysis.analyzeText !== 'function') throw new Error('the analysis core does not export analyzeText');
  return { analysis, fixes };
}

/** Every distinct replacement the engine offers for the fixture's finding. */
function fixesFor(engine, fixture, bits) {
  const text = fixture.source(bits);
  const result = engine.analysis.analyzeText(text, { dialect: 'nasm', bits, rules: ['all'] });
  const findings = result.findings.filter((f) => f.ruleId === fixture.rule);
  if (findings.length !== 1) {
    throw new Error(`${fixture.rule} (${bits}-bit): expected one ${fixture.rule} finding in ${JSON.stringify(text)}, got ${findings.length} (${result.findings.map((f) => f.ruleId).join(', ') || 'none'})`);
  }
  const out = [];
  const seen = new Set();
  for (const abi of ABIS) {
    for (const qf of engine.fixes.fixesForFinding(text, result, findings[0], { abi })) {
      const fixed = engine.fixes.applyEdits(text, [qf.edit]);
      const key = `${qf.kind}\u0000${fixed}`;
      if (seen.has(key)) continue;
      seen.add(key);
      // the linter must accept its own replacement (kept instructions carry virtlint-fixed markers)
      const residual = engine.analysis.analyzeText(fixed, { dialect: 'nasm', bits, rules: ['all'] }).findings.map((f) => `${f.ruleId} at line ${f.range.start.line + 1}`);
      out.push({ abi, quickFix: qf, fixed, residual, definitions: engine.fixes.hypercallDefinitions('nasm', abi) });
    }
  }
  return out;
}

function slug(s) {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** Indents analyzed text into the case without changing a character of it. */
function verbatim(text) {
  return text.endsWith('\n') ? text : text + '\n';
}

const ABI_INDEX = { kvm: 1, 'kvm-amd': 2, xen: 3, hyperv: 4 };

function caseName(fixture, fix, index) {
  const kind = fix.quickFix.kind;
  return `fix-${fixture.rule}${fixture.variant ? '-' + fixture.variant : ''}-${kind}${kind === 'hypercall' ? '-' + fix.abi : ''}-${index}`;
}

/** NASM's `..@` labels are global: two variants in one image must not both define one. */
function globalLabels(text) {
  return new Set(text.match(/\.\.@\w+/g) ?? []);
}

/**
 * The dispatcher shared by every fix unit of one bitness: hc_abi (set by each variant)
 * selects the ABI's own dispatcher, which follows that ABI's definitions text.
 */
function dispatchBlock(engine, bits) {
  const parts = ['hc_dispatch:'];
  for (const abi of ABIS) parts.push(`  cmp PTR [hc_abi], ${ABI_INDEX[abi]}`, `  je hc_dispatch_${abi.replace(/-/g, '_')}`);
  // the 32-bit image also serves 16-bit code's hypercalls (cases/fixes16.js): addresses are segment-relative
  const abis16 = bits === 32 ? ABIS16 : [];
  for (const abi of abis16) parts.push(`  cmp PTR [hc_abi], ${ABI_INDEX16[abi]}`, `  je hc_dispatch16_${abi.replace(/-/g, '_')}`);
  parts.push('  xor eax, eax', '  ret');
  for (const abi of ABIS) {
    const d = hypercallSupport({ abi, definitions: engine.fixes.hypercallDefinitions('nasm', abi) }, bits, `hc_dispatch_${abi.replace(/-/g, '_')}`);
    parts.push(d.prelude, d.dispatch);
  }
  for (const abi of abis16) {
    const d = hypercallSupport({ abi, definitions: engine.fixes.hypercallDefinitions('nasm', abi) }, bits, `hc_dispatch16_${abi.replace(/-/g, '_')}`, { segmented: true });
    parts.push(d.prelude, d.dispatch); // again: the %defines of the ABIs above replaced these numbers
  }
  parts.push(hypercallSymbols(), 'align 8', 'hc_abi: DW_ 0');
  return { key: `hc-dispatch-${bits}`, text: parts.join('\n') };
}

/**
 * A unit for a fixture, a bitness and a set of fixes: ring 0 runs the original once, ring 3
 * runs each replacement in turn (a "variant", announced by an `R 3 variant <i>` report),
 * each after the same set-up and with the monitor's virtual state reset.
 */
function buildGroup(fixture, bits, fixes, groupIndex, dispatch) {
  const variantCode = (unit) =>
    fixes.map(({ fix }, i) => {
      const defs = fix.quickFix.kind === 'hypercall' ? `${fix.definitions}\n` : '';
      return `
${unit.r3}_v${i}:                            ; ${fix.quickFix.title.replace(/\n/g, ' ')}
  REPORT "variant", ${i}
  mov byte [virtual_if], 1
  mov byte [virtual_iopl], 0
  mov word [xen_vcpu_info], 0
  mov PTR [hc_abi], ${ABI_INDEX[fix.abi] ?? 0}
  mov PTR [fx_saved_sp], zsp
${fixture.setup(bits)}
  REPORT "sp0", zsp
${fixture.primeStack ?? ''}${defs}.fix_start:
${verbatim(fix.fixed)}.fix_end:
${fixture.after(bits)}
  mov zsp, [fx_saved_sp]
  REPORT "fix.start", .fix_start
  REPORT "fix.end", .fix_end
  movzx eax, byte [virtual_if]
  REPORT "virtual_if", zax
  movzx eax, byte [xen_vcpu_info + 1]
  REPORT "xen.mask", zax`;
    });
  const subcases = fixes.map(({ fix, index }, i) => {
    const c = {
      kind: 'fix',
      name: caseName(fixture, fix, index),
      rule: fixture.rule,
      claim: `${fix.quickFix.title}: reaches the monitor and leaves what ${fixture.rule.toUpperCase()} leaves at CPL 0`,
      fixText: fix.fixed,
      judge(j) {
        return judgeFix(j, fixture, fix, bits);
      },
    };
    return { id: `${c.name}-${bits}`, c, variant: i };
  });
  const labels = new Set();
  fixes.forEach(({ fix }) => globalLabels(fix.fixed).forEach((l) => labels.add(l)));
  return {
    kind: 'fix-group',
    name: `fixes-${fixture.rule}${fixture.variant ? '-' + fixture.variant : ''}-${groupIndex}`,
    rule: fixture.rule,
    modes: [bits],
    hasHypercalls: true,
    globalLabels: labels,
    ring0: () => `
${fixture.ring0Init ?? ''}
  sti                            ; ring 0 runs with IF=1 like the monitor's initial virtual IF (device IRQs are masked)
  mov PTR [fx_saved_sp], zsp
${fixture.setup(bits)}
  REPORT "sp0", zsp
${fixture.primeStack ?? ''}${verbatim(fixture.source(bits))}.orig_end:
${fixture.after(bits)}
  REPORT "orig.end", .orig_end
  mov zsp, [fx_saved_sp]
  ret`,
    ring3: (b, unit) => `${variantCode(unit).join('\n')}
  EXIT`,
    blocks: () => [dispatch, { key: 'fix-data', text: fixture.data(bits) }, ...(fixture.extra ? [{ key: `${fixture.rule}-extra`, text: fixture.extra(bits) }] : [])],
    subcases,
  };
}

function judgeFix(j, fixture, fix, bits) {
  const kind = fix.quickFix.kind;
  j.expect(fix.residual.length === 0, `virtlint still reports the replacement text: ${fix.residual.join(', ')}`);
  const start = j.r('fix.start', 3);
  const end = j.r('fix.end', 3);
  const events = j.monitorEvents().filter((e) => e.cpl === 3);
  const inText = events.filter((e) => e.ip >= start && e.ip < end);
  const viaPage = events.filter((e) => e.kind === 'hypercall-page');
  const reached = inText.length + viaPage.length;
  const expectedKinds = {
    'forced-emulation': ['fep-kvm', 'fep-xen'],
    'trap-equivalent': ['mov-from-cr', 'cli', 'sti'],
    hypercall: ['vmcall', 'vmmcall', 'hypercall-page'],
  }[kind] ?? [];
  // Xen PV keeps the virtual IF in shared memory (vcpu_info's event mask): reading or
  // writing it needs no trap, and the hypervisor reads it when it delivers events.
  // in the code, not in a comment (a fix's opening comment names what it needs)
  const xenMask = fix.abi === 'xen' && /^[^;\n]*xen_vcpu_info/m.test(fix.fixed);
  if (!xenMask) j.expect(reached > 0, `the replacement never reached the monitor (monitor events: ${events.map((e) => e.kind).join(', ') || 'none'})`);
  j.expect([...inText, ...viaPage].every((e) => expectedKinds.includes(e.kind)), `a ${kind} fix reached the monitor as ${[...inText, ...viaPage].map((e) => e.kind).join(', ')}`);
  let sameVector;
  // the instruction itself faults at CPL 0 only on a model that lacks its function
  const faultWhy = fixture.expectSameFault?.[j.model];
  if (faultWhy) {
    sameVector = sameFault(j);
    j.expect(sameVector !== undefined, `expected the same exception from the original at CPL 0 and from the replacement (${faultWhy}); saw ${j.faults().map((f) => `vector ${f.vec} at CPL ${f.cpl}`).join(', ') || 'none'}`);
  } else {
    j.expectOnlyFaultsAt([]);
  }

  const a = j.dump('after', 0);
  const b = j.dump('after', 3);
  const differences = [];
  // When the instruction itself faults at CPL 0, the meaning to keep is that fault; a
  // hypercall sequence is interrupted part-way, so its registers are not compared.
  const compareState = !(faultWhy && kind === 'hypercall');
  if (a && b && compareState) {
    const sp0a = j.r('sp0', 0);
    const sp0b = j.r('sp0', 3);
    for (const r of ['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp']) {
      if ((fixture.volatile ?? []).includes(r)) continue;
      if (a[r] !== b[r]) differences.push(`${r}: CPL 0 ${hex(a[r])}, fixed ${hex(b[r])}`);
    }
    if (a.sp - sp0a !== b.sp - sp0b) differences.push(`stack pointer moved by ${a.sp - sp0a} at CPL 0, by ${b.sp - sp0b} fixed`);
    if ((a.fl & ARITH_FLAGS) !== (b.fl & ARITH_FLAGS)) differences.push(`arithmetic flags: CPL 0 ${hex(a.fl & ARITH_FLAGS)}, fixed ${hex(b.fl & ARITH_FLAGS)}`);
    const vif = xenMask ? 1n - j.r('xen.mask', 3) : j.r('virtual_if', 3);
    const realIf = (a.fl & EFL_IF) !== 0n ? 1n : 0n;
    if (realIf !== vif) differences.push(`IF: CPL 0 ${realIf}, the monitor's virtual IF after the fix ${vif}`);
    const pushed = Number(sp0a - a.sp);
    let sa = j.bytes('stack', 0);
    let sb = j.bytes('stack', 3);
    if (fixture.returnAddressInStack && sa && sb) {
      // a far CALL pushes its own return address: the one after the original at CPL 0, after the replacement in ring 3
      sa = withReturnAddress(j, sa, j.r('orig.end', 0), 'original');
      sb = withReturnAddress(j, sb, end, 'replacement');
    }
    if (fixture.comparePushed && pushed > 0 && sa && sb) fixture.comparePushed(sa, sb, pushed, differences);
    else if (pushed > 0 && sa && sb && !sa.subarray(0, pushed).equals(sb.subarray(0, pushed))) {
      differences.push(`pushed bytes: CPL 0 ${sa.subarray(0, pushed).toString('hex')}, fixed ${sb.subarray(0, pushed).toString('hex')}`);
    }
    const ma = j.bytes('mem', 0);
    const mb = j.bytes('mem', 3);
    if (ma && mb && !ma.equals(mb)) differences.push(`memory: CPL 0 ${ma.toString('hex')}, fixed ${mb.toString('hex')}`);
    if (fixture.compare) fixture.compare(j, a, b, differences);
  }
  for (const d of differences) j.fail(`meaning changed: ${d}`);
  if (xenMask && reached === 0) {
    return `${fix.quickFix.title} [${kind}, xen]: no trap by design (Xen's shared event mask stands in for IF; mask after = ${j.r('xen.mask', 3)}); ${fixture.summary ? fixture.summary(j, a, b) : 'registers, flags (IF = !mask) and memory equal the CPL 0 original'}`;
  }
  const via = [...new Set([...inText, ...viaPage].map((e) => e.kind + (e.nr !== undefined ? ` #${hex(e.nr)}` : '')))].join(', ');
  if (sameVector !== undefined) {
    return `${fix.quickFix.title} [${kind}${kind === 'hypercall' ? ', ' + fix.abi : ''}]: trapped to the monitor (${[...new Set([...inText, ...viaPage].map((e) => e.kind))].join(', ')}); the emulated instruction raised vector ${sameVector} exactly as the original did at CPL 0 (${faultWhy})${compareState ? '; registers at the fault equal the original' : '; delivered at the hypercall site'}`;
  }
  return `${fix.quickFix.title} [${kind}${kind === 'hypercall' ? ', ' + fix.abi : ''}]: trapped to the monitor (${via}); ${fixture.summary ? fixture.summary(j, a, b) : 'registers, flags and memory equal the CPL 0 original'}`;
}

/** Replaces the first 4-byte return address in a stack dump with a marker, failing if it is not there. */
function withReturnAddress(j, bytes, address, which) {
  const copy = Buffer.from(bytes);
  const actual = BigInt(copy.readUInt32LE(0));
  j.expect(actual === address, `the ${which} far CALL pushed return address ${hex(actual)}, expected ${hex(address)}`);
  copy.writeUInt32LE(0xfeedface, 0);
  return copy;
}

function fixCases(options = {}) {
  const engine = loadEngine();
  const cases = [];
  const problems = [];
  const dispatchByBits = { 32: dispatchBlock(engine, 32), 64: dispatchBlock(engine, 64) };
  for (const fixture of FIXTURES) {
    for (const bits of fixture.modes ?? [32, 64]) {
      if (options.gaps && !fixture.gapKinds) continue;
      let fixes;
      try {
        fixes = fixesFor(engine, fixture, bits);
      } catch (e) {
        problems.push(e instanceof Error ? e.message : String(e));
        continue;
      }
      if (fixes.length === 0) problems.push(`${fixture.rule} (${bits}-bit): the fix engine offered no fix`);
      // known gaps run only when asked for (--gaps), and then only they run
      const isGap = (fix) => (fixture.gapKinds ?? []).includes(fix.quickFix.kind);
      fixes = fixes.filter((fix) => (options.gaps ? isGap(fix) : !isGap(fix)));
      if (fixes.length === 0) continue;
      // pack variants into as few images as their global labels allow
      const groups = [];
      fixes.forEach((fix, index) => {
        const labels = globalLabels(fix.fixed);
        let group = groups.find((g) => [...labels].every((l) => !g.labels.has(l)));
        if (!group) {
          group = { labels: new Set(), fixes: [] };
          groups.push(group);
        }
        labels.forEach((l) => group.labels.add(l));
        group.fixes.push({ fix, index });
      });
      groups.forEach((g, i) => cases.push(buildGroup(fixture, bits, g.fixes, i, dispatchByBits[bits])));
    }
  }
  {
    // 16-bit hypercall fixes, in the 32-bit image (its dispatch block serves them)
    const sixteen = fixCases16(engine, { gaps: Boolean(options.gaps) });
    for (const unit of sixteen.cases) {
      const ownBlocks = unit.blocks;
      cases.push({ ...unit, blocks: (bits, labels) => [dispatchByBits[32], ...ownBlocks(bits, labels)] });
    }
    problems.push(...sixteen.problems);
  }
  return { cases, problems };
}

module.exports = { fixCases, slug, loadEngine };
