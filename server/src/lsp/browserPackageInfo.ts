// `host/packageInfo.ts` for the web bundle: the worker cannot look for the package on a disk. No
// package root means no local rule pages: hovers and diagnostics link to the docs path instead.

import type { PackageInfo } from '../host/packageInfo';

export type { PackageInfo };

export function packageInfo(): PackageInfo | undefined {
  return undefined;
}

export function findPackage(): PackageInfo | null {
  return null;
}
