// The projects the multi-file oracle assembles, with the build each one gets.
import * as path from 'node:path';
import { packageRoot } from '../oracle/fixtures';
import type { ProjectSpec } from './projectOracle';

export const PROJECTS_DIR = path.join(packageRoot(), 'test', 'fixtures', 'projects');

export const PROJECTS: readonly ProjectSpec[] = [
  {
    // boot.asm switches to 16 and 32 itself; kernel.asm has no `bits` and is built with -f elf32.
    name: 'nasm-boot',
    tool: 'nasm',
    dialect: 'nasm',
    dir: path.join(PROJECTS_DIR, 'nasm-boot'),
    units: [
      { root: 'boot.asm', bits: 32 },
      { root: 'kernel.asm', bits: 32 },
    ],
    includePaths: ['.'],
    defines: {},
  },
  {
    // gcc -c -m32 -D__ASSEMBLY__ -Iinclude entry.S
    name: 'gas-cpp',
    tool: 'gas',
    dialect: 'gas-att',
    dir: path.join(PROJECTS_DIR, 'gas-cpp'),
    units: [{ root: 'entry.S', bits: 32 }],
    includePaths: ['include'],
    defines: { __ASSEMBLY__: '' },
  },
  {
    // fasm boot.asm boot.bin (fasm starts in 16-bit mode)
    name: 'fasm-boot',
    tool: 'fasm',
    dialect: 'fasm',
    dir: path.join(PROJECTS_DIR, 'fasm-boot'),
    units: [{ root: 'boot.asm', bits: 16 }],
    includePaths: [],
    defines: {},
  },
];
