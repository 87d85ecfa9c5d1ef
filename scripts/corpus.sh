#!/usr/bin/env bash
# npm run corpus — fetch real x86 code from Debian's archive into .corpus/ (git-ignored),
# lint the Linux arch/x86 tree with the CLI, and record the figures in BENCHMARKS.md.
#
#   .corpus/linux/arch/x86/   Linux 6.1 x86 sources (the .S files are what we lint)
#   .corpus/linux/include/    Linux 6.1 include/ (what arch/x86's .S files #include besides
#                             arch/x86/include), plus the build's generated headers (asm-offsets.h,
#                             autoconf.h, asm/export.h, unistd_64.h…) from Debian's linux-headers
#                             package, in include/generated and arch/x86/include/generated
#   .corpus/src/syslinux/     Debian source package syslinux (NASM, 16-bit, deep include trees)
#   .corpus/src/grub2/        Debian source package grub2 (GNU as)
#   .corpus/bin/vmlinux       Debian amd64 kernel image, decompressed ELF64
#   .corpus/bin/System.map    its symbols (the image itself is stripped)
#   .corpus/bin/xen.elf       Xen 4.17 hypervisor ELF
#
# Each step is skipped when its output already exists, so re-running is cheap.
# Options: --fetch-only (no CLI run), --no-report (do not touch BENCHMARKS.md).
# The source packages come through `apt-get source`, which needs a deb-src entry for this
# machine's Debian suite: the script adds one (as root) when there is none.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
corpus="$root/.corpus"
debs="$corpus/.debs"
fetch_only=0
write_report=1
for arg in "$@"; do
  case "$arg" in
    --fetch-only) fetch_only=1 ;;
    --no-report) write_report=0 ;;
    *) echo "corpus.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

need() { command -v "$1" >/dev/null 2>&1 || { echo "corpus.sh: '$1' is required but not installed" >&2; exit 1; }; }
need apt-get; need apt-cache; need dpkg-deb; need dpkg-source; need tar; need node

mkdir -p "$corpus/bin" "$debs"

download() { # package-name -> leaves NAME_*.deb in $debs
  local pkg=$1
  if ls "$debs/${pkg}"_*.deb >/dev/null 2>&1; then return; fi
  if [ -z "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v -e lock -e partial)" ]; then apt-get update -qq; fi
  echo "corpus: downloading $pkg"
  (cd "$debs" && apt-get download -qq "$pkg")
}

kernel_pkg() {
  apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

scratch=$(mktemp -d "$debs/unpack.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

if [ ! -d "$corpus/linux/arch/x86" ]; then
  download linux-source-6.1
  dpkg-deb -x "$(ls "$debs"/linux-source-6.1_*.deb | head -1)" "$scratch/src"
  mkdir -p "$corpus/linux.partial"
  tar -xJf "$scratch"/src/usr/src/linux-source-6.1.tar.xz -C "$corpus/linux.partial" --strip-components=1 \
    --wildcards 'linux-source-6.1/arch/x86/*' 'linux-source-6.1/scripts/extract-vmlinux'
  rm -rf "$corpus/linux" && mv "$corpus/linux.partial" "$corpus/linux"
fi

# Linux's include/ tree, from the same source package (kept in $debs).
if [ ! -d "$corpus/linux/include/linux" ]; then
  download linux-source-6.1
  rm -rf "$scratch/src" && dpkg-deb -x "$(ls "$debs"/linux-source-6.1_*.deb | head -1)" "$scratch/src"
  rm -rf "$corpus/linux/include.partial" && mkdir -p "$corpus/linux/include.partial"
  tar -xJf "$scratch"/src/usr/src/linux-source-6.1.tar.xz -C "$corpus/linux/include.partial" --strip-components=2 \
    --wildcards 'linux-source-6.1/include/*'
  rm -rf "$scratch/src"
  generated_keep=$(mktemp -d "$debs/generated.XXXXXX")
  [ -d "$corpus/linux/include/generated" ] && mv "$corpus/linux/include/generated" "$generated_keep/"
  rm -rf "$corpus/linux/include" && mv "$corpus/linux/include.partial" "$corpus/linux/include"
  [ -d "$generated_keep/generated" ] && mv "$generated_keep/generated" "$corpus/linux/include/generated"
  rmdir "$generated_keep"
  echo "corpus: extracted Linux include/ ($(find "$corpus/linux/include" -name '*.h' | wc -l) headers)"
fi

# The build's generated headers, from the linux-headers package of the kernel linux-image-amd64
# names (same Debian version as linux-source-6.1): asm-offsets.h, autoconf.h, asm/export.h…
if [ ! -f "$corpus/linux/include/generated/asm-offsets.h" ] || [ ! -d "$corpus/linux/arch/x86/include/generated/asm" ]; then
  pkg=$(kernel_pkg)
  [ -n "$pkg" ] || { apt-get update -qq; pkg=$(kernel_pkg); }
  [ -n "$pkg" ] || { echo "corpus.sh: cannot find the kernel image package behind linux-image-amd64" >&2; exit 1; }
  headers_pkg=${pkg/linux-image-/linux-headers-}
  download "$headers_pkg"
  dpkg-deb -x "$(ls "$debs/${headers_pkg}"_*.deb | head -1)" "$scratch/khdr"
  hdr_root=$(ls -d "$scratch"/khdr/usr/src/linux-headers-*-amd64 | head -1)
  [ -f "$hdr_root/include/generated/asm-offsets.h" ] || { echo "corpus.sh: $headers_pkg has no include/generated/asm-offsets.h" >&2; exit 1; }
  rm -rf "$corpus/linux/include/generated" "$corpus/linux/arch/x86/include/generated"
  cp -r "$hdr_root/include/generated" "$corpus/linux/include/generated"
  cp -r "$hdr_root/arch/x86/include/generated" "$corpus/linux/arch/x86/include/generated"
  cp "$hdr_root/.config" "$corpus/linux/.config"
  echo "corpus: generated headers from $headers_pkg ($(find "$corpus/linux/include/generated" "$corpus/linux/arch/x86/include/generated" -name '*.h' | wc -l) files)"
fi

# Debian source packages, unpacked (with Debian's patches) by `apt-get source`.
has_deb_src() {
  grep -rqsE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/
}
ensure_deb_src() {
  has_deb_src && return
  [ "$(id -u)" = 0 ] || { echo "corpus.sh: no deb-src entry in /etc/apt and not root: add one for your Debian suite, then re-run" >&2; exit 1; }
  local suite
  suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [ -n "$suite" ] || { echo "corpus.sh: cannot tell this machine's Debian suite (no VERSION_CODENAME in /etc/os-release)" >&2; exit 1; }
  echo "corpus: adding a deb-src entry for $suite (/etc/apt/sources.list.d/virtlint-corpus-src.sources)"
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$suite" \
    > /etc/apt/sources.list.d/virtlint-corpus-src.sources
  apt-get update -qq
}
source_pkg() { # name -> .corpus/src/NAME (the unpacked tree)
  local name=$1 dir="$corpus/src/$1"
  if [ -d "$dir" ]; then return; fi
  ensure_deb_src
  if ! ls /var/lib/apt/lists/ 2>/dev/null | grep -q '_source_Sources'; then apt-get update -qq; fi
  rm -rf "$corpus/src/.$name.partial" && mkdir -p "$corpus/src/.$name.partial"
  echo "corpus: apt-get source $name"
  if ! (cd "$corpus/src/.$name.partial" && apt-get source -qq "$name" >/dev/null); then
    echo "corpus.sh: 'apt-get source $name' failed (is there a deb-src entry for this suite, and dpkg-dev installed?)" >&2; exit 1
  fi
  local tree
  tree=$(find "$corpus/src/.$name.partial" -mindepth 1 -maxdepth 1 -type d | head -1)
  [ -n "$tree" ] || { echo "corpus.sh: 'apt-get source $name' left no unpacked tree" >&2; exit 1; }
  mv "$tree" "$dir"
  # quilt's copies of the files Debian's patches touch: not part of the source as built.
  rm -rf "$dir/.pc"
  basename "$tree" > "$dir/.debian-version"
  rm -rf "$corpus/src/.$name.partial"
  echo "corpus: $name -> $dir ($(basename "$tree"); $(find "$dir" -type f \( -name '*.asm' -o -name '*.inc' -o -name '*.S' -o -name '*.s' \) | wc -l) assembly files)"
}
source_pkg syslinux
source_pkg grub2
# What grub's configure links for the i386-pc target (AC_CONFIG_LINKS in configure.ac), in a build
# folder of its own so the source stays as Debian ships it: <grub/cpu/…> and <grub/machine/…>.
grub_build="$corpus/src/grub2-build-i386-pc/include/grub"
if [ ! -e "$grub_build/machine" ]; then
  mkdir -p "$grub_build"
  ln -sfn "$corpus/src/grub2/include/grub/i386" "$grub_build/cpu"
  ln -sfn "$corpus/src/grub2/include/grub/i386/pc" "$grub_build/machine"
  echo "corpus: grub2 i386-pc build links in $grub_build (cpu, machine)"
fi

if [ ! -s "$corpus/bin/vmlinux" ] || [ ! -s "$corpus/bin/System.map" ]; then
  if [ ! -f "$corpus/linux/scripts/extract-vmlinux" ]; then
    echo "corpus.sh: $corpus/linux/scripts/extract-vmlinux missing; delete $corpus/linux and re-run" >&2; exit 1
  fi
  pkg=$(kernel_pkg)
  [ -n "$pkg" ] || { [ -n "$(ls /var/lib/apt/lists/ | grep -v -e lock -e partial)" ] || apt-get update -qq; pkg=$(kernel_pkg); }
  [ -n "$pkg" ] || { echo "corpus.sh: cannot find the kernel image package behind linux-image-amd64" >&2; exit 1; }
  download "$pkg"
  dpkg-deb -x "$(ls "$debs/${pkg}"_*.deb | head -1)" "$scratch/kimg"
  bash "$corpus/linux/scripts/extract-vmlinux" "$scratch"/kimg/boot/vmlinuz-* > "$corpus/bin/vmlinux.partial"
  mv "$corpus/bin/vmlinux.partial" "$corpus/bin/vmlinux"
  cp "$scratch"/kimg/boot/System.map-* "$corpus/bin/System.map"
fi

if [ ! -s "$corpus/bin/xen.elf" ]; then
  download xen-hypervisor-4.17-amd64
  dpkg-deb -x "$(ls "$debs"/xen-hypervisor-4.17-amd64_*.deb | head -1)" "$scratch/xen"
  zcat "$scratch"/xen/boot/xen-4.17-amd64.gz > "$corpus/bin/xen.elf.partial"
  mv "$corpus/bin/xen.elf.partial" "$corpus/bin/xen.elf"
fi

s_files=$(find "$corpus/linux/arch/x86" -name '*.S' | wc -l)
echo "corpus: ready in $corpus — $s_files .S files in linux/arch/x86, $(find "$corpus/linux/include" -name '*.h' | wc -l) headers in linux/include;" \
  "sources: $(for d in "$corpus"/src/*/; do [ -f "$d/.debian-version" ] && printf '%s ' "$(cat "$d/.debian-version")"; done)binaries: $(cd "$corpus/bin" && ls | tr '\n' ' ')"
[ "$fetch_only" = 1 ] && exit 0

cli="$root/out/server/src/main/virtlint.js"
[ -f "$cli" ] || { echo "corpus.sh: $cli not found — run 'npx tsc -p .' first" >&2; exit 1; }

json="$corpus/lint-arch-x86.json"
start=$(date +%s%N)
set +e
node "$cli" --format json "$corpus/linux/arch/x86" > "$json" 2> "$corpus/lint-arch-x86.stderr"
status=$?
set -e
end=$(date +%s%N)
wall_ms=$(( (end - start) / 1000000 ))
echo "corpus: CLI exit status $status in ${wall_ms} ms (output: $json)"

# The binaries: vmlinux (stripped ELF64) and Xen (64-bit code in an ELF32 container, hence --bits 64).
scan_one() { # name, output json, args...
  local name=$1 out=$2; shift 2
  local t0 t1 rc
  t0=$(date +%s%N)
  set +e
  node "$cli" scan --format json "$@" > "$out" 2> "$out.stderr"
  rc=$?
  set -e
  t1=$(date +%s%N)
  echo "$name $(( (t1 - t0) / 1000000 )) $rc"
}
scan_lines=$(
  scan_one vmlinux "$corpus/scan-vmlinux.json" "$corpus/bin/vmlinux"
  scan_one xen.elf "$corpus/scan-xen.json" --bits 64 "$corpus/bin/xen.elf"
)
echo "corpus: binary scans (name, ms, exit status):"; echo "$scan_lines"

[ "$write_report" = 1 ] || exit 0
node - "$json" "$root/BENCHMARKS.md" "$wall_ms" "$status" "$s_files" "$scan_lines" "$corpus" <<'NODE'
// Summarise the CLI's JSON reports and splice them into BENCHMARKS.md between markers.
const fs = require('fs');
const path = require('path');
const [jsonPath, mdPath, wallMs, status, sFiles, scanLines, corpusDir] = process.argv.slice(2);
let reports = [];
let parseNote = '';
try {
  const parsed = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  reports = Array.isArray(parsed) ? parsed : [];
} catch (e) {
  parseNote = `The CLI output could not be read as JSON (${e.message.split('\n')[0]}); counts below are zero.`;
}
const perRule = new Map();
const perSetting = new Map();
let findings = 0;
for (const r of reports) {
  for (const m of r.messages ?? []) {
    const id = m.ruleId ?? '(none)';
    perRule.set(id, (perRule.get(id) ?? 0) + 1);
    findings++;
  }
  const key = `${r.dialect ?? '?'} / ${r.bits ?? '?'}`;
  perSetting.set(key, (perSetting.get(key) ?? 0) + 1);
}
const rows = (map) => [...map].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
const lines = [];
lines.push('<!-- corpus:begin (written by scripts/corpus.sh; do not edit by hand) -->');
lines.push('## Real corpus: Linux 6.1 arch/x86');
lines.push('');
lines.push(`Command: \`npm run corpus\` (runs \`node out/server/src/main/virtlint.js --format json .corpus/linux/arch/x86\`), ${new Date().toISOString()}.`);
lines.push('');
lines.push(`- .S files in the tree: ${sFiles}; files in the report: ${reports.length}`);
lines.push(`- wall time (including Node start-up): ${wallMs} ms; exit status ${status}`);
lines.push(`- findings: ${findings}`);
if (parseNote) lines.push(`- note: ${parseNote}`);
lines.push('');
lines.push('| rule | findings |');
lines.push('| --- | ---: |');
for (const [id, n] of rows(perRule)) lines.push(`| ${id} | ${n} |`);
if (perRule.size === 0) lines.push('| (none) | 0 |');
lines.push('');
lines.push('| dialect / bits (file start) | files |');
lines.push('| --- | ---: |');
for (const [k, n] of rows(perSetting)) lines.push(`| ${k} | ${n} |`);
if (perSetting.size === 0) lines.push('| (none) | 0 |');
lines.push('');
lines.push('### Binaries (`virtlint scan --format json`, default profile)');
lines.push('');
lines.push('| file | wall ms | exit | findings by rule |');
lines.push('| --- | ---: | ---: | --- |');
for (const entry of scanLines.split('\n').filter(Boolean)) {
  const [name, ms, rc] = entry.split(' ');
  let byRule = 'output not readable';
  try {
    const reports = JSON.parse(fs.readFileSync(path.join(corpusDir, name === 'vmlinux' ? 'scan-vmlinux.json' : 'scan-xen.json'), 'utf8'));
    const counts = new Map();
    for (const r of reports) for (const m of r.messages) counts.set(m.ruleId, (counts.get(m.ruleId) ?? 0) + 1);
    byRule = rows(counts).map(([id, n]) => `${id} ${n}`).join(', ') || 'none';
  } catch (e) {}
  lines.push(`| ${name} | ${ms} | ${rc} | ${byRule} |`);
}
lines.push('');
lines.push("Debian's linux-image package ships a placeholder System.map (the real one is in the -dbg package, about 1 GB), and its vmlinux is stripped, so vmlinux findings carry a section, not a symbol.");
lines.push('<!-- corpus:end -->');
const block = lines.join('\n');
let md = fs.existsSync(mdPath) ? fs.readFileSync(mdPath, 'utf8') : '# Benchmarks\n';
const re = /<!-- corpus:begin[\s\S]*?<!-- corpus:end -->/;
md = re.test(md) ? md.replace(re, block) : md.trimEnd() + '\n\n' + block + '\n';
fs.writeFileSync(mdPath, md);
console.log(`corpus: wrote ${findings} findings over ${reports.length} files to ${mdPath}`);
NODE
