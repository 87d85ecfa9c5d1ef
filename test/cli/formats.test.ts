import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { IDIOM_RULES, RULES, META_RULES } from '../../server/src/analysis/catalogue';
import { packageInfo } from '../../server/src/host/packageInfo';
import { stylist } from '../../server/src/host/terminal';
import { formatReports, type FileReport } from '../../server/src/report';
import { sarifProblems } from './sarifShape';

const CWD = path.join(path.sep, 'work', 'project');

function sampleReports(): FileReport[] {
  return [
    {
      filePath: path.join(CWD, 'src', 'boot.asm'),
      messages: [
        { ruleId: 'popf', severity: 2, message: 'POPF loses IF', line: 12, column: 5, endLine: 12, endColumn: 9 },
        { ruleId: 'sidt', severity: 1, message: 'SIDT, reads IDTR: 100%', line: 3, column: 9, endLine: 3, endColumn: 20 },
        { ruleId: 'cpuid', severity: 1, level: 'info', message: 'CPUID exits', line: 40, column: 1, endLine: 40, endColumn: 6 },
      ],
      errorCount: 1,
      warningCount: 1,
      dialect: 'nasm',
      bits: 64,
    },
    {
      filePath: path.join(CWD, 'blob.inc'),
      messages: [{ ruleId: null, severity: 2, fatal: true, message: 'binary file (NUL byte at offset 3); not linted', line: 1, column: 1, endLine: 1, endColumn: 1 }],
      errorCount: 1,
      warningCount: 0,
      fatalErrorCount: 1,
    },
    { filePath: path.join(CWD, 'clean.asm'), messages: [], errorCount: 0, warningCount: 0, dialect: 'gas-att', bits: 32 },
  ];
}

describe('cli formats', () => {
  describe('stylish', () => {
    it('prints a header with dialect and bits, one row per problem and the summary', () => {
      const out = formatReports(sampleReports(), 'stylish', { cwd: CWD });
      const lines = out.split('\n');
      assert.equal(lines[0], 'src/boot.asm  (nasm, 64-bit)');
      assert.match(lines[1]!, /^\s+12:5\s+error\s+POPF loses IF\s+popf$/);
      assert.match(lines[2]!, /^\s+3:9\s+warning\s+SIDT, reads IDTR: 100%\s+sidt$/);
      assert.match(lines[3]!, /^\s+40:1\s+info\s+CPUID exits\s+cpuid$/);
      assert.ok(out.includes('blob.inc\n'), 'file-level problem gets a header without dialect');
      assert.match(out, /1:1\s+error\s+binary file \(NUL byte at offset 3\); not linted/);
      assert.ok(!out.includes('clean.asm'), 'files without problems are not listed');
      assert.ok(out.includes('✖ 3 problems (2 errors, 1 warning)'), out);
      assert.ok(out.includes('1 info/hint finding shown (not counted)'), out);
      assert.ok(!out.includes('\u001b['), 'no colour unless asked');
    });

    it('colours only when asked', () => {
      const out = formatReports(sampleReports(), 'stylish', { cwd: CWD, style: stylist(true) });
      assert.ok(out.includes('\u001b[31merror'), 'errors in red');
      assert.ok(out.includes('\u001b[33mwarning'), 'warnings in yellow');
    });

    it('prints nothing when there is nothing to say', () => {
      assert.equal(formatReports([sampleReports()[2]!], 'stylish', { cwd: CWD }), '');
    });

    it('shows the address instead of line:column for binary findings, and the note', () => {
      const report: FileReport = {
        filePath: path.join(CWD, 'vmlinux'),
        messages: [{ ruleId: 'sgdt', severity: 1, message: 'SGDT [sgdt [rax] at 0xffffffff81000010 <start+0x10>]', line: 1, column: 1, endLine: 1, endColumn: 1, address: '0xffffffff81000010', section: '.text', symbol: 'start+0x10' }],
        errorCount: 0,
        warningCount: 1,
        bits: 64,
        note: 'stripped: no symbols',
      };
      const out = formatReports([report], 'stylish', { cwd: CWD });
      assert.match(out, /0xffffffff81000010\s+warning\s+SGDT/);
      assert.ok(out.includes('note: stripped: no symbols'));
      assert.ok(out.startsWith('vmlinux  (64-bit)'));
    });
  });

  describe('json', () => {
    it('is an ESLint-style array with counts and our extra fields', () => {
      const parsed = JSON.parse(formatReports(sampleReports(), 'json', { cwd: CWD })) as Array<Record<string, unknown>>;
      assert.equal(parsed.length, 3);
      const first = parsed[0]!;
      assert.equal(first.filePath, path.join(CWD, 'src', 'boot.asm'));
      assert.deepEqual(Object.keys(first), ['filePath', 'messages', 'errorCount', 'warningCount', 'fatalErrorCount', 'fixableErrorCount', 'fixableWarningCount', 'dialect', 'bits']);
      const messages = first.messages as Array<Record<string, unknown>>;
      assert.deepEqual(messages[0], { ruleId: 'popf', severity: 2, message: 'POPF loses IF', line: 12, column: 5, endLine: 12, endColumn: 9 });
      assert.equal(messages[2]!.level, 'info');
      assert.equal(messages[2]!.severity, 1);
      const blob = parsed[1]!;
      assert.equal(blob.fatalErrorCount, 1);
      assert.deepEqual((blob.messages as Array<Record<string, unknown>>)[0]!.ruleId, null);
      assert.equal((blob.messages as Array<Record<string, unknown>>)[0]!.fatal, true);
    });
  });

  describe('github', () => {
    it('writes one workflow command per problem with escaped properties and data', () => {
      const out = formatReports(sampleReports(), 'github', { cwd: CWD });
      const lines = out.trimEnd().split('\n');
      assert.equal(lines.length, 4);
      assert.equal(lines[0], '::error file=src/boot.asm,line=12,col=5,endLine=12,endColumn=9,title=virtlint(popf)::POPF loses IF');
      assert.equal(lines[1], '::warning file=src/boot.asm,line=3,col=9,endLine=3,endColumn=20,title=virtlint(sidt)::SIDT, reads IDTR: 100%25');
      assert.ok(lines[2]!.startsWith('::notice file=src/boot.asm,line=40,'));
      assert.equal(lines[3], '::error file=blob.inc,title=virtlint::binary file (NUL byte at offset 3); not linted');
    });

    it('escapes commas and colons in file names', () => {
      const report: FileReport = { filePath: path.join(CWD, 'a,b:c.asm'), messages: [{ ruleId: 'str', severity: 1, message: 'x\ny', line: 1, column: 1, endLine: 1, endColumn: 4 }], errorCount: 0, warningCount: 1 };
      assert.equal(formatReports([report], 'github', { cwd: CWD }).trim(), '::warning file=a%2Cb%3Ac.asm,line=1,col=1,endLine=1,endColumn=4,title=virtlint(str)::x%0Ay');
    });
  });

  describe('sarif', () => {
    const log = () => JSON.parse(formatReports(sampleReports(), 'sarif', { cwd: CWD, tool: { version: '9.9.9' }, docsBaseUrl: 'https://example.org/virtlint/' })) as Record<string, any>;

    it("passes Microsoft's SARIF validator (schema, SARIF rules, GitHub ingestion rules)", () => {
      assert.deepEqual(sarifProblems(log()), []);
    });

    it('the validator rejects broken logs', () => {
      const broken = log();
      broken.runs[0].results[0].ruleIndex = 0;
      broken.runs[0].results[1].locations[0].physicalLocation.region.startLine = 0;
      delete broken.runs[0].results[2].message;
      broken.runs[0].tool.driver.rules[1].id = broken.runs[0].tool.driver.rules[0].id;
      const problems = sarifProblems(broken).join('\n');
      assert.match(problems, /results\[0\]\.ruleIndex: rules\[0\] is \S+, not popf/);
      assert.match(problems, /error JSON\d+: runs\[0\]\.results\[1\]\.locations\[0\]\.physicalLocation\.region\.startLine/);
      assert.match(problems, /error JSON\d+: runs\[0\]\.results\[2\] \| message/);
      assert.match(problems, /rules\[1\]: duplicate rule id/);
    });

    it('lists every catalogue rule with descriptions, help, tags and a helpUri', () => {
      const driver = log().runs[0].tool.driver;
      assert.equal(driver.name, 'virtlint');
      assert.equal(driver.version, '9.9.9');
      assert.equal(driver.informationUri, 'https://example.org/virtlint/docs/overview.md');
      assert.deepEqual(driver.rules.map((r: { id: string }) => r.id), [...RULES, ...IDIOM_RULES, ...META_RULES].map((r) => r.id));
      const popf = driver.rules.find((r: { id: string }) => r.id === 'popf');
      assert.equal(popf.name, undefined, 'no name that only repeats the id (SARIF1001)');
      assert.equal(driver.rules.find((r: { id: string }) => r.id === 'far-call').name, 'FarCall');
      assert.equal(popf.helpUri, 'https://example.org/virtlint/docs/rules/popf.md');
      assert.equal(popf.defaultConfiguration.level, 'error');
      assert.ok(popf.shortDescription.text.length > 10 && !popf.shortDescription.text.includes('`'));
      assert.ok(popf.help.markdown.includes('docs/rules/popf.md'));
      assert.ok(popf.properties.tags.includes('core'));
      const cpuid = driver.rules.find((r: { id: string }) => r.id === 'cpuid');
      assert.deepEqual(cpuid.defaultConfiguration, { level: 'none', enabled: false }, 'cpuid is off in the default profile');
    });

    it('maps results to rules, levels and relative locations; file problems become notifications', () => {
      const run = log().runs[0];
      assert.equal(run.results.length, 3);
      const [popf, sidt, cpuid] = run.results;
      assert.equal(popf.ruleId, 'popf');
      assert.equal(run.tool.driver.rules[popf.ruleIndex].id, 'popf');
      assert.equal(popf.level, 'error');
      assert.equal(sidt.level, 'warning');
      assert.equal(cpuid.level, 'note');
      assert.deepEqual(popf.locations[0].physicalLocation, {
        artifactLocation: { uri: 'src/boot.asm', uriBaseId: '%SRCROOT%' },
        region: { startLine: 12, startColumn: 5, endLine: 12, endColumn: 9 },
      });
      assert.equal(run.originalUriBaseIds['%SRCROOT%'].uri, 'file:///work/project/');
      assert.equal(run.invocations[0].executionSuccessful, false);
      assert.equal(run.invocations[0].toolExecutionNotifications[0].message.text, 'binary file (NUL byte at offset 3); not linted');
    });

    it('uses the profile for default levels and file URIs outside the working directory', () => {
      const report: FileReport = { filePath: path.join(path.sep, 'elsewhere', 'x y.asm'), messages: [{ ruleId: 'cpuid', severity: 1, message: 'm', line: 2, column: 1, endLine: 2, endColumn: 6 }], errorCount: 0, warningCount: 1 };
      const parsed = JSON.parse(formatReports([report], 'sarif', { cwd: CWD, profile: 'vm-detection-audit', tool: packageInfo() })) as Record<string, any>;
      assert.deepEqual(sarifProblems(parsed), []);
      const run = parsed.runs[0];
      assert.equal(run.results[0].locations[0].physicalLocation.artifactLocation.uri, 'file:///elsewhere/x%20y.asm');
      assert.equal(run.tool.driver.rules.find((r: { id: string }) => r.id === 'cpuid').defaultConfiguration.level, 'warning');
      assert.equal(run.invocations[0].executionSuccessful, true);
      assert.ok(String(run.tool.driver.rules[0].helpUri).startsWith('file://'), 'default helpUri points into the installed package');
    });
  });

  it('rejects an unknown format name', () => {
    assert.throws(() => formatReports([], 'xml', { cwd: CWD }), /unknown format "xml"/);
  });
});
