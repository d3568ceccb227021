// The boundary check on fixture workspaces with one planted violation each, and on this repository.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkBoundaries, type Violation } from './check-boundaries.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHECK = fileURLToPath(new URL('./check-boundaries.ts', import.meta.url));

const fixtures = mkdtempSync(join(tmpdir(), 'jvae-boundaries-'));
after(() => rmSync(fixtures, { recursive: true, force: true }));

/**
 * A workspace of a lib (@fx/lib), two apps (@fx/app, @fx/other) and a root tool, where every
 * import is declared and allowed; `change` adds or replaces files (path → text, JSON as objects).
 */
function workspace(change: Record<string, string | object> = {}): string {
  const root = mkdtempSync(join(fixtures, 'ws-'));
  const files: Record<string, string | object> = {
    'package.json': { name: 'fx', workspaces: ['libs/*', 'apps/*'], devDependencies: { tsx: '*' } },
    'libs/lib/package.json': { name: '@fx/lib', dependencies: { yaml: '*' } },
    'libs/lib/project.json': { tags: ['type:lib'] },
    'libs/lib/src/index.ts': "import { parse } from 'yaml';\nimport { readFileSync } from 'node:fs';\nexport const read = (p: string) => parse(readFileSync(p, 'utf8'));\n",
    'apps/app/package.json': { name: '@fx/app', dependencies: { '@fx/lib': '*' } },
    'apps/app/project.json': { tags: ['type:app'] },
    'apps/app/src/main.ts': "import { read } from '@fx/lib';\nimport './local.js';\nawait import('tsx/esm/api');\nread('x');\n",
    'apps/app/src/local.ts': 'export {};\n',
    'apps/other/package.json': { name: '@fx/other' },
    'apps/other/project.json': { tags: ['type:app'] },
    'apps/other/src/main.ts': 'export const other = 1;\n',
    'tools/tool.ts': "import { join } from 'path';\nconsole.log(join('a', 'b'));\n",
    ...change,
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return root;
}

const summary = (violations: Violation[]) => violations.map(({ file, line, specifier, rule }) => ({ file, line, specifier, rule }));

describe('checkBoundaries', () => {
  it('passes a workspace whose imports are all declared and allowed', () => {
    assert.deepEqual(checkBoundaries(workspace()), []);
  });

  it('fails an app that imports another app, naming file, import and rule', () => {
    const violations = checkBoundaries(
      workspace({
        'apps/app/package.json': { name: '@fx/app', dependencies: { '@fx/lib': '*', '@fx/other': '*' } },
        'apps/app/src/uses-other.ts': "export { other } from '@fx/other';\n",
      }),
    );
    assert.deepEqual(summary(violations), [{ file: 'apps/app/src/uses-other.ts', line: 1, specifier: '@fx/other', rule: 'app-imports-app' }]);
    assert.equal(
      violations[0]!.message,
      "apps/app/src/uses-other.ts:1: imports '@fx/other': the app @fx/app imports the app @fx/other; apps never import apps (run it as a process, or move what is shared into a lib)",
    );
  });

  it('fails a lib that reaches into an app by a relative path, which it cannot declare either', () => {
    const violations = checkBoundaries(workspace({ 'libs/lib/src/sneaky.ts': "\nimport type { other } from '../../../apps/other/src/main.js';\nexport type O = typeof other;\n" }));
    assert.deepEqual(summary(violations), [
      { file: 'libs/lib/src/sneaky.ts', line: 2, specifier: '../../../apps/other/src/main.js', rule: 'undeclared-workspace-import' },
      { file: 'libs/lib/src/sneaky.ts', line: 2, specifier: '../../../apps/other/src/main.js', rule: 'lib-imports-app' },
    ]);
    assert.match(violations[0]!.message, /libs\/lib\/package\.json does not declare the workspace package '@fx\/other'/);
    assert.match(violations[1]!.message, /the lib @fx\/lib imports the app @fx\/other; libs never import apps/);
  });

  it('fails an undeclared workspace import, an undeclared npm import and a file outside every package', () => {
    const violations = checkBoundaries(
      workspace({
        'apps/other/src/main.ts': "import { read } from '@fx/lib';\nimport left from 'left-pad';\nimport '../../../tools/tool.js';\nexport const other = [read, left];\n",
      }),
    );
    assert.deepEqual(summary(violations), [
      { file: 'apps/other/src/main.ts', line: 1, specifier: '@fx/lib', rule: 'undeclared-workspace-import' },
      { file: 'apps/other/src/main.ts', line: 2, specifier: 'left-pad', rule: 'undeclared-npm-import' },
      { file: 'apps/other/src/main.ts', line: 3, specifier: '../../../tools/tool.js', rule: 'import-outside-package' },
    ]);
    assert.match(violations[1]!.message, /the npm package 'left-pad' is declared neither in apps\/other\/package\.json nor in the root package\.json/);
  });

  it('fails a dependency that nothing imports', () => {
    const violations = checkBoundaries(workspace({ 'apps/other/package.json': { name: '@fx/other', devDependencies: { '@fx/lib': '*', mnist: '*' } } }));
    assert.deepEqual(summary(violations), [
      { file: 'apps/other/package.json', line: 1, specifier: '@fx/lib', rule: 'unused-dependency' },
      { file: 'apps/other/package.json', line: 1, specifier: 'mnist', rule: 'unused-dependency' },
    ]);
    assert.equal(violations[1]!.message, "apps/other/package.json: declares 'mnist' in devDependencies, but no file of @fx/other imports it");
  });

  it('counts a module located with createRequire(...).resolve as used', () => {
    const resolves = "import { createRequire } from 'node:module';\nexport const dir = createRequire(import.meta.url).resolve(\n  'mnist/package.json',\n);\n";
    assert.deepEqual(checkBoundaries(workspace({ 'apps/other/package.json': { name: '@fx/other', dependencies: { mnist: '*' } }, 'apps/other/src/main.ts': resolves })), []);
  });

  it('passes this repository', () => {
    assert.deepEqual(
      checkBoundaries(REPO_ROOT).map((v) => `${v.message} [${v.rule}]`),
      [],
    );
  });
});

describe('tools/check-boundaries.ts', () => {
  it('prints the violations and exits 1, or says there are none and exits 0', () => {
    const run = (root: string) => spawnSync(process.execPath, ['--import', 'tsx', CHECK, root], { cwd: REPO_ROOT, encoding: 'utf8' });
    const bad = run(workspace({ 'apps/app/src/uses-other.ts': "import '@fx/other';\n" }));
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stderr, /^apps\/app\/src\/uses-other\.ts:1: imports '@fx\/other': apps\/app\/package\.json does not declare .* \[undeclared-workspace-import\]$/m);
    assert.match(bad.stderr, /^apps\/app\/src\/uses-other\.ts:1: imports '@fx\/other': the app @fx\/app imports the app @fx\/other; .* \[app-imports-app\]$/m);
    assert.match(bad.stderr, /module boundaries: 2 violation\(s\)/);
    const good = run(workspace());
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /module boundaries: no violations/);
  });
});
