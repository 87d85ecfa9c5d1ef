import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as iced from 'iced-x86';
import { docsPath, RULES, SOURCES } from '../../server/src/analysis/catalogue/index';
import { codeName } from '../../server/src/analysis/resolve/iced';
import { sensitiveCodes } from '../../server/src/analysis/resolve/classify';
import { expectedFiles, findPackageRoot, readObservations } from '../../scripts/gen-docs';
import {
  buildDataset,
  CONTROLS,
  DATASET_FILE,
  expectedDatasetText,
  HOST_FACTS,
  parseProofObservations,
  renderDataset,
  SCHEMA_VERSION,
  type Dataset,
  type IcedEncoding,
} from '../../scripts/gen-dataset';

const root = findPackageRoot(__dirname);
const committedText = fs.readFileSync(path.join(root, DATASET_FILE), 'utf8');
const committed = JSON.parse(committedText) as Dataset;
const packageVersion = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

const { OpCodeOperandKind: K, Register: R } = iced;

/** A register of the width an r/m or reg operand kind names. */
function registerFor(kind: number): number | undefined {
  if (kind === K.r16_or_mem || kind === K.r16_reg) return R.DX;
  if (kind === K.r32_or_mem || kind === K.r32_reg || kind === K.r32_rm) return R.EDX;
  if (kind === K.r64_or_mem || kind === K.r64_reg || kind === K.r64_rm) return R.RDX;
  return undefined;
}

const IMPLIED_SEGMENT = new Map<number, number>([
  [K.es, R.ES],
  [K.cs, R.CS],
  [K.ss, R.SS],
  [K.ds, R.DS],
  [K.fs, R.FS],
  [K.gs, R.GS],
]);

const BASE_BY_BITNESS: Record<number, number> = { 16: R.BX, 32: R.EBX, 64: R.RBX };

/** One instruction of `code` with sample operands chosen from iced's operand kinds; undefined for a kind this test does not know. */
function sampleInstruction(code: number, bitness: number): iced.Instruction | undefined {
  const info = iced.CodeExt.opCode(code);
  const kinds: number[] = [];
  try {
    for (let i = 0; i < info.opCount; i++) kinds.push(info.opKind(i));
  } finally {
    info.free();
  }
  const [first, second] = kinds;
  if (first === undefined) return iced.Instruction.create(code);
  if (kinds.length === 1) {
    const implied = IMPLIED_SEGMENT.get(first);
    if (implied !== undefined) return iced.Instruction.createReg(code, implied);
    const register = registerFor(first);
    if (register !== undefined) return iced.Instruction.createReg(code, register);
    if (first === K.imm8 || first === K.imm16) return iced.Instruction.createU32(code, 0x40);
    if (first === K.farbr2_2 || first === K.farbr4_2) return iced.Instruction.createFarBranch(code, 0x1b, 0x1234);
    if (first === K.mem) {
      // createMem takes the MemoryOperand over (and frees it): freeing it here again would be a double free
      return iced.Instruction.createMem(code, iced.MemoryOperand.createBase(BASE_BY_BITNESS[bitness]!));
    }
    return undefined;
  }
  if (second === undefined || kinds.length !== 2) return undefined;
  const firstRegister = first === K.seg_reg ? R.DS : registerFor(first);
  const secondRegister = second === K.seg_reg ? R.DS : registerFor(second);
  if (firstRegister === undefined || secondRegister === undefined) return undefined;
  return iced.Instruction.createRegReg(code, firstRegister, secondRegister);
}

function decoderOptionOf(code: number): number {
  const info = iced.CodeExt.opCode(code);
  try {
    return info.decoderOption;
  } finally {
    info.free();
  }
}

interface RoundTrip {
  code: string;
  mnemonic: string;
  length: number;
  bytes: number[];
}

/**
 * 8086's POP CS (0F): iced encodes it, but its decoder always reads 0F as the two-byte escape, so
 * for this one Code the test checks the encoded byte against the opcode iced lists instead.
 */
const EIGHTY_SIX_POP_CS = 'Popw_CS';

/** Encodes a sample of `code` with iced in `bitness` and decodes the bytes again. */
function roundTrip(code: number, bitness: number): RoundTrip {
  const instruction = sampleInstruction(code, bitness);
  if (!instruction) throw new Error(`no sample operands for ${codeName(code)}`);
  const encoder = new iced.Encoder(bitness);
  try {
    encoder.encode(instruction, 0x1000n);
    const bytes = encoder.takeBuffer();
    if (codeName(code) === EIGHTY_SIX_POP_CS) return { code: codeName(code), mnemonic: 'Pop', length: bytes.length, bytes: [...bytes] };
    const decoder = new iced.Decoder(bitness, bytes, decoderOptionOf(code));
    try {
      decoder.ip = 0x1000n;
      const decoded = decoder.decode();
      try {
        const mnemonicNames = iced.Mnemonic as unknown as Record<number, string>;
        return { code: codeName(decoded.code), mnemonic: mnemonicNames[decoded.mnemonic] ?? '', length: decoded.length, bytes: [...bytes] };
      } finally {
        decoded.free();
      }
    } finally {
      decoder.free();
    }
  } finally {
    encoder.free();
    instruction.free();
  }
}

function ruleRecord(id: string): Dataset['rules'][number] {
  const record = committed.rules.find((rule) => rule.id === id);
  assert.ok(record, `the dataset has no record for ${id}`);
  return record;
}

describe('dataset: dataset/virtlint-catalogue.json', () => {
  it('is exactly what scripts/gen-dataset.ts produces now (run `node out/scripts/gen-dataset.js` after changing the catalogue or proof/observed.json)', () => {
    assert.strictEqual(committedText, expectedDatasetText(root));
  });

  it('carries the schema version and the package version', () => {
    assert.match(committed.schemaVersion, /^\d+\.\d+\.\d+$/);
    assert.strictEqual(committed.schemaVersion, SCHEMA_VERSION);
    assert.strictEqual(committed.package.version, packageVersion);
    const icedManifest = JSON.parse(fs.readFileSync(require.resolve('iced-x86/package.json'), 'utf8')) as { version: string };
    assert.strictEqual(committed.icedX86, icedManifest.version);
  });

  it('the generator is deterministic and follows its inputs: another package version and no observations change only those fields', () => {
    const observed = fs.readFileSync(path.join(root, 'proof/observed.json'), 'utf8');
    const a = buildDataset({ packageVersion: '9.9.9', observedJson: observed });
    const b = buildDataset({ packageVersion: '9.9.9', observedJson: observed });
    assert.strictEqual(renderDataset(a), renderDataset(b));
    assert.strictEqual(a.package.version, '9.9.9');
    const bare = buildDataset({ packageVersion: '9.9.9', observedJson: undefined });
    assert.ok(bare.rules.every((rule) => rule.observations === null));
    assert.deepStrictEqual(parseProofObservations('{ not json').size, 0);
    assert.deepStrictEqual(parseProofObservations('[1, 2]').size, 0);
    assert.deepStrictEqual(bare.rules.map((rule) => rule.encodings), a.rules.map((rule) => rule.encodings));
  });

  it('has one record per catalogue rule, with its title, group, family, mnemonics and docs page', () => {
    assert.deepStrictEqual(
      committed.rules.map((rule) => rule.id),
      RULES.map((entry) => entry.id),
    );
    for (const entry of RULES) {
      const record = ruleRecord(entry.id);
      assert.strictEqual(record.title, entry.title);
      assert.strictEqual(record.group, entry.group);
      assert.strictEqual(record.robinIrvine.family, entry.family);
      assert.strictEqual(record.robinIrvine.listed, entry.family === 'sensitive-register' || entry.family === 'protection-system');
      assert.deepStrictEqual(record.mnemonics, entry.mnemonics);
      assert.strictEqual(record.docs, docsPath(entry.id));
      assert.strictEqual(record.cplAbove0.protectedMode, entry.problem);
      assert.strictEqual(record.virtualization.vtx.text, entry.vtx);
      assert.strictEqual(record.virtualization.amdv.text, entry.amdv);
    }
  });

  it('lists exactly the iced Codes the analysis classifies under each rule', () => {
    const expected = new Map<string, string[]>();
    for (const [code, rule] of sensitiveCodes()) {
      const list = expected.get(rule) ?? [];
      list.push(codeName(code));
      expected.set(rule, list);
    }
    for (const record of committed.rules) {
      assert.deepStrictEqual(
        record.encodings.map((e) => e.code).sort(),
        (expected.get(record.id) ?? []).sort(),
        record.id,
      );
      assert.ok(record.encodings.length > 0, `${record.id} has no encodings`);
    }
  });

  it('each listed Code encodes and decodes back to itself and its mnemonic with iced, in every bitness it lists', () => {
    let checked = 0;
    for (const record of committed.rules) {
      for (const encoding of record.encodings) {
        const code = (iced.Code as unknown as Record<string, number>)[encoding.code];
        assert.ok(code !== undefined, `${encoding.code} is not an iced Code`);
        assert.ok(encoding.bitness.length > 0, `${encoding.code} lists no bitness`);
        for (const bitness of encoding.bitness) {
          const decoded = roundTrip(code, bitness);
          if (encoding.code === EIGHTY_SIX_POP_CS) assert.deepStrictEqual([decoded.bytes, encoding.opcode], [bitness === 16 ? [0x0f] : [0x66, 0x0f], 'o16 0F']);
          assert.ok(decoded.length > 0 && decoded.length === decoded.bytes.length, `${encoding.code}: decoded ${decoded.length} of ${decoded.bytes.length} bytes`);
          assert.strictEqual(decoded.code, encoding.code, `${encoding.code} in ${bitness}-bit decoded as ${decoded.code}`);
          assert.strictEqual(decoded.mnemonic, encoding.mnemonic, `${encoding.code} in ${bitness}-bit`);
          const words = record.mnemonics.map((m) => m.split(' ')[0]!.toLowerCase());
          assert.ok(words.includes(decoded.mnemonic.toLowerCase()), `${record.id}: ${decoded.mnemonic} is not one of ${record.mnemonics.join(', ')}`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 90, `only ${checked} encodings checked`);
  });

  it('the iced facts agree with a fresh OpCodeInfo, and every form is unprivileged and runs at CPL 3', () => {
    for (const record of committed.rules) {
      for (const encoding of record.encodings) {
        const info = iced.CodeExt.opCode((iced.Code as unknown as Record<string, number>)[encoding.code]!);
        try {
          const fresh: Partial<IcedEncoding> = {
            cpl: { cpl0: info.cpl0, cpl1: info.cpl1, cpl2: info.cpl2, cpl3: info.cpl3, privileged: info.isPrivileged, mustBeCpl0: info.mustBeCpl0, mayRequireCpl0: info.mayRequireCpl0 },
            vmx: { vmExit: info.intelVmExit, mayVmExit: info.intelMayVmExit },
            svm: { vmExit: info.amdVmExit, mayVmExit: info.amdMayVmExit },
            instruction: info.instructionString,
            opcode: info.opCodeString,
          };
          assert.deepStrictEqual({ cpl: encoding.cpl, vmx: encoding.vmx, svm: encoding.svm, instruction: encoding.instruction, opcode: encoding.opcode }, fresh, encoding.code);
        } finally {
          info.free();
        }
        assert.ok(encoding.cpl.cpl3 && !encoding.cpl.privileged && !encoding.cpl.mustBeCpl0, `${encoding.code} is privileged per iced`);
      }
    }
  });

  it('the VM-exit summary follows the forms: CPUID always exits under VT-x and on an intercept under AMD-V, SGDT only under a control, LAR never', () => {
    const exits = (id: string) => ruleRecord(id).virtualization;
    assert.deepStrictEqual([exits('cpuid').vtx.icedExit, exits('cpuid').amdv.icedExit], ['always', 'conditional']);
    assert.match(exits('cpuid').amdv.text, /intercept/i);
    assert.deepStrictEqual([exits('sgdt').vtx.icedExit, exits('sgdt').amdv.icedExit], ['conditional', 'conditional']);
    assert.deepStrictEqual([exits('lar').vtx.icedExit, exits('lar').amdv.icedExit], ['never', 'never']);
    // the catalogue's prose says the same in words
    assert.match(ruleRecord('cpuid').virtualization.vtx.text, /unconditional|always|every/i);
  });

  it('the controls are the ones the catalogue and the proof bench name for each rule', () => {
    const controlWord: Record<string, RegExp> = { umip: /UMIP/, tsd: /TSD/, pce: /PCE/, 'cpuid-faulting': /CPUID faulting/i };
    for (const control of CONTROLS) {
      for (const id of control.rules) {
        const record = ruleRecord(id);
        assert.ok(record.controls.ids.includes(control.id), `${id} does not list ${control.id}`);
        const word = controlWord[control.id];
        if (word) assert.match(record.controls.text, word, `${id}: the catalogue's controls text does not name ${control.name}`);
        else assert.match(record.cplAbove0.byMode['v86']!.message ?? '', /IOPL|virtual-8086/, `${id}: the v86 message does not mention IOPL`);
      }
      for (const key of control.sources) assert.ok(committed.sources[key], `${control.id} cites unknown source ${key}`);
    }
    // what the bench showed: with CR4.UMIP/TSD the instruction faulted at CPL 3
    for (const id of ['sgdt', 'sidt', 'sldt', 'smsw', 'str']) assert.match(ruleRecord(id).observations?.byModel[0]?.observed ?? '', /CR4\.UMIP=1: #GP/);
    for (const id of ['rdtsc', 'rdtscp']) assert.match(ruleRecord(id).observations?.byModel[0]?.observed ?? '', /CR4\.TSD=1: #GP/);
    const withControls = new Set(CONTROLS.flatMap((c) => c.rules));
    for (const record of committed.rules) if (!withControls.has(record.id)) assert.deepStrictEqual(record.controls.ids, [], record.id);
  });

  it('sources: every key a rule cites is in the dataset with the catalogue\'s title and url, and sections are read from the titles', () => {
    for (const entry of RULES) {
      const record = ruleRecord(entry.id);
      assert.deepStrictEqual(record.sources, entry.sources.map((s) => s.key));
      for (const key of record.sources) {
        const source = committed.sources[key];
        assert.ok(source, `${entry.id} cites ${key}, which the dataset does not list`);
      }
    }
    for (const source of Object.values(SOURCES)) {
      const listed = committed.sources[source.key];
      assert.ok(listed);
      assert.strictEqual(listed.title, source.title);
      assert.strictEqual(listed.url, source.url);
    }
    assert.strictEqual(committed.sources['SDM-CR4']?.section, 'Vol. 3A §2.5');
    assert.strictEqual(committed.sources['SDM-T2-3']?.section, 'Vol. 3A Table 2-3');
    assert.strictEqual(committed.sources['UMIP']?.section, 'arch/x86/kernel/umip.c');
  });

  // The pages as gen-docs renders them from the same catalogue and proof/observed.json; the catalogue
  // test holds the committed docs/rules/*.md equal to these.
  it('agrees with the docs pages: each page names the rule\'s title, every listed Code, the platform and each further mode it was observed in', () => {
    const pages = expectedFiles(readObservations(root).observations);
    for (const record of committed.rules) {
      const page = pages.get(record.docs);
      assert.ok(page, `gen-docs renders no ${record.docs}`);
      assert.ok(page.includes(record.title), `${record.docs} lacks the title`);
      for (const encoding of record.encodings) assert.ok(page.includes(`\`${encoding.code}\``), `${record.docs} lacks ${encoding.code}`);
      if (record.observations?.platform) assert.ok(page.includes(record.observations.platform), `${record.docs} does not say it was observed on ${record.observations.platform}`);
      for (const note of record.observations?.modeNotes ?? []) assert.ok(page.includes(`${note.mode} (case \`${note.case}\`)`), `${record.docs} lacks the ${note.mode} note`);
    }
  });

  it('the proof observations are those of proof/observed.json, with model and mode, for all 25 rules', () => {
    const observed = JSON.parse(fs.readFileSync(path.join(root, 'proof/observed.json'), 'utf8')) as Record<string, { platform: string; models: Record<string, { cpu: string; modes: string[]; case: string }> }>;
    for (const record of committed.rules) {
      const entry = observed[record.id];
      assert.ok(entry && record.observations, `${record.id} has no observations`);
      assert.strictEqual(record.observations.platform, entry.platform);
      assert.deepStrictEqual(record.observations.byModel.map((m) => m.model), Object.keys(entry.models));
      for (const model of record.observations.byModel) {
        assert.strictEqual(model.cpu, entry.models[model.model]!.cpu);
        assert.deepStrictEqual(model.modes, entry.models[model.model]!.modes);
        assert.strictEqual(model.case, entry.models[model.model]!.case);
      }
    }
    assert.ok(ruleRecord('rdpid').observations?.byModel.some((m) => m.model === 'bochs' && m.demonstrated));
  });

  it('PUSHF, POPF, INT n and IRET carry what 16-bit protected mode and virtual-8086 mode showed on both models, as the catalogue\'s virtual-8086 sentence says', () => {
    for (const id of ['pushf', 'popf', 'int', 'iret']) {
      const record = ruleRecord(id);
      const notes = record.observations?.modeNotes ?? [];
      const v86 = notes.find((note) => note.mode === 'virtual-8086 mode');
      const pm16 = notes.find((note) => note.mode === '16-bit protected mode');
      assert.ok(v86 && pm16, `${id} lacks a further-mode note`);
      assert.deepStrictEqual([v86.models, pm16.models], [['qemu-tcg', 'bochs'], ['qemu-tcg', 'bochs']]);
      assert.match(v86.observed, /IOPL 0: #GP\(0x0\)/);
      assert.doesNotMatch(pm16.observed, /#GP/);
      assert.match(record.observations?.platform ?? '', /16-bit protected mode and virtual-8086 mode$/);
      assert.match(record.cplAbove0.byMode['v86']!.message ?? '', /IOPL|trap|#GP|monitor/i, id);
      assert.ok(record.controls.ids.includes('iopl-v86'));
    }
  });

  it('host-OS facts: the UMIP rules carry Linux\'s behaviour with its source file, and no other rule claims it', () => {
    const umip = HOST_FACTS.find((fact) => fact.source.file === 'arch/x86/kernel/umip.c');
    assert.ok(umip);
    for (const id of ['sgdt', 'sidt', 'sldt', 'smsw', 'str']) {
      const facts = ruleRecord(id).hostOs;
      assert.ok(facts.some((fact) => fact.source.file === 'arch/x86/kernel/umip.c' && fact.os === 'Linux' && /^\d+\.\d+/.test(fact.version)), id);
    }
    for (const record of committed.rules) {
      for (const fact of record.hostOs) {
        assert.ok(fact.rules.includes(record.id));
        assert.match(fact.source.url, new RegExp(`/v${fact.version.replace(/\./g, '\\.')}/source/${fact.source.file.replace(/\./g, '\\.')}$`));
      }
    }
  });

  it('docs/dataset.md documents every field of the dataset and of a rule record', () => {
    const doc = fs.readFileSync(path.join(root, 'docs/dataset.md'), 'utf8');
    const fields = new Set<string>();
    const collect = (value: unknown, depth: number) => {
      if (depth > 3 || typeof value !== 'object' || value === null) return;
      const items = Array.isArray(value) ? value.slice(0, 1) : [value];
      for (const item of items) {
        if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
        for (const [key, inner] of Object.entries(item)) {
          if (/^[a-z][A-Za-z0-9]*$/.test(key)) fields.add(key);
          collect(inner, depth + 1);
        }
      }
    };
    const sample = { ...committed, sources: {}, modes: {} };
    collect(sample, 0);
    const missing = [...fields].filter((field) => !doc.includes(`\`${field}\``));
    assert.deepStrictEqual(missing, []);
    assert.ok(doc.includes(SCHEMA_VERSION), 'docs/dataset.md does not name the current schema version');
  });
});
