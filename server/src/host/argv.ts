// Splits a command line into options and paths with Node's util.parseArgs, then checks each option
// against the command's table (report/options.ts) in the order given, so that a later option wins.
// parseArgs runs non-strict only to get its tokens: the checks and their wording are ours, the same
// for both commands. It keeps the conventions the CLI had: `-` is a path, everything after `--` is
// a path, `--name=value` and `--name value`, and a value may start with `-` (`--max-warnings -1`).
import { parseArgs } from 'node:util';
import { checkRuleSelection, reportOptionDefaults, REPORT_OPTIONS, UsageError, type OptionSpec, type ReportOptions } from '../report/options';

type ParseArgsOptions = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;

/** A command's options: the report options both commands take, the paths, and its own. */
export type CommandOptions<Own> = ReportOptions & { paths: string[] } & Own;

/** Reads a command line of the report options plus the command's own (`ownDefaults` are its defaults). */
export function parseCommandOptions<Own extends object>(argv: readonly string[], own: readonly OptionSpec<CommandOptions<Own>>[], ownDefaults: Own): CommandOptions<Own> {
  const options: CommandOptions<Own> = { ...reportOptionDefaults(), paths: [], ...ownDefaults };
  const specs: readonly OptionSpec<CommandOptions<Own>>[] = [...REPORT_OPTIONS, ...own];
  options.paths = parseCommandLine(argv, specs, options);
  checkRuleSelection(options);
  return options;
}

/** Applies each option in `argv` to `into` and returns the paths; throws a UsageError. */
function parseCommandLine<T>(argv: readonly string[], specs: readonly OptionSpec<T>[], into: T): string[] {
  const byName = new Map<string, OptionSpec<T>>();
  const options: ParseArgsOptions = {};
  for (const spec of specs) {
    const name = spec.long.slice(2);
    byName.set(name, spec);
    options[name] = { type: spec.takesValue ? 'string' : 'boolean', ...(spec.short !== undefined ? { short: spec.short.slice(1) } : {}) };
  }
  const { tokens } = parseArgs({ args: argv.slice(), options, strict: false, allowPositionals: true, tokens: true });
  const paths: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') {
      // An empty argument (an unset shell variable) would otherwise mean the current directory.
      if (token.value === '') throw new UsageError('an empty argument is not a path');
      paths.push(token.value);
    } else if (token.kind === 'option') {
      const spec = byName.get(token.name);
      if (spec === undefined) throw new UsageError(`unknown option ${token.rawName.startsWith('--') ? token.rawName : argv[token.index]}`);
      spec.apply(into, optionValue(spec, token.rawName, token.value), token.rawName);
    }
  }
  return paths;
}

function optionValue(spec: OptionSpec<unknown>, name: string, value: string | undefined): string {
  if (!spec.takesValue) {
    if (value !== undefined) throw new UsageError(`${name} takes no value`);
    return '';
  }
  if (value === undefined) throw new UsageError(`${name} needs a value`);
  return value;
}
