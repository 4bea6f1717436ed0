// tools/sandbox-links.mjs -- host-made escaping symlinks for
// test/fixtures/c/wasi/sandbox.c.  A runtime may refuse to *create* symlinks
// that leave the sandbox (node:wasi does); these let the fixture test how it
// *follows* them.  Create them in the preopened directory before the run:
//
//   import { makeSandboxLinks } from '../tools/sandbox-links.mjs';
//   makeSandboxLinks(hostDir);   // creates hostDir/host-links/*
import { mkdirSync, symlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const SANDBOX_LINKS = {
  h_etc: '/etc',
  h_root: '/',
  h_passwd: '/etc/passwd',
  h_up: '../..',
  h_deep: Array(20).fill('..').join('/'),
  h_dangle_out: '../../weft_escape_dangling_h',
  h_dangle_abs: '/tmp/weft_escape_dangling_h_abs',
  h_loop: 'h_loop',
};

export function makeSandboxLinks(hostDir) {
  const dir = join(hostDir, 'host-links');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, target] of Object.entries(SANDBOX_LINKS)) symlinkSync(target, join(dir, name));
  return dir;
}
