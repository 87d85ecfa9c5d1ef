// The extension's settings as users meet them in the Settings editor, and the rule quick-pick.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { summaryFromTitle } from '../../client/src/ruleSummary';
import { parseCustomTemplate } from '../../server/src/analysis/fixes/abi';

const ROOT = path.resolve(__dirname, '..', '..', '..');
interface Setting { order?: number; enum?: string[]; enumDescriptions?: string[]; examples?: string[]; markdownDescription?: string; description?: string }
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, Setting> } } };
const settings = manifest.contributes.configuration.properties;

describe('extension manifest: settings and rule summaries', () => {
  it('every setting has its own order, and the profile comes first', () => {
    const orders = Object.entries(settings).map(([name, setting]) => {
      assert.equal(typeof setting.order, 'number', `${name} has an order`);
      return setting.order!;
    });
    assert.equal(new Set(orders).size, orders.length, 'no two settings share a place');
    const first = Object.entries(settings).sort((a, b) => a[1].order! - b[1].order!)[0]![0];
    assert.equal(first, 'virtlint.profile');
  });

  it('every enum value has its own description', () => {
    for (const [name, setting] of Object.entries(settings)) {
      if (!setting.enum) continue;
      assert.equal(setting.enumDescriptions?.length, setting.enum.length, `${name}: one description per value`);
      for (const text of setting.enumDescriptions!) assert.ok(text.trim().length > 10, `${name}: "${text}" says something`);
    }
  });

  it('the custom hypercall template example is one the fix engine accepts, in 32- and 64-bit code', () => {
    const template = settings['virtlint.fix.customTemplate']!;
    assert.ok(template.examples?.length, 'an example is given');
    for (const example of template.examples!) {
      assert.ok(template.markdownDescription?.includes(example), 'the description shows the example');
      assert.ok(parseCustomTemplate(example, 64), `${example} parses for 64-bit code`);
      assert.ok(parseCustomTemplate(example, 32), `${example} parses for 32-bit code`);
    }
  });

  it('every rule page has a title the documentation quick-pick turns into a one-line summary', () => {
    const folder = path.join(ROOT, 'docs', 'rules');
    const pages = fs.readdirSync(folder).filter((name) => name.endsWith('.md'));
    assert.ok(pages.length >= 25);
    for (const page of pages) {
      const summary = summaryFromTitle(fs.readFileSync(path.join(folder, page), 'utf8'));
      assert.ok(summary && summary.length > 10 && !summary.includes('`' + page.slice(0, -3) + '`'), `${page}: ${summary}`);
    }
    assert.equal(summaryFromTitle('# `x` — Something true\n'), 'Something true');
    assert.equal(summaryFromTitle('# No rule here\n'), undefined);
  });
});
