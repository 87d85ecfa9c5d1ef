// The predefined macros and the configuration's defines as cpp sees them before any file's own
// `#define`. Linux's configuration holds thousands of defines and a run looks up a few hundred
// of them: each is parsed the first time a look-up asks for its name, once per defines map.
import { commandLineDefine, type Macro } from './macros';
import type { LexOptions } from './tokens';

export type CppLanguage = 'assembler' | 'c';

/** A define named by a plain identifier: its macro, if any, has that name. */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function predefined(language: CppLanguage): [string, string][] {
  const common: [string, string][] = [['__STDC__', '1'], ['__STDC_HOSTED__', '1']];
  if (language === 'assembler') common.push(['__ASSEMBLER__', '1']);
  else common.push(['__STDC_VERSION__', '201710L']);
  return common;
}

/**
 * Answers as a map filled in order would (the predefined macros, then each define, a later one of
 * a name replacing an earlier): a plain-named define is looked at only when its name is asked for;
 * the others (`NAME(params)`, odd spellings) are parsed up front with their place in the order.
 */
export class ConfigurationMacros {
  private readonly parsed = new Map<string, Macro | null>();
  private readonly predefined = new Map<string, Macro>();
  /** Defines not named by a plain identifier, by their macro's name: the last one and its place. */
  private readonly others = new Map<string, { macro: Macro; index: number }>();

  constructor(
    private readonly defines: ReadonlyMap<string, string>,
    language: CppLanguage,
    private readonly lexOptions: LexOptions,
  ) {
    for (const [name, value] of predefined(language)) {
      const macro = commandLineDefine(name, value, lexOptions);
      if (macro) this.predefined.set(macro.name, macro);
    }
    let index = 0;
    for (const [name, value] of defines) {
      if (!PLAIN_NAME.test(name)) {
        const macro = commandLineDefine(name, value, lexOptions);
        if (macro) this.others.set(macro.name, { macro, index });
      }
      index++;
    }
  }

  get(name: string): Macro | undefined {
    let macro = this.parsed.get(name);
    if (macro === undefined) this.parsed.set(name, (macro = this.resolve(name) ?? null));
    return macro ?? undefined;
  }

  private resolve(name: string): Macro | undefined {
    const value = this.defines.get(name);
    const plain = value !== undefined && PLAIN_NAME.test(name) ? commandLineDefine(name, value, this.lexOptions) : undefined;
    const other = this.others.get(name);
    if (plain && other) return this.indexOf(name) > other.index ? plain : other.macro;
    return plain ?? other?.macro ?? this.predefined.get(name);
  }

  /** Where a define sits in the configuration's order (only asked when two spellings make one name). */
  private indexOf(name: string): number {
    let index = 0;
    for (const key of this.defines.keys()) {
      if (key === name) return index;
      index++;
    }
    return -1;
  }
}

/** One per defines map and language: a project walks every root with the same map. */
const CONFIGURATIONS = new WeakMap<ReadonlyMap<string, string>, Map<CppLanguage, ConfigurationMacros>>();

export function configurationMacros(defines: ReadonlyMap<string, string>, language: CppLanguage, lexOptions: LexOptions): ConfigurationMacros {
  let byLanguage = CONFIGURATIONS.get(defines);
  if (!byLanguage) CONFIGURATIONS.set(defines, (byLanguage = new Map()));
  let macros = byLanguage.get(language);
  if (!macros) byLanguage.set(language, (macros = new ConfigurationMacros(defines, language, lexOptions)));
  return macros;
}
