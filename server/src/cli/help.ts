import { IDIOM_RULES, RULES, META_RULES } from '../analysis/catalogue';
import { ASSEMBLY_EXTENSIONS, HOST_EXTENSIONS } from './files';

export function helpText(): string {
  const core = RULES.filter((r) => r.group === 'core').map((r) => r.id);
  const extended = RULES.filter((r) => r.group === 'extended').map((r) => r.id);
  return `Usage: virtlint [options] <file|dir|->...
       virtlint scan [options] <binary>...     (ELF, PE/COFF, raw images: virtlint scan --help)

Reports x86 instructions that are sensitive but unprivileged: they run at CPL>0 without
trapping, so a trap-and-emulate hypervisor never sees them. Directories are walked for
assembly (${ASSEMBLY_EXTENSIONS.join(' ')}) and for the inline
assembly and intrinsics of C (${HOST_EXTENSIONS.c.join(' ')}), C++ (${HOST_EXTENSIONS.cpp.join(' ')})
and Rust (${HOST_EXTENSIONS.rust.join(' ')}), skipping node_modules and .git; "-" reads standard input.

Output:
  -f, --format <name>        stylish (default), json, sarif, github
  -o, --output-file <file>   write the report to a file instead of standard output
  --color, --no-color        force colour on or off (default: on when stdout is a terminal)
  --quiet                    report errors only
  --max-warnings <n>         exit with status 1 when there are more than n warnings
  --docs-base-url <url>      SARIF helpUri = <url>/docs/rules/<id>.md (default: file:// of this install)

Rules:
  --profile <name>           deprivileged-kernel (default), hardware-assisted-guest, vm-detection-audit
  --rules <list>             comma-separated rule ids or groups core, extended, all (all adds INT3)
  --severity <rule=level>    error, warning, info, hint or off; rule may be an id, core, extended,
                             meta or all; repeatable
  --report-unknown-mnemonics report mnemonics that are not x86 instructions (off by default)

Input:
  --dialect <d>              nasm, yasm, gas (AT&T unless the file switches), gas-att, gas-intel,
                             masm, fasm (default: detected; a "virtlint:" modeline wins)
  --bits 16|32|64            starting bitness (default: detected; directives still switch)
  --mode <mode>              auto (default: inferred), real, v86, pm16, pm32, long: the execution
                             mode files start in; messages and severities follow it. A
                             "virtlint: mode=" comment, a CR0.PE switch or code of another
                             bitness still change it
  --stdin-filename <name>    name used for standard input (shown, and used for detection;
                             a .c/.cpp/.rs name reads it as C, C++ or Rust)
  --languages <list>         what to lint: any of asm,c,cpp,rust (default: all of them)
  --masm att|intel           the syntax of GCC/Clang inline assembly, as gcc's -masm= (default att);
                             --bits gives C and Rust code's mode too (-m16/-m32/-m64; default 64)
  --max-file-size <bytes>    skip larger files with an error (default ${8 * 1024 * 1024}, 8 MiB)

Project (see docs/configuration.md):
  -I, --include-path <dir>   search <dir> for includes (after the including file's directory);
                             repeatable
  -D, --define <NAME[=val]>  define a preprocessor symbol for every file; repeatable
  --config <file>            read this configuration instead of the nearest virtlint.config.json
                             (looked for from the first path upward)
  --no-config                read no configuration file
  --defines-complete         the -D defines (and the configuration's) are all the build defines:
                             a name nobody defines is undefined, so conditionals on it are decided
  --no-includes              read each file alone: no includes, no macros from other files, no
                             files reached through includes (the behaviour before projects)
  --jobs <n>                 threads, this one included; the report is the same whatever the
                             number (default: the cores, at most 4, for C, C++ and Rust files
                             when there are 64 or more; 1 with --fix)
  Files are read as one program: an include is read in its includer's dialect and bitness, macros
  are expanded and a finding they produce is reported at the invocation. Every file reached
  through an include is reported too, whatever its extension. compile_commands.json next to the
  configuration (or in the working directory) gives per-file include paths, defines and bitness.

Fixes:
  --fix trap|hypercall       rewrite findings in place, then report what remains
                             trap: an equivalent that faults, or a forced-emulation prefix
                             hypercall: a call through --abi; the fix includes a definitions
                             file for the numbers and writes it next to the fixed file
                             C, C++, Rust: trap writes the prefix into asm templates (each
                             finding left is named on stderr); hypercall changes nothing
  --fix-dry-run              print a unified diff instead of writing (json/sarif: diff on stderr)
  --abi <abi>                kvm (default), kvm-amd, xen, hyperv, custom
  --fix-template <file>      instruction template for --abi custom
  --hypercall-numbers <where>
                             file (default): the definitions file above, written when missing;
                             inline: the numbers are defined in the fixed file itself (standard
                             input is always fixed inline)
  --hypercall-definitions-folder <dir>
                             write the definitions file in <dir> (default: the configuration's
                             hypercallDefinitionsFolder, else next to each fixed file); the
                             include names it relative to the fixed file, so the assemblers
                             find it when run from the fixed file's folder
  --write-hypercall-defs <file>    the hypercall number definitions alone, in --dialect
                                   (else by the file's extension, else nasm)
  --write-hypercall-header <file>  write a C header with the same numbers for the hypervisor side

Other:
  -h, --help                 this text
  -v, --version              print the version

Severities: error and warning count (json severity 2 and 1). info and hint findings are shown
but never change the exit status; json gives them severity 1 plus "level": "info"|"hint", sarif
level "note", github ::notice. A file that cannot be linted (binary, not UTF-8, over the size
limit, not a regular file, unreadable) gets one error with ruleId null and "fatal": true, and is
never rewritten. --fix writes through a temporary file (a failed write leaves the file as it
was) and never through a symbolic link. An output file that is an input is refused.

Exit status: 0 no problems (or only warnings, at most --max-warnings of them); 1 errors, or
more warnings than --max-warnings; 2 bad usage, a missing path, a failed --fix write, or an
internal error.

Rule ids (suppress in source with "virtlint-disable-next-line <id> -- reason"):
  core:     ${core.join(' ')}
  extended: ${extended.join(' ')}
  idioms:   ${IDIOM_RULES.map((r) => r.id).join(' ')} (vm-detection-audit only)
  meta:     ${META_RULES.map((r) => r.id).join(' ')}
`;
}
